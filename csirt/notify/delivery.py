"""Delivering the outbox: claim due rows, send each, record the outcome at once.

Claim: rows that are due (pending or failed with `next_attempt_at` <= now) or whose claim ran out
(`sending` with `claimed_until` < now: a delivery that died) are set to `sending` with
`claimed_until` = now + CSIRT_NOTIFY_CLAIM_SECONDS and committed, so no other worker takes them:
on PostgreSQL selected `FOR UPDATE SKIP LOCKED` (two workers never wait on, nor take, one row),
on SQLite by a compare-and-set UPDATE per row. Then each row is sent and its outcome committed
right after (so a kill loses at most the one in flight, which is sent again when its claim runs
out; its Message-ID / X-Csirt-Notification lets the receiver drop the rare duplicate).
A failure: attempts + 1, `failed`, next try after 30 s · 2^(attempts-1) (±25 % jitter, at most
1 h); after CSIRT_NOTIFY_MAX_ATTEMPTS, `dead`. The error text is kept (capped) either way.
"""
import logging
import random
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from ..clock import utcnow
from ..extensions import db, on_postgres
from ..team.models import User
from . import messages
from .channels import CHANNELS
from .models import ERROR_MAX, WAITING, ContactMethod, Notification

logger = logging.getLogger(__name__)
BACKOFF_BASE = 30
BACKOFF_CAP = 3600


def backoff(attempts, rand=random.random):
    """Seconds to wait after the `attempts`-th failure: 30·2^(n-1), ±25 % jitter, capped at 1 h."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return min(BACKOFF_CAP, delay * (0.75 + 0.5 * rand()))


def _due(table, now):
    return or_(and_(table.c.status.in_(WAITING), table.c.next_attempt_at <= now),
               and_(table.c.status == "sending", table.c.claimed_until < now))


def claim(limit=50):
    """Claim up to `limit` due rows for this worker: (their ids, the claim's end), committed as
    `sending`. The claim's end doubles as the claim's mark: a worker sends a row only while the
    row still carries its mark and the mark lies ahead, so a row re-claimed after a slow batch
    is never sent by both."""
    now = utcnow()
    table = Notification.__table__
    until = now + timedelta(seconds=int(current_app.config.get("CSIRT_NOTIFY_CLAIM_SECONDS", 120)))
    candidates = select(table.c.id).where(_due(table, now)).order_by(table.c.next_attempt_at, table.c.id) \
        .limit(limit)
    if on_postgres():
        ids = list(db.session.execute(candidates.with_for_update(skip_locked=True)).scalars())
        if ids:
            db.session.execute(update(table).where(table.c.id.in_(ids)).values(status="sending", claimed_until=until))
        db.session.commit()
        return ids, until
    ids = []
    for row_id in db.session.execute(candidates).scalars().all():
        done = db.session.execute(update(table).where(table.c.id == row_id, _due(table, now))
                                  .values(status="sending", claimed_until=until))
        if done.rowcount == 1:
            ids.append(row_id)
    db.session.commit()
    return ids, until


def _finish(row_id, mark, **values):
    table = Notification.__table__
    db.session.execute(update(table).where(table.c.id == row_id, table.c.status == "sending",
                                           table.c.claimed_until == mark).values(**values))
    db.session.commit()


# Callables (user, incident_id) → bool that say whether a person may still hear of an incident;
# the incidents package adds its policy at start (the outbox imports no incident code).
RECIPIENT_CHECKS = []


def _renew(row_id, mark):
    """Renew the claim right before the send, so a slow batch never lets another worker re-claim
    a row while it is being sent; the new mark, or None when the row is no longer ours."""
    table = Notification.__table__
    now = utcnow()
    fresh = now + timedelta(seconds=int(current_app.config.get("CSIRT_NOTIFY_CLAIM_SECONDS", 120)))
    if mark <= now:
        return None  # our claim ran out: its next claim sends it
    done = db.session.execute(update(table).where(table.c.id == row_id, table.c.status == "sending",
                                                  table.c.claimed_until == mark).values(claimed_until=fresh))
    db.session.commit()
    return fresh if done.rowcount == 1 else None


def _still_allowed(row):
    """Whether the row's person may still receive it: active, the address still on, and (for an
    incident) still allowed to see it. A row can wait hours (quiet hours, backoff, a retry)."""
    if row.user_id is None:
        return True
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        return False
    if row.contact_method_id is not None:
        method = db.session.get(ContactMethod, row.contact_method_id)
        if method is None or not method.enabled:
            return False
    return row.incident_id is None or all(check(user, row.incident_id) for check in RECIPIENT_CHECKS)


def send_one(row_id, mark):
    """Send one row claimed with `mark` and commit its outcome; True if sent. Never raises."""
    config = current_app.config
    try:
        mark = _renew(row_id, mark)
        row = db.session.get(Notification, row_id) if mark is not None else None
        if row is None:
            db.session.rollback()  # someone else's now, or our claim ran out
            return False
        if not _still_allowed(row):
            _finish(row_id, mark, status="dead", claimed_until=None,
                    last_error="not sent: the person is disabled, the address is off, or the incident is no "
                               "longer theirs to see")
            return False
        message = messages.render(row, config)
        CHANNELS[row.channel].send(row, message, config)
    except Exception as err:  # any failure of any channel is recorded, never raised
        db.session.rollback()
        _record_failure(row_id, mark, err)
        return False
    try:
        _finish(row_id, mark, status="sent", sent_at=utcnow(), claimed_until=None, last_error=None,
                attempts=Notification.__table__.c.attempts + 1)
    except Exception:
        db.session.rollback()
        logger.exception("notification %s was sent but could not be marked sent", row_id)
        return False
    return True


def _record_failure(row_id, mark, err):
    try:
        row = db.session.get(Notification, row_id)
        if row is None:
            return
        attempts = (row.attempts or 0) + 1
        text = f"{type(err).__name__}: {err}"[:ERROR_MAX]
        limit = int(current_app.config.get("CSIRT_NOTIFY_MAX_ATTEMPTS", 8))
        if attempts >= limit:
            _finish(row_id, mark, status="dead", attempts=attempts, last_error=text, claimed_until=None)
            logger.warning("notification %s is dead after %d attempts: %s", row_id, attempts, text)
        else:
            _finish(row_id, mark, status="failed", attempts=attempts, last_error=text, claimed_until=None,
                    next_attempt_at=utcnow() + timedelta(seconds=backoff(attempts)))
            logger.info("notification %s failed (attempt %d): %s", row_id, attempts, text)
    except Exception:
        db.session.rollback()
        logger.exception("could not record the failure of notification %s", row_id)


def deliver_due(limit=50):
    """Claim and send what is due, batch by batch, until a batch comes back short; the number sent.
    Never raises."""
    sent = 0
    try:
        while True:
            ids, mark = claim(limit)
            for row_id in ids:
                sent += send_one(row_id, mark)
            if len(ids) < limit:
                return sent
    except Exception:
        db.session.rollback()
        logger.exception("outbox delivery stopped")
        return sent
