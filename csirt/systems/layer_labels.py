"""Translated names of the four protection layers, their statuses, assessment kinds and finding
severities (DOMAIN.md §4, §7). Keys are stored; labels are what people read."""
from ..catalogue import lazy_gettext as _l
from . import compliance

LAYER_NAMES = {
    1: _l("On-site force"),
    2: _l("Professional monitoring and protection"),
    3: _l("Independent periodic inspection"),
    4: _l("Connection to the national monitoring system (NCSC)"),
}
STATUSES = {
    compliance.VALID: _l("valid"),
    compliance.EXPIRING: _l("expiring"),
    compliance.EXPIRED: _l("expired"),
    compliance.MISSING: _l("missing"),
}
STATUS_BADGES = {
    compliance.VALID: "text-bg-success",
    compliance.EXPIRING: "text-bg-warning",
    compliance.EXPIRED: "text-bg-danger",
    compliance.MISSING: "text-bg-secondary",
}
ASSESSMENT_KINDS = {
    "compliance": _l("Compliance assessment"),
    "effectiveness": _l("Effectiveness assessment"),
    "technical": _l("Technical test"),
}
SEVERITIES = {"low": _l("Low"), "medium": _l("Medium"), "high": _l("High"), "critical": _l("Critical")}
SEVERITY_BADGES = {"low": "text-bg-light border", "medium": "text-bg-info", "high": "text-bg-warning",
                   "critical": "text-bg-danger"}

LAYER_FIELDS = {
    "layer": _l("Layer"),
    "provider": _l("Provider (team, unit or company)"),
    "reference": _l("Contract or decision reference"),
    "valid_from": _l("Valid from"),
    "valid_to": _l("Valid to"),
    "last_verified": _l("Last verified"),
    "next_due": _l("Next verification due"),
    "notes": _l("Notes"),
}
ASSESSMENT_FIELDS = {
    "performed_on": _l("Date"),
    "assessor": _l("Assessor (organisation)"),
    "kind": _l("Kind"),
    "report_reference": _l("Report reference"),
    "summary": _l("Summary"),
    "findings": _l("Findings"),
}
FINDING_FIELDS = {
    "title": _l("Finding"),
    "severity": _l("Severity"),
    "remediation_owner": _l("Remediation owner"),
    "due_on": _l("Due date"),
    "closed_on": _l("Closed on"),
}


def layer_name(layer):
    value = LAYER_NAMES.get(layer)
    return str(value) if value is not None else str(layer)


def status_label(status):
    return str(STATUSES.get(status, status))


def status_badge(status):
    return STATUS_BADGES.get(status, "text-bg-secondary")


def kind_label(kind):
    value = ASSESSMENT_KINDS.get(kind)
    return str(value) if value is not None else (kind or "—")


def severity_label(severity):
    value = SEVERITIES.get(severity)
    return str(value) if value is not None else (severity or "—")


def severity_badge(severity):
    return SEVERITY_BADGES.get(severity, "text-bg-light border")


def day(value):
    """A date as people here write it (dd/mm/yyyy), or a dash."""
    return value.strftime("%d/%m/%Y") if value else "—"
