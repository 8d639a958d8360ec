"""What the team hears about an incident: the notifications its changes write to the outbox, in
the same transaction as the change (ARCHITECTURE.md flow 1). The outbox (csirt/notify) delivers.

- assigned: the new assignee (unless they assigned it to themselves);
- status changed: the assignee (unless they changed it themselves).
The alert executor and the escalation write their own (incident opened, alert joined, resolved,
escalation step) with `context` below.
"""
from ..extensions import db
from ..notify import outbox
from . import policy
from .models import Incident


def may_still_see(user, incident_id):
    """The outbox's last check before it sends (notify.delivery.RECIPIENT_CHECKS)."""
    incident = db.session.get(Incident, incident_id)
    return incident is not None and policy.can_see(user, incident)


def init_app(app):
    from ..notify import delivery

    if may_still_see not in delivery.RECIPIENT_CHECKS:
        delivery.RECIPIENT_CHECKS.append(may_still_see)


def context(incident, **extra):
    """The JSON-safe facts every incident message shows (csirt/notify/messages/*)."""
    out = {"reference": incident.reference, "title": incident.title, "severity": incident.severity,
           "priority": incident.priority, "status": incident.status, "category": incident.category,
           "agency": incident.agency.name if incident.agency is not None else ""}
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


def is_serious(incident):
    return incident.severity == "serious" or incident.priority == "P1"


def assigned(actor, incident, assignee):
    if assignee is None or getattr(actor, "id", None) == assignee.id:
        return []
    return outbox.enqueue("incident.assigned", assignee, context(incident, by=getattr(actor, "full_name", None)),
                          incident_id=incident.id,
                          serious=is_serious(incident))


def status_changed(actor, incident, old, new):
    assignee = incident.assignee
    if assignee is None or getattr(actor, "id", None) == assignee.id:
        return []
    return outbox.enqueue("incident.status", assignee,
                          context(incident, old_status=old, new_status=new, by=getattr(actor, "full_name", None)),
                          incident_id=incident.id, serious=False)
