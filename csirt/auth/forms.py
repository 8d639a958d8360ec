from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from ..catalogue import lazy_gettext as _l
from ..forms import REQUIRED, at_most
from .models import SCOPES


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(REQUIRED), at_most(64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), at_most(256)])


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(REQUIRED), at_most(256)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED), at_most(256)])


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), at_most(100)])
    scopes = SelectMultipleField(_l("Scopes"), choices=[(s, s) for s in SCOPES],
                                 default=["incidents:read"],
                                 option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    days = IntegerField(_l("Valid for (days)"), default=90,
                        validators=[NumberRange(1, 366, _l("Between %(min)d and %(max)d."))])
