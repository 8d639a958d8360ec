"""The outbox's public interface: write notifications in the caller's transaction.

Nothing here commits or sends. `enqueue` adds one row per address chosen by `decide.should_notify`
and marks the transaction so the delivery loop is woken when it commits (`wake.py`); delivery
happens in the scheduler process only (`delivery.py`).

Digest instead of flood: with a `digest_key` (e.g. "alerts:<playbook>:<group>"), a notification to
the same person, channel and key that is still waiting (pending or failed, not yet in flight)
takes the new event instead of a new row: its context's `more` counts the events folded into it,
so the message says "N more alerts" instead of N messages.
"""
import logging

from flask import current_app
from sqlalchemy import update

from ..clock import utcnow
from ..extensions import db, on_postgres
from . import decide, wake
from .models import WAITING, ContactMethod, Notification, NotifyPreference

logger = logging.getLogger(__name__)


def _locale(user):
    return (getattr(user, "locale", None) or current_app.config.get("BABEL_DEFAULT_LOCALE") or "vi")[:5]


def _row(event, channel, address, context, locale, send_at, **fields):
    row = Notification(event=event[:64], channel=channel, address=address, context=dict(context or {}),
                       locale=locale, status="pending", attempts=0, next_attempt_at=send_at,
                       created_at=utcnow(), **fields)
    db.session.add(row)
    return row


def _fold_into_digest(user_id, channel, address, digest_key, context):
    """The waiting row this event joins, with its `more` counter raised; None if there is none.
    One row per address: a person's two e-mail addresses each get the digest."""
    query = (db.select(Notification)
             .where(Notification.user_id == user_id, Notification.channel == channel,
                    Notification.address == address,
                    Notification.digest_key == digest_key, Notification.status.in_(WAITING))
             .order_by(Notification.id).limit(1))
    if on_postgres():
        query = query.with_for_update()
    row = db.session.execute(query).scalar()
    if row is None:
        return None
    merged = dict(row.context or {})
    merged["more"] = int(merged.get("more") or 0) + 1
    latest = (context or {}).get("title")
    if latest:
        merged["latest_title"] = latest
    row.context = merged  # a new dict: the JSON column sees the change
    return row


def enqueue(event, user, context, *, channels=None, incident_id=None, serious=False, digest_key=None):
    """Notify `user` of `event` on their enabled contact methods (those in `channels`, None: all),
    or at their account's e-mail when they have no method. Quiet hours defer a row to their end
    unless `serious`. Returns the rows (flushed, ids set); an inactive user gets none. The caller
    commits; the delivery loop is woken then."""
    if user is None or not getattr(user, "active", False):
        return []
    methods = db.session.execute(db.select(ContactMethod).where(ContactMethod.user_id == user.id)
                                 .order_by(ContactMethod.id)).scalars().all()
    pref = db.session.get(NotifyPreference, user.id)
    decision = decide.should_notify(
        utcnow(), methods, channels=channels, fallback_email=(user.email or "").strip() or None,
        quiet_start=pref.quiet_start if pref else None, quiet_end=pref.quiet_end if pref else None,
        time_zone=pref.time_zone if pref else decide_default_zone(), serious=serious)
    rows = []
    for target in decision.targets:
        if digest_key:
            folded = _fold_into_digest(user.id, target.channel, target.address, digest_key[:200], context)
            if folded is not None:
                if serious and not folded.serious:  # a serious event in the digest leaves now
                    folded.serious, folded.next_attempt_at = True, min(folded.next_attempt_at, decision.send_at)
                rows.append(folded)
                continue
        rows.append(_row(event, target.channel, target.address, context, _locale(user), decision.send_at,
                         user_id=user.id, contact_method_id=target.method_id, incident_id=incident_id,
                         serious=bool(serious), digest_key=digest_key[:200] if digest_key else None))
    if rows:
        db.session.flush()
        wake.mark(db.session)
    return rows


def decide_default_zone():
    return current_app.config.get("CSIRT_TIMEZONE") or "Asia/Ho_Chi_Minh"


def enqueue_address(event, channel, address, context, *, locale="vi", incident_id=None, serious=False):
    """Notify an address that belongs to no account (e.g. an agency's contact e-mail). The address
    is validated by its channel (the house `invalid()` error); no quiet hours apply."""
    from .channels import get

    address = get(channel).validate_address(address)
    row = _row(event, channel, address, context, (locale or "vi")[:5], utcnow(), incident_id=incident_id,
               serious=bool(serious))
    db.session.flush()
    wake.mark(db.session)
    return row


def consume_ack(notification_id):
    """Mark the notification's one-click acknowledge link as used: True the first time, False if it
    was used already (a compare-and-set, so two clicks at once give one True). Does not commit."""
    table = Notification.__table__
    result = db.session.execute(update(table).where(table.c.id == notification_id, table.c.ack_used_at.is_(None))
                                .values(ack_used_at=utcnow()))
    return result.rowcount == 1
