"""The playbook's `notify` and `escalate`, applied with the decision in the intake's transaction:
notifications written to the outbox for the incident's `opened`, `joined` and `resolved` events,
and the escalation started when an incident opens. The outbox delivers; the escalation job fires
the steps (csirt/oncall/escalation.py).

An alert that joins an incident is a digest: while the first message about the group waits, the
next ones only raise its "N more alerts".
"""
import logging

from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..incidents import notices
from ..incidents.models import Incident
from ..notify import outbox
from ..oncall import escalation, targets

logger = logging.getLogger(__name__)
EVENTS = {"opened": "incident.opened", "joined": "incident.joined", "resolved": "incident.resolved"}


def _notifies(decision, on):
    return [(owner, action.value) for owner, action in decision.actions()
            if action.name == "notify" and on in action.value.on]


def _send(incident, alert, spec, on, now, notes):
    found = targets.resolve(spec.to, incident, now)
    notes.extend(found.notes)
    ctx = notices.context(incident, alert_title=alert.title, host=alert.host or None,
                          summary=f"{alert.title} ({alert.host})" if alert.host else alert.title)
    serious = notices.is_serious(incident) and on != "resolved"
    digest = f"incident:{incident.id}:{on}" if on != "opened" else None  # joined, resolved: one message
    for user in found.users:
        # a new incident pages its assignee and the person on call through their quiet hours
        urgent = serious or (user.id in found.paged and on == "opened")
        outbox.enqueue(EVENTS[on], user, ctx, channels=spec.channels, incident_id=incident.id, serious=urgent,
                       digest_key=digest)
    for channel, address in found.addresses:
        if channel in spec.channels:
            outbox.enqueue_address(EVENTS[on], channel, address, ctx, incident_id=incident.id, serious=serious)


def _guarded(step, *args):
    try:
        step(*args)
    except SQLAlchemyError:
        raise  # the transaction is gone: the intake retries or answers 503
    except Exception:  # a bad address or target must not lose the alert
        logger.exception("paging failed for %s", args[0])
        return False
    return True


def opened(incident, alert, decision, now, notes):
    """An incident just opened for `alert`: its notifications, and its escalation."""
    for _owner, spec in _notifies(decision, "opened"):
        if not _guarded(_send, incident, alert, spec, "opened", now, notes):
            notes.append(("action_failed", "notify"))
    for owner, action in decision.actions():
        if action.name == "escalate":
            escalation.start(incident.id, owner.id, action.value, now)
            break


def followed(incident_id, alert, decision, on, now):
    """`alert` joined (`on` = "joined") or resolved the open incident `incident_id`."""
    specs = _notifies(decision, on)
    if not specs:
        return
    incident = db.session.get(Incident, incident_id)
    for _owner, spec in specs:
        _guarded(_send, incident, alert, spec, on, now, [])
