"""HTML forms of the alert pages: an alert reported by hand, and the "try an alert" box."""
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional, ValidationError

from ..catalogue import lazy_gettext as _l
from ..clock import local_to_utc, utcnow
from ..forms import BAD_DATE, CHOICE, REQUIRED, at_most
from . import canonical
from .normalise import BadAlert, fields
from .normalise.fingerprint import compute

DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
TRY_MAX = 256 * 1024  # characters pasted into the try box

SEVERITY_LABELS = {"info": _l("Info"), "low": _l("Low"), "medium": _l("Medium"), "high": _l("High"),
                   "critical": _l("Critical")}
STATUS_LABELS = {"firing": _l("Firing"), "resolved": _l("Resolved")}
FORMATS = (("auto", _l("Detect from the shape")), ("generic", _l("Generic JSON")),
           ("alertmanager", _l("Prometheus Alertmanager")), ("wazuh", _l("Wazuh")))


def parse_labels(text):
    """`key=value` lines as a dict (blank lines skipped; the value may hold "="); ValueError
    naming the first bad line."""
    out = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(str(_l("Line %(n)d: write each label as name=value.", n=number)))
        out[key.strip()] = value.strip()
    return out


class ManualAlertForm(FlaskForm):
    """An alert a person reports (source "manual"); it goes through the same intake as the rest."""

    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), at_most(canonical.TITLE_MAX)])
    severity = SelectField(_l("Severity"), choices=[(k, v) for k, v in SEVERITY_LABELS.items()],
                           default="medium", invalid_choice_message=CHOICE)
    host = StringField(_l("Host (name or address)"), validators=[at_most(canonical.HOST_MAX)])
    description = TextAreaField(_l("Description"), validators=[at_most(canonical.DESCRIPTION_MAX)])
    labels = TextAreaField(_l("Labels"), validators=[at_most(canonical.LABELS_MAX * 1200)])
    occurred_at = DateTimeLocalField(_l("Occurred at"), format=DT_FORMATS, invalid_value_message=BAD_DATE,
                                     validators=[Optional()])

    def validate_title(self, field):
        self._checked(lambda: fields.name(field.data, "title", canonical.TITLE_MAX, required=True))

    def validate_host(self, field):
        self._checked(lambda: fields.name(field.data, "host", canonical.HOST_MAX))

    def validate_labels(self, field):
        try:
            found = parse_labels(field.data)
        except ValueError as err:
            raise ValidationError(str(err)) from None
        self._checked(lambda: fields.labels(found, "labels"))

    def validate_occurred_at(self, field):
        if field.data is not None and local_to_utc(field.data) > utcnow() + fields.FUTURE_SLACK:
            raise ValidationError(_l("Is more than a day in the future."))

    @staticmethod
    def _checked(check):
        try:
            check()
        except BadAlert as err:
            raise ValidationError(str(err.reason)) from None

    def alert(self, now):
        """The canonical alert of the form (call after validate)."""
        labels = parse_labels(self.labels.data)
        title = self.title.data.strip()
        host = (self.host.data or "").strip().lower()
        occurred = local_to_utc(self.occurred_at.data) if self.occurred_at.data else now
        description = (self.description.data or "").strip()
        raw = {"title": title, "severity": self.severity.data, "host": host, "description": description,
               "labels": labels, "occurred_at": occurred.isoformat() + "Z"}
        return canonical.Alert(source="manual", severity=self.severity.data, status="firing", title=title,
                               occurred_at=occurred, fingerprint=compute("manual", labels, host, title),
                               description=description, host=host, labels=labels, raw=raw, format="manual")


class TryForm(FlaskForm):
    """A pasted alert for the dry run."""

    payload = TextAreaField(_l("Alert (JSON)"), validators=[DataRequired(REQUIRED), at_most(TRY_MAX)])
    format = SelectField(_l("Format"), choices=FORMATS, default="auto", invalid_choice_message=CHOICE)


def detect_format(payload):
    """The normaliser a pasted payload looks written for: Alertmanager's webhook has `alerts`
    and a `version` or `groupKey`; Wazuh's alert has a `rule` object; anything else is generic."""
    if isinstance(payload, dict):
        if isinstance(payload.get("alerts"), list) and ("groupKey" in payload or "version" in payload
                                                        or "receiver" in payload):
            return "alertmanager"
        if isinstance(payload.get("rule"), dict):
            return "wazuh"
    return "generic"
