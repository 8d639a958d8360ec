"""The responder's page ("Đang trực") in data: what awaits my acknowledgement, what is escalating,
my open tasks, my shifts. Read-only queries, each narrowed by the incident policy."""
from datetime import timedelta

from sqlalchemy import or_

from ..extensions import db
from ..incidents import lifecycle, policy
from ..incidents.models import Incident, Task
from ..notify.models import Notification
from . import resolve
from .escalation_models import ACTIVE, Escalation

SHIFT_DAYS = 14
LIMIT = 50


def awaiting(user):
    """Open, unacknowledged incidents assigned to `user` or that notified them (newest first)."""
    notified = db.select(Notification.incident_id).where(Notification.user_id == user.id,
                                                         Notification.incident_id.is_not(None))
    query = (db.select(Incident)
             .where(Incident.status.in_(lifecycle.OPEN_STATUSES), Incident.acknowledged_at.is_(None),
                    or_(Incident.assignee_id == user.id, Incident.id.in_(notified)))
             .order_by(Incident.created_at.desc(), Incident.id.desc()).limit(LIMIT))
    return db.session.execute(policy.visible_incidents(user, query)).scalars().all()


def escalating(user):
    """(incident, escalation) of every active escalation `user` may see, the next step first."""
    query = (db.select(Incident, Escalation).join(Escalation, Escalation.incident_id == Incident.id)
             .where(Escalation.status == ACTIVE).order_by(Escalation.next_at, Escalation.id).limit(LIMIT))
    return db.session.execute(policy.visible_incidents(user, query)).all()


def my_tasks(user):
    query = (db.select(Task).join(Incident, Task.incident_id == Incident.id)
             .where(Task.owner_id == user.id, Task.done_at.is_(None), Incident.status.in_(lifecycle.OPEN_STATUSES))
             .order_by(Task.due_at.is_(None), Task.due_at, Task.id).limit(LIMIT))
    return db.session.execute(policy.visible_incidents(user, query)).scalars().all()


def my_shifts(user, now):
    """My shift entries going on now or starting within SHIFT_DAYS, whole (the current one first)."""
    entries = resolve.shifts_of_user(user.id, now - timedelta(days=SHIFT_DAYS), now + timedelta(days=SHIFT_DAYS))
    return [e for e in entries if e.shift.ends_at > now]
