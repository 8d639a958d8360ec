"""The Form 05 download form: language, format and the three free answers of the form (typed on
the page, written into the file only: the app has no settings table to keep them in)."""
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField

from ...catalogue import lazy_gettext as _l
from ...forms import CHOICE, at_most
from ..textsafe import newlines

TEXT_MAX = 4000
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
FORMATS = [("docx", "Word (.docx)"), ("pdf", "PDF")]


class Form05Export(FlaskForm):
    lang = SelectField(_l("Language"), choices=LANGUAGES, default="vi", invalid_choice_message=CHOICE)
    format = SelectField(_l("Format"), choices=FORMATS, default="docx", invalid_choice_message=CHOICE)
    damage = TextAreaField(_l("Estimated damage"), validators=[at_most(TEXT_MAX)], filters=[newlines])
    support = TextAreaField(_l("Supporting organisations"), validators=[at_most(TEXT_MAX)], filters=[newlines])
    recommendations = TextAreaField(_l("Recommendations"), validators=[at_most(TEXT_MAX)], filters=[newlines])
