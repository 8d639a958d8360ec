"""An edit that lost a version race: what changed since the version the person's form was based
on, field by field, so the form can be shown again with their input beside the current values.

Every change that raises an incident's version writes one audit entry (`VERSIONED_ACTIONS`,
with the fields' values before and after), so the changes since version `v` are the last
`current version - v` of those entries.
"""
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from ..audit.models import AuditLog
from ..audit.services import clean
from ..catalogue import gettext as _
from ..clock import utc_to_local
from ..errors import ValidationError
from ..extensions import db
from ..systems.models import InformationSystem, Server
from ..team.models import Agency, User
from .links import KINDS as LINK_KINDS
from .validation import EDITABLE, ID_LISTS, clean_incident
from .vocab import CATEGORIES, FIELDS, PRIORITIES, REJECT_REASONS, SEVERITIES, STATUSES, SUB_TYPES, TLPS, label

VERSIONED_ACTIONS = ("incident.update", "incident.status", "incident.reopen")
MAX_ENTRIES = 100  # a form hundreds of versions old: the latest changes are what matters
SHOWN_TEXT = 300
VOCABS = {"category": CATEGORIES, "sub_type": SUB_TYPES, "severity": SEVERITIES, "priority": PRIORITIES,
          "tlp": TLPS, "status": STATUSES, "reject_reason": REJECT_REASONS}


@dataclass
class FieldChange:
    """One field changed by someone else since the form was loaded."""
    field: str
    label: str
    yours: str | None  # what the person submitted, shown; None when the field is not on the form
    current: str       # the value now, shown
    by: str
    at: datetime
    kept: bool         # the person had not changed this field: the form now holds the current value


def _label(field):
    if field in FIELDS:
        return str(FIELDS[field])
    return {"status": _("Status"), "resolution": _("Outcome"), "reject_reason": _("Reason to reject")}.get(field, field)


def _shown(field, value):
    """A stored or submitted value as a person reads it."""
    if value is None or value == "":
        return "—"
    if field in VOCABS:
        return label(VOCABS[field], value)
    if field in ID_LISTS:
        return _shown_records(field, value)
    if field in ("agency_id", "assignee_id"):
        row = db.session.get(Agency if field == "agency_id" else User, value) if isinstance(value, int) else None
        return (row.name if field == "agency_id" else row.full_name) if row else str(value)
    if isinstance(value, datetime):
        return current_app.jinja_env.filters["when"](value)
    text = str(value)
    return text if len(text) <= SHOWN_TEXT else text[:SHOWN_TEXT] + "…"


def _shown_records(field, ids):
    """Linked records by their code or hostname (ids that no longer name a record as numbers)."""
    if not isinstance(ids, (list, tuple)) or not ids:
        return "—" if isinstance(ids, (list, tuple)) else str(ids)
    model, name = (InformationSystem, "code") if field == "system_ids" else (Server, "hostname")
    names = dict(db.session.execute(db.select(model.id, getattr(model, name)).where(model.id.in_(ids))).all())
    return ", ".join(sorted(names.get(i, f"#{i}") for i in ids))


def _current(incident, field):
    """The value of `field` now, as the audit log records it."""
    for kind in LINK_KINDS:
        if field == kind.ids_key:
            return sorted(r.id for r in getattr(incident, kind.relation))
    return getattr(incident, field, None)


def _entries_since(incident, base_version):
    missed = min(incident.version - base_version, MAX_ENTRIES)
    if missed <= 0:
        return []
    rows = db.session.execute(
        db.select(AuditLog).where(AuditLog.object_type == "incident", AuditLog.object_id == str(incident.id),
                                  AuditLog.action.in_(VERSIONED_ACTIONS))
        .order_by(AuditLog.id.desc()).limit(missed)).scalars().all()
    return list(reversed(rows))


def _submitted(form, field):
    """The person's value of `field` in the form, cleaned as the service would (or None)."""
    raw = form[field].data  # discovered_at: naive province time, as the validator reads it
    try:
        return clean_incident({field: raw}, partial=True).get(field)
    except ValidationError:
        return raw


def _refill(form, field, value):
    """Put the current value into the form, as the edit page's GET would."""
    target = form[field]
    if field == "discovered_at":
        value = utc_to_local(value).replace(tzinfo=None)
    elif field in ("agency_id", "assignee_id"):
        value = str(value or "")
    elif field in ID_LISTS:
        value = [str(i) for i in value or ()]
    target.data, target.raw_data = value, None


def changes_since(incident, base_version, form):
    """The fields someone else changed since `base_version`, with the person's submitted value and
    the current one. Fields the person had left as they were get the current value in `form`, so
    saving anyway keeps the other change; fields both changed keep the person's value, to be
    saved over the other only if they choose to."""
    first_before, last = {}, {}
    for entry in _entries_since(incident, base_version):
        for field in (entry.after or {}):
            first_before.setdefault(field, (entry.before or {}).get(field))
            last[field] = entry
    people = {u.id: u.full_name for u in db.session.execute(
        db.select(User).where(User.id.in_({e.actor_id for e in last.values() if e.actor_id}))).scalars()}
    changes = []
    for field, entry in last.items():
        current = _current(incident, field)
        on_form = field in EDITABLE and field in form
        yours = _submitted(form, field) if on_form else None
        kept = not on_form or clean({field: yours})[field] == first_before[field]
        if on_form and kept:
            _refill(form, field, current)
        changes.append(FieldChange(
            field=field, label=_label(field),
            yours=_shown(field, yours) if on_form else None, current=_shown(field, current),
            by=people.get(entry.actor_id) or entry.actor_name or _("system"), at=entry.at, kept=kept))
    order = {f: i for i, f in enumerate(EDITABLE)}
    changes.sort(key=lambda c: order.get(c.field, len(order)))
    return changes
