"""The rules pages' forms: fields only; the service validates what needs the table."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional

from ..catalogue import lazy_gettext as _l
from ..forms import REQUIRED, at_most
from . import keys
from .display import unit_choices

BAD_DAY = _l("Not a valid date.")


class RuleForm(FlaskForm):
    """Edit a row in place."""
    value = StringField(_l("Value"), validators=[DataRequired(REQUIRED), at_most(20)])
    unit = SelectField(_l("Unit"), choices=[], validate_choice=False)  # the service checks
    legal_reference = StringField(_l("Legal reference"), validators=[DataRequired(REQUIRED), at_most(300)])
    effective_from = DateField(_l("In force from"), invalid_value_message=BAD_DAY,
                               validators=[InputRequired(REQUIRED)])
    effective_to = DateField(_l("In force until (exclusive; empty: no end)"), invalid_value_message=BAD_DAY,
                             validators=[Optional()])
    confirmed = BooleanField(_l("Confirmed by a primary legal text"))
    notes = TextAreaField(_l("Notes"), validators=[at_most(5000)])
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit.choices = unit_choices()

    def service_data(self):
        return {k: v for k, v in self.data.items() if k not in ("csrf_token", "version")}


class SupersedeForm(RuleForm):
    """A new version of a row: the old one ends the day this one starts."""
    regime = StringField(_l("Regime"), validators=[DataRequired(REQUIRED), at_most(20)])
    effective_from = DateField(_l("New version in force from"), invalid_value_message=BAD_DAY,
                               validators=[InputRequired(REQUIRED)])
    effective_to = DateField(_l("In force until (exclusive; empty: where the old version ended)"),
                             invalid_value_message=BAD_DAY, validators=[Optional()])


class NewRuleForm(RuleForm):
    """A row for a key and regime that has none yet."""
    regime = StringField(_l("Regime"), validators=[DataRequired(REQUIRED), at_most(20)])
    key = SelectField(_l("Rule"), choices=[], validate_choice=False)
    level = SelectField(_l("Security level"), choices=[], validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key.choices = [(key, f"{keys.label(key)} ({key})") for key in keys.ALL]
        self.level.choices = [("", str(_l("Every level")))] + [(str(n), str(n)) for n in range(1, 6)]
