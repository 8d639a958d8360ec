"""The forms of the notification pages: a contact method, quiet hours."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired

from ..catalogue import lazy_gettext as _l
from ..forms import CHOICE, REQUIRED, at_most
from .models import ADDRESS_MAX

CHANNEL_LABELS = {"email": _l("E-mail"), "webhook": _l("Webhook"), "telegram": _l("Telegram")}
STATUS_LABELS = {"pending": _l("Pending"), "sending": _l("Sending"), "sent": _l("Sent"),
                 "failed": _l("Failed (will retry)"), "dead": _l("Dead (gave up)")}


class MethodForm(FlaskForm):
    channel = SelectField(_l("Channel"), choices=list(CHANNEL_LABELS.items()), invalid_choice_message=CHOICE)
    address = StringField(_l("Address"), validators=[DataRequired(REQUIRED), at_most(ADDRESS_MAX)],
                          description=_l("An e-mail address, an http(s) URL, or a Telegram chat id."))
    label = StringField(_l("Label (optional)"), validators=[at_most(100)])


class QuietForm(FlaskForm):
    quiet_start = StringField(_l("Quiet from (HH:MM)"), validators=[at_most(5)])
    quiet_end = StringField(_l("Quiet until (HH:MM)"), validators=[at_most(5)])
