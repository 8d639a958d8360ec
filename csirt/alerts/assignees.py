"""Who gets a new incident: the first of a playbook's `assign` candidates that finds someone.

- person: the active user of that user name, if they may be assigned incident work (a WORKERS
  role: they see every incident, which covers "may see this one");
- role: among the active users of that role (a WORKERS role), the one with the fewest open
  incidents assigned, ties by id (the lowest first);
- rotation: whoever is on call now on that rotation's layer (csirt/oncall; the first layer when
  the candidate names none); nobody (or no such rotation) is noted and the next candidate tried.
"""
from sqlalchemy import func

from ..extensions import db
from ..incidents import lifecycle
from ..incidents.models import Incident
from ..oncall.resolve import on_call as _on_call
from ..team.models import WORKERS, User


def by_person(username):
    user = db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active or user.role not in WORKERS:
        return None
    return user


def by_role(role):
    """The active member of `role` with the fewest open incidents assigned (ties: lowest id)."""
    if role not in WORKERS:
        return None
    load = func.count(Incident.id)
    row = db.session.execute(
        db.select(User.id, load)
        .outerjoin(Incident, (Incident.assignee_id == User.id) & Incident.status.in_(lifecycle.OPEN_STATUSES))
        .where(User.role == role, User.active.is_(True))
        .group_by(User.id).order_by(load, User.id).limit(1)).first()
    return db.session.get(User, row[0]) if row else None


def by_rotation(name, at, layer=None):
    user = _on_call(name, at, layer=layer)
    if user is not None and user.active and user.role in WORKERS:
        return user
    return None


def pick(candidates, at):
    """(the first candidate's user or None, notes): each note a (code, value) pair saying why a
    candidate found nobody (see executor.note_text)."""
    notes = []
    for candidate in candidates:
        if candidate.kind == "person":
            user = by_person(candidate.value)
        elif candidate.kind == "role":
            user = by_role(candidate.value)
        elif candidate.kind == "rotation":
            user = by_rotation(candidate.value, at, getattr(candidate, "layer", None))
        else:
            user = None
        if user is not None:
            return user, notes
        notes.append((f"{candidate.kind}_nobody", candidate.value))
    return None, notes
