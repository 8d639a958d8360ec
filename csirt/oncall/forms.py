"""The on-call pages' forms: fields only; `validation` checks the values again in the service."""
from datetime import timezone
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional

from ..catalogue import lazy_gettext as _l
from ..extensions import db
from ..forms import BAD_DATE, REQUIRED, at_most
from ..team.models import User
from . import policy
from .labels import layer_label, reason_choices
from .models import DEFAULT_TIME_ZONE, MAX_SHIFT_HOURS
from .validation import MAX_LAYERS, member_names

DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
DEFAULT_LAYER_NAMES = ("primary", "secondary", "tertiary")
MEMBERS_HELP = _l("User names in the order of their turns, separated by commas or new lines.")


def eligible_people():
    """(user name, full name) of everyone who can be put on call, by name."""
    rows = db.session.execute(db.select(User).where(User.active, User.role.in_(policy.ON_CALL_ROLES))
                              .order_by(User.full_name, User.id)).scalars()
    return [(u.username, u.full_name) for u in rows]


class RotationForm(FlaskForm):
    key = StringField(_l("Key (named by playbooks)"), validators=[DataRequired(REQUIRED), at_most(64)])
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), at_most(200)])
    description = TextAreaField(_l("Description"), validators=[at_most(5000)])
    time_zone = StringField(_l("Time zone"), default=DEFAULT_TIME_ZONE, validators=[DataRequired(REQUIRED),
                                                                                   at_most(64)])
    handover_time = StringField(_l("Hand-over time (local, HH:MM)"), default="08:00",
                                validators=[DataRequired(REQUIRED), at_most(8)])
    shift_kind = SelectField(_l("Shift length"), default="weekly", validate_choice=False,
                             choices=[("daily", _l("Daily")), ("weekly", _l("Weekly")),
                                      ("custom", _l("Custom length"))])
    shift_hours = StringField(_l("Custom length in hours (1 to %(n)d)", n=MAX_SHIFT_HOURS), validators=[at_most(4)])
    starts_on = DateField(_l("First hand-over on (local date)"), invalid_value_message=BAD_DATE,
                          validators=[InputRequired(REQUIRED)])
    active = BooleanField(_l("Active (pages people)"), default=True)
    layer_1_name = StringField(_l("First layer's name"), default="primary", validators=[at_most(64)])
    layer_1_members = TextAreaField(_l("First layer's members"), validators=[at_most(3000)])
    layer_2_name = StringField(_l("Second layer's name"), default="secondary", validators=[at_most(64)])
    layer_2_members = TextAreaField(_l("Second layer's members (empty: no second layer)"),
                                    validators=[at_most(3000)])
    layer_3_name = StringField(_l("Third layer's name"), validators=[at_most(64)])
    layer_3_members = TextAreaField(_l("Third layer's members (empty: no third layer)"),
                                    validators=[at_most(3000)])

    def fill_from(self, rotation):
        """Show a stored rotation's layers as names and user names."""
        self.handover_time.data = rotation.handover_time.strftime("%H:%M")
        self.shift_hours.data = str(rotation.shift_hours) if rotation.shift_kind == "custom" else ""
        for position in range(1, MAX_LAYERS + 1):
            layer = next((x for x in rotation.layers if x.position == position), None)
            getattr(self, f"layer_{position}_name").data = layer.name if layer else ""
            getattr(self, f"layer_{position}_members").data = (
                "\n".join(m.user.username for m in layer.members) if layer else "")

    def service_data(self):
        data = {k: self.data[k] for k in ("key", "name", "description", "time_zone", "handover_time", "shift_kind",
                                          "shift_hours", "starts_on", "active")}
        layers = []
        for position in range(1, MAX_LAYERS + 1):
            name = (getattr(self, f"layer_{position}_name").data or "").strip()
            members = member_names(getattr(self, f"layer_{position}_members").data)
            # a layer beyond the first counts when it has members, or a name of its own (then the
            # service refuses it for having nobody, rather than dropping what was typed)
            if position == 1 or members or (name and name != DEFAULT_LAYER_NAMES[position - 1]):
                layers.append({"name": name or DEFAULT_LAYER_NAMES[position - 1], "members": members})
        data["layers"] = layers
        return data


class OverrideForm(FlaskForm):
    layer = SelectField(_l("Layer"), validate_choice=False)
    user = SelectField(_l("Who covers"), validate_choice=False)
    starts_at = DateTimeLocalField(_l("From (the rotation's local time)"), format=DT_FORMATS,
                                   invalid_value_message=BAD_DATE, validators=[InputRequired(REQUIRED)])
    ends_at = DateTimeLocalField(_l("Until (the rotation's local time)"), format=DT_FORMATS,
                                 invalid_value_message=BAD_DATE, validators=[InputRequired(REQUIRED)])
    reason = SelectField(_l("Reason"), validate_choice=False)
    note = StringField(_l("Note"), validators=[Optional(), at_most(300)])

    def __init__(self, rotation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rotation = rotation
        self.layer.choices = [(str(x.position), layer_label(x.name)) for x in rotation.layers]
        self.user.choices = [("", "")] + [(username, f"{name} ({username})") for username, name in eligible_people()]
        self.reason.choices = reason_choices()

    def _utc(self, value):
        if value is None:
            return None
        zone = ZoneInfo(self.rotation.time_zone)
        try:
            return value.replace(tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:  # year 1 or 9999: the service refuses it as not a valid date
            return None

    def service_data(self):
        return {"layer": self.layer.data, "user": self.user.data, "starts_at": self._utc(self.starts_at.data),
                "ends_at": self._utc(self.ends_at.data), "reason": self.reason.data, "note": self.note.data}
