"""Reports sent to an authority: recording one keeps it on the incident (date, channel, recipient,
reference, the file sent) and stops the clock of the duty it meets (`clocks.sync`).

A report is a record of what happened outside csirt, so it is never edited or deleted; a wrong
one is corrected by a note. Its time may not lie in the future nor before the discovery.
"""
import logging
from datetime import timedelta

from .. import storage
from ..audit.services import record
from ..catalogue import gettext as _
from ..clock import utcnow
from ..errors import invalid
from ..extensions import db
from ..fields import text
from ..uploads import receive
from . import clocks, policy
from .duty_models import CHANNELS, REPORT_KINDS, SentReport
from .models import Evidence
from .services import append_timeline, touch

logger = logging.getLogger(__name__)

LIMITS = {"recipient": 200, "reference": 100, "note": 5000}
FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks of two machines


def duty_choices(incident):
    """The duties a report may meet: those the incident has a clock for."""
    return [c.key for c in incident.clocks]


def clean(incident, data, now=None):
    """The report's values from `data` (sent_at a naive UTC datetime), or the ValidationError."""
    now = now or utcnow()
    errors, out = {}, {}
    duty = data.get("duty") or None
    if duty is not None and duty not in duty_choices(incident):
        errors["duty"] = _("Choose one of the incident's duties, or none.")
    out["duty"] = duty
    for name, allowed in (("kind", REPORT_KINDS), ("channel", CHANNELS)):
        value = data.get(name)
        if value not in allowed:
            errors[name] = _("Choose a value from the list.")
        out[name] = value
    sent_at = data.get("sent_at")
    if sent_at is None:
        errors["sent_at"] = _("This field is required.")
    elif sent_at > now + FUTURE_TOLERANCE:
        errors["sent_at"] = _("A report cannot have been sent in the future.")
    elif incident.discovered_at is not None and sent_at < incident.discovered_at:
        errors["sent_at"] = _("A report cannot have been sent before the incident was discovered.")
    out["sent_at"] = sent_at
    for name, limit in LIMITS.items():
        out[name] = text(errors, name, data.get(name), limit, required=name == "recipient",
                         single_line=name != "note")
    if errors:
        raise invalid(errors)
    return out


def record_sent(actor, incident, data, stream=None, filename=None, content_type=None):
    """Record a report sent (and the file sent, kept like evidence); stops its duty's clock."""
    policy.require(policy.can_work(actor, incident), _("You may not record reports of this incident."))
    values = clean(incident, data)
    received = receive(stream, filename, _("Report sent"), content_type) if stream is not None and filename else None
    try:
        item = None
        if received is not None:
            item = Evidence(incident_id=incident.id, original_name=received.name, stored_name=received.stored_name,
                            content_type=received.content_type, size=received.size, sha256=received.sha256,
                            description=received.description, added_by_id=actor.id, added_at=utcnow())
            db.session.add(item)
            db.session.flush()
        report = SentReport(incident_id=incident.id, recorded_by_id=actor.id, recorded_at=utcnow(),
                            evidence_id=item.id if item else None, **values)
        db.session.add(report)
        db.session.flush()
        stopped = [key for key in clocks.sync(incident) if key == values["duty"]]
        append_timeline(incident, actor, "report", body=values["recipient"],
                        data={"report": report.id, "duty": values["duty"], "kind": values["kind"],
                              "channel": values["channel"], "reference": values["reference"],
                              "sent_at": values["sent_at"].isoformat(), "evidence": item.id if item else None})
        touch(incident)
        record(actor, "incident.report_sent", report, after={
            "incident_id": incident.id, "duty": values["duty"], "kind": values["kind"], "channel": values["channel"],
            "recipient": values["recipient"], "reference": values["reference"],
            "sent_at": values["sent_at"].isoformat(), "clock_stopped": bool(stopped),
            "sha256": item.sha256 if item else None})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if received is not None:
            storage.remove(received.stored_name)  # no file without its row
        raise
    logger.info("report sent recorded on incident %s (duty %s)", incident.reference, values["duty"])
    return report
