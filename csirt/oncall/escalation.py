"""Escalation until someone acknowledges: an incident's policy (from its playbook) fires its steps
at their due times, each step notifying its targets through the outbox and writing the timeline.

- `start` copies the policy when the incident opens (in the intake's transaction);
- `run_due` is the scheduler's job: it lists the escalations whose next step is due and fires one
  step of each, each in its own transaction that locks the incident and then the escalation (on
  PostgreSQL `FOR UPDATE SKIP LOCKED`, so two schedulers never fire one step twice; on SQLite the
  single scheduler under its lease);
- an acknowledgement stops it (`stop`, called by `ack.acknowledge`); an incident found resolved,
  closed or rejected when its step comes stops it there, and no step fires after either;
- a step's messages are urgent: they go out through the recipients' quiet hours (an escalation
  exists because nobody answered).

Times come from csirt.clock, so tests move the clock and call `run_due`.
"""
import logging
from datetime import timedelta

from ..clock import utcnow
from ..extensions import db, on_postgres
from ..incidents import lifecycle, notices
from ..incidents.models import Incident
from ..incidents.services import append_timeline, touch
from ..notify import outbox
from . import targets as targets_module
from .escalation_models import ACTIVE, Escalation

logger = logging.getLogger(__name__)
BATCH = 50


def policy_data(policy):
    """A compiled EscalationPolicy as the plain data an Escalation stores."""
    steps = [{"after": int(step.after.total_seconds()), "to": [targets_module.as_data(t) for t in step.to],
              "channels": list(step.channels)} for step in policy]
    return steps, int(getattr(policy, "repeat", 0) or 0)


def due_time(escalation, round_, index):
    steps = escalation.steps
    cycle = steps[-1]["after"]
    return escalation.started_at + timedelta(seconds=round_ * cycle + steps[index]["after"])


def start(incident_id, playbook_id, policy, at):
    """Begin the escalation of a new incident (no commit). A second start for the same incident
    (e.g. two playbooks through `continue`) keeps the first."""
    steps, repeat = policy_data(policy)
    if not steps:
        return None
    if db.session.execute(db.select(Escalation.id).where(Escalation.incident_id == incident_id)).first():
        return None
    row = Escalation(incident_id=incident_id, playbook_id=playbook_id, steps=steps, repeat=repeat, round=0,
                     step_index=0, fired=0, started_at=at, status=ACTIVE)
    row.next_at = due_time(row, 0, 0)
    db.session.add(row)
    return row


def stop(incident_id, reason, at=None):
    """Stop the incident's active escalation (no commit); True if one was stopped."""
    table = Escalation.__table__
    result = db.session.execute(table.update().where(table.c.incident_id == incident_id, table.c.status == ACTIVE)
                                .values(status=reason, next_at=None, stopped_at=at or utcnow(), stop_reason=reason))
    return result.rowcount > 0


def _due(now, limit):
    """The ids of the escalations with a step due, oldest first (read without a lock: `_fire_one`
    locks each one and checks again)."""
    return db.session.execute(db.select(Escalation.id).where(Escalation.status == ACTIVE, Escalation.next_at <= now)
                              .order_by(Escalation.next_at, Escalation.id).limit(limit)).scalars().all()


def run_due(limit=BATCH):
    """Fire every due step (one per escalation per call, oldest first); the number fired. Each
    escalation is committed on its own, so one failure costs only its own step (retried next run)."""
    fired, now = 0, utcnow()
    ids = _due(now, limit)
    db.session.rollback()
    for ident in ids:
        try:
            if _fire_one(ident, now):
                fired += 1
            db.session.commit()
        except Exception:
            db.session.rollback()
            logger.exception("escalation %s: step failed, will retry", ident)
    return fired


def _fire_one(ident, now):
    """Fire the due step of escalation `ident`. Locks are taken in the order an acknowledgement
    takes them, the incident first and then its escalation, so the two never deadlock; an
    acknowledgement in progress is waited for and then seen."""
    postgres = on_postgres()
    incident_id = db.session.execute(db.select(Escalation.incident_id).where(Escalation.id == ident)).scalar()
    if incident_id is None:
        return False
    if postgres:  # the row lock only (the incident's joined relations cannot be locked with it)
        db.session.execute(db.select(Incident.id).where(Incident.id == incident_id).with_for_update())
    incident = db.session.get(Incident, incident_id, populate_existing=True)
    query = db.select(Escalation).where(Escalation.id == ident, Escalation.status == ACTIVE,
                                        Escalation.next_at <= now)
    if postgres:
        query = query.with_for_update(skip_locked=True)
    row = db.session.execute(query).scalar_one_or_none()
    if row is None or incident is None:  # taken by another scheduler, stopped, or no longer due
        return False
    if incident.acknowledged_at is not None:
        stop(incident.id, "acknowledged", now)
        return False
    if incident.status not in lifecycle.OPEN_STATUSES or incident.status == "recovered":
        stop(incident.id, "closed" if incident.status in lifecycle.FINAL_STATUSES else "resolved", now)
        return False
    step = row.steps[row.step_index]
    found = targets_module.resolve(step["to"], incident, now)
    number = row.round * len(row.steps) + row.step_index + 1
    ctx = notices.context(incident, step=number)
    sent_to, serious = [], True  # a page nobody answered: quiet hours do not hold it back
    for user in found.users:
        if outbox.enqueue("escalation.step", user, ctx, channels=step["channels"], incident_id=incident.id,
                          serious=serious):
            sent_to.append(user.full_name)
    for channel, address in found.addresses:
        try:
            outbox.enqueue_address("escalation.step", channel, address, ctx, incident_id=incident.id,
                                   serious=serious)
            sent_to.append(address)
        except Exception:  # a stored address that no longer validates: noted, the step goes on
            logger.warning("escalation %s: address %s refused", ident, address)
    append_timeline(incident, None, "escalation",
                    data={"step": number, "round": row.round + 1, "to": sent_to, "channels": step["channels"],
                          "nobody": [list(n) for n in found.notes] if not sent_to else []})
    touch(incident)
    row.fired += 1
    _advance(row, now)
    return True


def _advance(row, now):
    index, round_ = row.step_index + 1, row.round
    if index >= len(row.steps):
        index, round_ = 0, round_ + 1
    if round_ > row.repeat:
        row.status, row.next_at, row.stopped_at, row.stop_reason = "done", None, now, "done"
        return
    row.round, row.step_index = round_, index
    row.next_at = due_time(row, round_, index)


def active_for(incident_ids):
    """{incident id: Escalation} of the active escalations among `incident_ids`."""
    if not incident_ids:
        return {}
    rows = db.session.execute(db.select(Escalation).where(Escalation.incident_id.in_(incident_ids),
                                                          Escalation.status == ACTIVE)).scalars().all()
    return {row.incident_id: row for row in rows}
