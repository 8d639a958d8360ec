"""csirt's own alert JSON: one object, or a list of up to 1,000.

    {"source": "uptime-kuma", "title": "portal.laocai.example is down", "severity": "high",
     "status": "firing", "host": "portal.laocai.example", "labels": {"team": "web"},
     "description": "...", "occurred_at": "2026-12-03T08:15:00+07:00", "fingerprint": "..."}

Strict on purpose: an unknown key (a typo such as "sevrity") is refused rather than ignored, a
label value must be a string, and a value over its cap is refused, never cut, so what a playbook
reads is exactly what the sender meant. Only `raw` (the object as sent) is cut, to a stub, when
its JSON text is over canonical.RAW_MAX bytes.

Severity is one of canonical.SEVERITIES, or a common synonym (any case): warning → medium,
error → high, informational / information → info, notice → low, emergency / alert / fatal →
critical. Times: ISO 8601 with an offset or Z; a naive time is UTC; absent → the time received.
"""
from ...catalogue import lazy_gettext as _l
from .. import canonical
from . import fields
from .errors import BadAlert
from .fingerprint import compute

FORMAT = "generic"
KEYS = ("source", "title", "severity", "status", "labels", "host", "description", "occurred_at",
        "fingerprint")
SEVERITY_SYNONYMS = {
    "warning": "medium", "warn": "medium",
    "error": "high",
    "informational": "info", "information": "info",
    "notice": "low",
    "emergency": "critical", "alert": "critical", "fatal": "critical",
}


def parse(payload, now, internal=False):
    """The canonical alerts of a generic payload; BadAlert names the first wrong field. Only
    `internal` callers (csirt's own checks, the demo) may use the reserved sources."""
    return [_one(obj, path, now, internal) for path, obj in fields.batch(payload)]


def _one(obj, path, now, internal=False):
    for key in obj:
        if key not in KEYS:
            raise BadAlert(fields.at(path, key), _l("Unknown field; the fields are: %(keys)s.",
                                                    keys=", ".join(KEYS)))
    source = fields.source(obj.get("source"), fields.at(path, "source"), internal)
    title = fields.name(obj.get("title"), fields.at(path, "title"), canonical.TITLE_MAX, required=True)
    severity = fields.choice(obj.get("severity"), fields.at(path, "severity"), canonical.SEVERITIES,
                             SEVERITY_SYNONYMS)
    status = fields.choice(obj.get("status"), fields.at(path, "status"), canonical.STATUSES,
                           default="firing")
    labels = fields.labels(obj.get("labels"), fields.at(path, "labels"))
    host = fields.name(obj.get("host"), fields.at(path, "host"), canonical.HOST_MAX).lower()
    description = fields.text(obj.get("description"), fields.at(path, "description"),
                              canonical.DESCRIPTION_MAX)
    occurred_at = fields.when(obj.get("occurred_at"), fields.at(path, "occurred_at"), now)
    fingerprint = fields.fingerprint(obj.get("fingerprint"), fields.at(path, "fingerprint"))
    return canonical.Alert(
        source=source, severity=severity, status=status, title=title, occurred_at=occurred_at,
        fingerprint=fingerprint or compute(source, labels, host, title),
        description=description, host=host, labels=labels, raw=fields.raw(obj), format=FORMAT)
