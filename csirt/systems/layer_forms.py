"""HTML forms of the layer records and assessments. Dates are text in an <input type=date>: the
services parse and check every value again, so a bad date is named with the other errors."""
from flask_wtf import FlaskForm
from wtforms import FieldList, FileField, Form, FormField, HiddenField, SelectField, StringField, TextAreaField

from ..catalogue import lazy_gettext as _l
from ..forms import at_most
from .layer_labels import ASSESSMENT_FIELDS, ASSESSMENT_KINDS, FINDING_FIELDS, LAYER_FIELDS, SEVERITIES, layer_name
from .models import LAYERS

DATE = {"type": "date"}
FINDING_ROWS = 5  # empty finding rows offered on the assessment form


def _pairs(vocab):
    return [(k, str(v)) for k, v in vocab.items()]


class LayerRecordForm(FlaskForm):
    layer = SelectField(LAYER_FIELDS["layer"], choices=[], validate_choice=False)
    provider = StringField(LAYER_FIELDS["provider"], validators=[at_most(200)])
    reference = StringField(LAYER_FIELDS["reference"], validators=[at_most(200)])
    valid_from = StringField(LAYER_FIELDS["valid_from"], render_kw=DATE)
    valid_to = StringField(LAYER_FIELDS["valid_to"], render_kw=DATE)
    next_due = StringField(LAYER_FIELDS["next_due"], render_kw=DATE)
    notes = TextAreaField(LAYER_FIELDS["notes"], validators=[at_most(5000)])
    version = HiddenField()

    def fill(self, record=None):
        """Layer choices for a new record; an existing record keeps its layer (no field)."""
        self.layer.choices = [(str(n), f"{n}. {layer_name(n)}") for n in LAYERS]
        if record is not None:
            del self.layer
        return self

    def load(self, record):
        for name in ("provider", "reference", "notes"):
            getattr(self, name).data = getattr(record, name)
        for name in ("valid_from", "valid_to", "next_due"):
            value = getattr(record, name)
            getattr(self, name).data = value.isoformat() if value else ""
        self.version.data = record.version

    def service_data(self):
        return {k: v for k, v in self.data.items() if k not in ("csrf_token", "version")}


class LayerEvidenceForm(FlaskForm):
    file = FileField(_l("File"))
    description = StringField(_l("Description"), validators=[at_most(500)])


class FindingForm(Form):
    title = StringField(FINDING_FIELDS["title"], validators=[at_most(300)])
    severity = SelectField(FINDING_FIELDS["severity"], choices=_pairs(SEVERITIES), default="medium",
                           validate_choice=False)
    remediation_owner = StringField(FINDING_FIELDS["remediation_owner"], validators=[at_most(200)])
    due_on = StringField(FINDING_FIELDS["due_on"], render_kw=DATE)


class AssessmentForm(FlaskForm):
    performed_on = StringField(ASSESSMENT_FIELDS["performed_on"], render_kw=DATE)
    assessor = StringField(ASSESSMENT_FIELDS["assessor"], validators=[at_most(200)])
    kind = SelectField(ASSESSMENT_FIELDS["kind"], choices=_pairs(ASSESSMENT_KINDS), default="compliance",
                       validate_choice=False)
    report_reference = StringField(ASSESSMENT_FIELDS["report_reference"], validators=[at_most(200)])
    summary = TextAreaField(ASSESSMENT_FIELDS["summary"], validators=[at_most(10000)])
    findings = FieldList(FormField(FindingForm), min_entries=FINDING_ROWS, max_entries=50)

    def service_data(self):
        data = {k: v for k, v in self.data.items() if k not in ("csrf_token", "findings")}
        # rows left blank on the page are not findings
        data["findings"] = [dict(row) for row in self.findings.data
                            if any((row.get(k) or "").strip() for k in ("title", "remediation_owner", "due_on"))]
        return data


class CloseFindingForm(FlaskForm):
    closed_on = StringField(FINDING_FIELDS["closed_on"], render_kw=DATE)
