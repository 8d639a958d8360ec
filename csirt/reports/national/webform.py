"""The HTML form of a national form's page, built from its definition (`forms.Form`): one field
per editable entry, a select for flags and choices, the facts' version for optimistic locking."""
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf

from ...forms import CHOICE, at_most
from . import forms


class _Base(FlaskForm):
    version = HiddenField()


def _field(f):
    if f.kind in ("flag", "choice"):
        choices = [("", "—"), (forms.YES, _("Yes")), (forms.NO, _("No"))] if f.kind == "flag" else f.choices()
        return SelectField(f.label, choices=choices, validate_choice=False,
                           validators=[AnyOf([value for value, _label in choices], message=CHOICE)])
    if f.kind == "text":
        return TextAreaField(f.label, validators=[at_most(f.limit)])
    return StringField(f.label, validators=[at_most(f.limit)])


def web_form(form, values, version):
    """The Flask-WTF form of `form`: on a POST it reads the request, else it shows `values`
    ({key: text}); `version` is the facts' version the page was loaded with."""
    attrs = {f.key: _field(f) for f in form.editable}
    cls = type(f"Form{form.number}", (_Base,), attrs)
    return cls(data={**values, "version": str(version)})


def submitted(form, web):
    """{key: text} of the editable fields of a validated form."""
    return {f.key: getattr(web, f.key).data or "" for f in form.editable}
