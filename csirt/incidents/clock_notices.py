"""A regulatory clock close to its deadline, or past it, is said once through the outbox
(ARCHITECTURE.md flow 1): "due soon" to the incident's assignee (the active coordinators when it
has none), "overdue" to the assignee and the active coordinators. The scheduler's `incident-clocks`
job runs this every minute; `warned_at` / `overdue_warned_at` make each message go once per
deadline (a new deadline clears them, `clocks.sync`).
"""
from ..clock import utc_to_local, utcnow
from ..extensions import db
from ..notify import outbox
from ..rules.keys import label as rule_label
from ..team.models import User
from . import clocks, notices
from .models import Incident, IncidentClock

EVENT_SOON, EVENT_OVERDUE = "incident.clock_due", "incident.clock_overdue"
BATCH = 500


def _coordinators():
    return db.session.execute(db.select(User).where(User.active.is_(True), User.role == "coordinator")
                              .order_by(User.id)).scalars().all()


def _context(incident, clock, state):
    due = utc_to_local(clock.due_at).strftime("%d/%m/%Y %H:%M")
    return notices.context(incident, duty=str(rule_label(clock.key)), key=clock.key, due_at=due,
                           overdue=state == clocks.OVERDUE, regime=clock.regime or None)


def run(now=None):
    """Write the notices not yet written; the number of notifications written. The caller commits."""
    now, fraction = now or utcnow(), clocks.soon_fraction()
    rows = db.session.execute(
        db.select(IncidentClock, Incident).join(Incident, Incident.id == IncidentClock.incident_id)
        .where(IncidentClock.stopped_at.is_(None), IncidentClock.due_at.is_not(None),
               IncidentClock.overdue_warned_at.is_(None), IncidentClock.due_at <= now + clocks.HORIZON,
               db.or_(IncidentClock.due_at <= now, IncidentClock.warned_at.is_(None)),
               Incident.status != "rejected")
        .order_by(IncidentClock.due_at).limit(BATCH)).all()
    written, coordinators = 0, None
    for clock, incident in rows:
        state = clocks.state(clock, now, fraction)
        if state == clocks.OVERDUE:
            event, clock.overdue_warned_at = EVENT_OVERDUE, now
            clock.warned_at = clock.warned_at or now
        elif state == clocks.SOON and clock.warned_at is None:
            event, clock.warned_at = EVENT_SOON, now
        else:
            continue
        if coordinators is None:
            coordinators = _coordinators()
        assignee = incident.assignee if incident.assignee is not None and incident.assignee.active else None
        people = [assignee] if assignee else []
        if event == EVENT_OVERDUE or not people:
            people += [c for c in coordinators if assignee is None or c.id != assignee.id]
        context = _context(incident, clock, state)
        for person in people:
            written += len(outbox.enqueue(event, person, context, incident_id=incident.id,
                                          serious=event == EVENT_OVERDUE or notices.is_serious(incident)))
    return written
