from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from ..catalogue import lazy_gettext as _l
from ..forms import REQUIRED, at_most
from .models import AGENCY_KINDS, ROLES


def kind_label(kind):
    return {"department": _l("Provincial department"), "district": _l("District"),
            "partner": _l("Partner (telecom, vendor)"), "dedicated_unit": _l("Dedicated IT-security unit"),
            "other": lazy_pgettext("agency kind", "Other")}.get(kind, kind)


class UserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(REQUIRED), at_most(64)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), at_most(200)])
    title = StringField(_l("Job title"), validators=[at_most(200)])
    agency_id = SelectField(_l("Agency"), choices=[], validate_choice=False)
    role = SelectField(_l("Role"), choices=[(r, r) for r in ROLES])
    email = StringField(_l("E-mail"), validators=[Optional(), at_most(200)])
    phone = StringField(_l("Phone"), validators=[at_most(50)])
    phone_alt = StringField(_l("Second phone"), validators=[at_most(50)])
    chat_handles = StringField(_l("Chat handles (Zalo, Telegram, ...)"), validators=[at_most(300)])
    skills = TextAreaField(_l("Skills"), validators=[at_most(2000)])
    certifications = TextAreaField(_l("Certifications"), validators=[at_most(2000)])
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(_l("Initial password"), validators=[Optional(), at_most(256)])

    def service_data(self):
        return {k: v for k, v in self.data.items() if k not in ("csrf_token", "password")}


class AgencyForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(REQUIRED), at_most(32)])
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), at_most(200)])
    kind = SelectField(_l("Kind"), choices=[(k, k) for k in AGENCY_KINDS])
    email = StringField(_l("E-mail"), validators=[Optional(), at_most(200)])
    phone = StringField(_l("Phone"), validators=[at_most(50)])
    address = StringField(_l("Address"), validators=[at_most(300)])
    active = BooleanField(_l("Active"), default=True)

    def service_data(self):
        return {k: v for k, v in self.data.items() if k != "csrf_token"}


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED), at_most(256)])
