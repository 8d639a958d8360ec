"""A protection layer about to lapse is said once, to those who must renew it: the scheduler's
daily look at every current layer record whose valid-to date falls within the expiring window
(CSIRT_COMPLIANCE_EXPIRING_DAYS) or has passed, notifying the active coordinators and the owner
agency's active members through the outbox.

Each (record, valid-to date, person) is notified once: the notification's digest key remembers it
(`layer:<record id>:<valid to>`), so running again, or renewing the record with a new date,
does what it should without a table of its own.
"""
from datetime import timedelta

from ..extensions import db
from ..notify import outbox
from ..notify.models import Notification
from ..team.models import User
from .compliance import current
from .dates import today, window_days
from .models import InformationSystem, LayerRecord

EVENT = "layer.expiring"


def _due_records(day, window):
    """The current record of each layer of each live system that ends within `window` days (or ended)."""
    rows = db.session.execute(
        db.select(LayerRecord).join(InformationSystem, InformationSystem.id == LayerRecord.system_id)
        .where(InformationSystem.archived_at.is_(None), LayerRecord.valid_from <= day)
        .order_by(LayerRecord.system_id, LayerRecord.layer)).scalars().all()
    by_layer = {}
    for record in rows:
        by_layer.setdefault((record.system_id, record.layer), []).append(record)
    out = []
    for records in by_layer.values():
        record = current(records, day)
        if record is not None and record.valid_to is not None and record.valid_to <= day + timedelta(days=window):
            out.append(record)
    return out


def _recipients(system):
    return db.session.execute(
        db.select(User).where(User.active.is_(True), db.or_(
            User.role == "coordinator", (User.role == "member") & (User.agency_id == system.owner_agency_id)))
        .order_by(User.id)).scalars().all()


def run():
    """Write the notices not yet written; the number of notifications written. The caller commits."""
    day, written = today(), 0
    records = _due_records(day, window_days())
    if not records:
        return 0
    keys = [f"layer:{r.id}:{r.valid_to.isoformat()}" for r in records]
    done = set(db.session.execute(db.select(Notification.user_id, Notification.digest_key).where(
        Notification.event == EVENT, Notification.digest_key.in_(keys))).all())
    for record, key in zip(records, keys, strict=True):
        system = record.system
        context = {"system": f"{system.code} – {system.name}", "title": system.name, "layer": record.layer,
                   "provider": record.provider, "valid_to": record.valid_to.strftime("%d/%m/%Y"),
                   "expired": record.valid_to < day}
        for user in _recipients(system):
            if (user.id, key) in done:
                continue
            written += len(outbox.enqueue(EVENT, user, context, digest_key=key))  # none without an address
    return written
