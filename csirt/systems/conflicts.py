"""An edit of a system or server that lost a version race: what changed since the version the
person's form was based on, field by field (the same handling as `incidents/conflicts.py`).

Every change that raises a record's version writes exactly one audit entry (`VERSIONED`), so the
changes since version `v` are the last `current version - v` of those entries. Fields the person
had left as they were get the current value in the form, so "save anyway" keeps the other
change; fields both changed keep the person's value.
"""
from dataclasses import dataclass
from datetime import datetime

from ..audit.models import AuditLog
from ..audit.services import clean
from ..catalogue import gettext as _
from ..extensions import db
from ..team.models import Agency, User
from . import labels
from .models import InformationSystem, Server
from .validation import check_server, check_system

VERSIONED = {"information_system": ("system.update", "system.archive", "system.restore"),
             "server": ("server.update", "server.archive", "server.restore")}
MAX_ENTRIES = 100
SHOWN_TEXT = 300


@dataclass
class FieldChange:
    field: str
    label: str
    yours: str | None
    current: str
    by: str
    at: datetime
    kept: bool


def _shown(field, value):
    if value is None or value == "" or value == []:
        return "—"
    if field in ("owner_agency_id", "agency_id"):
        row = db.session.get(Agency, value) if isinstance(value, int) else None
        return row.name if row else str(value)
    if field == "host_id":
        row = db.session.get(Server, value) if isinstance(value, int) else None
        return row.hostname if row else str(value)
    if field == "server_ids":
        rows = db.session.execute(db.select(Server.hostname).where(Server.id.in_(value))).scalars()
        return ", ".join(sorted(rows))
    if field == "system_ids":
        rows = db.session.execute(db.select(InformationSystem.code).where(InformationSystem.id.in_(value))).scalars()
        return ", ".join(sorted(rows))
    if field == "level":
        return labels.level_label(value)
    vocab = {"information_kind": labels.INFORMATION_KINDS, "served": labels.SERVED, "kind": labels.SERVER_KINDS}
    if field in vocab:
        return labels.label(vocab[field], value)
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= SHOWN_TEXT else text[:SHOWN_TEXT] + "…"


def _current(obj, field):
    if field == "server_ids":
        return sorted(s.id for s in obj.servers)
    if field == "system_ids":
        return sorted(s.id for s in obj.systems)
    return getattr(obj, field, None)


def _comparable(field, value):
    value = clean({field: value})[field]
    return sorted(value) if field in ("server_ids", "system_ids") and value else value


def changes_since(obj, base_version, form):
    """The fields someone else changed on `obj` since `base_version`, with the person's submitted
    value and the current one; the form is refilled where the person had changed nothing."""
    object_type = obj.__tablename__
    check = check_system if object_type == "information_system" else check_server
    names = labels.SYSTEM_FIELDS if object_type == "information_system" else labels.SERVER_FIELDS
    missed = min(obj.version - base_version, MAX_ENTRIES)
    if missed <= 0:
        return []
    entries = list(reversed(db.session.execute(
        db.select(AuditLog).where(AuditLog.object_type == object_type, AuditLog.object_id == str(obj.id),
                                  AuditLog.action.in_(VERSIONED[object_type]))
        .order_by(AuditLog.id.desc()).limit(missed)).scalars().all()))
    first_before, last = {}, {}
    for entry in entries:
        for field in (entry.after or {}):
            first_before.setdefault(field, (entry.before or {}).get(field))
            last[field] = entry
    people = {u.id: u.full_name for u in db.session.execute(
        db.select(User).where(User.id.in_({e.actor_id for e in last.values() if e.actor_id}))).scalars()}
    changes = []
    for field, entry in last.items():
        current = _current(obj, field)
        on_form = field in form and field != "version"
        yours = None
        if on_form:
            submitted = form[field].data
            values, errors = check({field: submitted}, partial=True)
            yours = values.get(field, submitted) if field not in errors else submitted
        kept = not on_form or _comparable(field, yours) == _comparable(field, first_before[field])
        if on_form and kept:
            form.load_field(field, obj)
        changes.append(FieldChange(
            field=field, label=str(names.get(field, field)),
            yours=_shown(field, yours) if on_form else None, current=_shown(field, current),
            by=people.get(entry.actor_id) or entry.actor_name or _("system"), at=entry.at, kept=kept))
    order = {f: i for i, f in enumerate(names)}
    changes.sort(key=lambda c: order.get(c.field, len(order)))
    return changes
