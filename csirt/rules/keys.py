"""The names of the rules: the only place a rule's key is written (DOMAIN.md §6 and §3).

Code asks `lookup(key, on, level)` with one of these constants; the rules table holds, for each
regime, the value, unit and legal reference. A key absent from a regime means that regime has no
such duty (for example the 72-hour report exists only from 19/8/2026): `lookup` then raises
`RuleMissing` and `find` answers None. Each docstring says from which moment the period runs.
"""
from ..catalogue import lazy_gettext as _l

INCIDENT_NOTICE = "incident.notice"
"""Notice of an incident to the owner and the national coordinator; runs from discovery."""

INCIDENT_INITIAL_REPORT = "incident.initial_report"
"""Initial report (2017 Form 03) of an incident beyond the operator's capacity; runs from discovery."""

INCIDENT_CLOSING_REPORT = "incident.closing_report"
"""Closing report (2017 Form 04); runs from the end of the response."""

INCIDENT_REPORT = "incident.report"
"""Report of cause, scope and remedy of a serious incident (2026); runs from discovery."""

INCIDENT_SECURITY_IMMEDIATE = "incident.security_immediate"
"""Report of an incident affecting national security or public order (2026); runs from discovery."""

SUMMARY_HALF_YEAR = "summary.half_year"
"""Half-year summary report (2017 Form 05): a day of the year (MM-DD)."""

SUMMARY_YEAR = "summary.year"
"""Yearly summary report (2017 Form 05): a day of the year (MM-DD)."""

ANNUAL_REPORT_INTERNAL = "annual_report.internal"
"""Owner's internal annual report on information systems by level (2026 Form 08): MM-DD."""

ANNUAL_REPORT_MINISTRY = "annual_report.ministry"
"""Annual report on information systems by level to the Ministry of Public Security (2026): MM-DD."""

ASSESSMENT_INTERVAL = "assessment.interval"
"""Time between two independent assessments (layer 3) of a system, per security level; runs from
the last assessment."""

ALL = (INCIDENT_NOTICE, INCIDENT_INITIAL_REPORT, INCIDENT_CLOSING_REPORT, INCIDENT_REPORT,
       INCIDENT_SECURITY_IMMEDIATE, SUMMARY_HALF_YEAR, SUMMARY_YEAR, ANNUAL_REPORT_INTERNAL,
       ANNUAL_REPORT_MINISTRY, ASSESSMENT_INTERVAL)

LABELS = {
    INCIDENT_NOTICE: _l("Incident notice"),
    INCIDENT_INITIAL_REPORT: _l("Initial incident report"),
    INCIDENT_CLOSING_REPORT: _l("Closing incident report"),
    INCIDENT_REPORT: _l("Report of cause, scope and remedy"),
    INCIDENT_SECURITY_IMMEDIATE: _l("Incident affecting national security or public order"),
    SUMMARY_HALF_YEAR: _l("Half-year summary report"),
    SUMMARY_YEAR: _l("Yearly summary report"),
    ANNUAL_REPORT_INTERNAL: _l("Annual report on information systems (internal)"),
    ANNUAL_REPORT_MINISTRY: _l("Annual report on information systems (to the Ministry)"),
    ASSESSMENT_INTERVAL: _l("Interval between independent assessments"),
}


def label(key):
    """The translated name of `key` (the key itself when unknown)."""
    return LABELS.get(key, key)
