"""Notification settings and the outbox's hand work: each function takes the acting user, checks
the policy, changes the records, writes the audit log and commits once."""
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from ..audit.models import AuditLog
from ..audit.services import record
from ..catalogue import gettext as _
from ..clock import utcnow
from ..errors import invalid
from ..extensions import db
from . import decide, outbox, policy
from .channels import get as channel_of
from .models import WAITING, ContactMethod, Notification, NotifyPreference

LABEL_MAX = 100
METHODS_MAX = 20
RETRYABLE = ("failed", "dead")


def add_method(actor, channel, address, label=""):
    """A new contact method for `actor` (a webhook gets its random HMAC key, to be shown once)."""
    address = channel_of(channel).validate_address(address)
    label = (label or "").strip()
    if len(label) > LABEL_MAX:
        raise invalid({"label": _("At most %(n)d characters.", n=LABEL_MAX)})
    count = db.session.execute(db.select(db.func.count()).select_from(ContactMethod)
                               .where(ContactMethod.user_id == actor.id)).scalar()
    if count >= METHODS_MAX:
        raise invalid({"address": _("You already have %(n)d contact methods.", n=METHODS_MAX)})
    method = ContactMethod(user_id=actor.id, channel=channel, address=address, label=label, enabled=True,
                           secret=secrets.token_urlsafe(32) if channel == "webhook" else None,
                           created_at=utcnow())
    db.session.add(method)
    db.session.flush()
    record(actor, "notify.method_added", method, after={"channel": channel, "address": shown_address(channel, address),
                                                        "label": label})
    db.session.commit()
    return method


def remove_method(actor, method_id):
    """Remove one of `actor`'s methods; what still waits to go to it is not sent (dead, with why)."""
    method = policy.own_method(actor, method_id)
    record(actor, "notify.method_removed", method, before={"channel": method.channel,
                                                           "address": shown_address(method.channel, method.address)})
    table = Notification.__table__
    db.session.execute(table.update().where(table.c.contact_method_id == method.id, table.c.status.in_(WAITING))
                       .values(status="dead", last_error="the contact method was removed"))
    db.session.delete(method)
    db.session.commit()


def set_method_enabled(actor, method_id, enabled):
    method = policy.own_method(actor, method_id)
    if method.enabled != bool(enabled):
        record(actor, "notify.method_enabled" if enabled else "notify.method_disabled", method,
               before={"enabled": method.enabled}, after={"enabled": bool(enabled)})
        method.enabled = bool(enabled)
    db.session.commit()
    return method


def preference_of(user):
    return db.session.get(NotifyPreference, user.id) or NotifyPreference(
        user_id=user.id, time_zone=decide_zone())


def decide_zone():
    from flask import current_app

    return current_app.config.get("CSIRT_TIMEZONE") or "Asia/Ho_Chi_Minh"


def set_quiet_hours(actor, start_text, end_text):
    """Quiet hours from 'HH:MM' texts (both blank: none); start == end is refused."""
    try:
        start, end = decide.parse_time(start_text), decide.parse_time(end_text)
    except ValueError:
        raise invalid({"quiet_start": _("Give times as HH:MM.")}) from None
    if (start is None) != (end is None):
        raise invalid({"quiet_end": _("Give both the start and the end, or neither.")})
    if start is not None and start == end:
        raise invalid({"quiet_end": _("The end must differ from the start.")})
    pref = db.session.get(NotifyPreference, actor.id)
    before = {"quiet_start": str(pref.quiet_start) if pref and pref.quiet_start else None,
              "quiet_end": str(pref.quiet_end) if pref and pref.quiet_end else None}
    if pref is None:
        pref = NotifyPreference(user_id=actor.id, time_zone=decide_zone())
        db.session.add(pref)
    pref.quiet_start, pref.quiet_end = start, end
    record(actor, "notify.quiet_hours", object_type="notify_preference", object_id=actor.id, before=before,
           after={"quiet_start": str(start) if start else None, "quiet_end": str(end) if end else None})
    db.session.commit()
    return pref


TESTS_PER_WINDOW = 3
TEST_WINDOW = timedelta(minutes=10)


def shown_address(channel, address):
    """An address as others see it (the outbox page, the audit log): a webhook URL without its path
    and query, which often carry the receiver's secret token."""
    if channel != "webhook":
        return address
    parts = urlsplit(address or "")
    return f"{parts.scheme}://{parts.netloc}/…" if parts.scheme and parts.netloc else "…"


def send_test(actor):
    """A test notification to each of `actor`'s enabled methods (or their e-mail); quiet hours
    do not hold it back (the person is trying it now). At most TESTS_PER_WINDOW tests in
    TEST_WINDOW, so the form cannot make the team's mail server and webhook sender a cannon."""
    since = utcnow() - TEST_WINDOW
    recent = db.session.execute(db.select(db.func.count(AuditLog.id)).where(  # one entry per test sent
        AuditLog.actor_id == actor.id, AuditLog.action == "notify.test", AuditLog.at >= since)).scalar()
    if recent >= TESTS_PER_WINDOW:
        raise invalid({"address": _("You have sent %(n)d tests in the last 10 minutes; wait a little.",
                                    n=TESTS_PER_WINDOW)})
    rows = outbox.enqueue("test", actor, {"address": ""}, serious=True)
    for row in rows:
        row.context = {**row.context, "address": row.address}
    if not rows:
        raise invalid({"address": _("Add a contact method first (or an e-mail address to your account).")})
    record(actor, "notify.test", object_type="user_account", object_id=actor.id, after={"count": len(rows)})
    db.session.commit()
    return rows


def retry(notification_id, actor):
    """Send a failed or dead notification again now (by hand), audited."""
    row = policy.outbox_row(actor, notification_id)
    if row.status not in RETRYABLE:
        raise invalid({"status": _("Only a failed or dead notification can be retried.")})
    before = {"status": row.status, "attempts": row.attempts, "last_error": row.last_error}
    row.status, row.next_attempt_at, row.claimed_until = "pending", utcnow(), None
    if before["status"] == "dead":
        row.attempts = 0  # a fresh series of attempts
    record(actor, "notify.retried", row, before=before, after={"status": "pending"})
    from . import wake

    wake.mark(db.session)
    db.session.commit()
    return row


def outbox_page(actor, status=None, channel=None, limit=100, before_id=None):
    """The newest notifications (after the filters), newest first."""
    policy.require_outbox(actor)
    query = db.select(Notification).order_by(Notification.id.desc()).limit(limit)
    if status:
        query = query.where(Notification.status == status)
    if channel:
        query = query.where(Notification.channel == channel)
    if before_id:
        query = query.where(Notification.id < before_id)
    return db.session.execute(query).scalars().all()


def own_methods(user):
    return db.session.execute(db.select(ContactMethod).where(ContactMethod.user_id == user.id)
                              .order_by(ContactMethod.id)).scalars().all()
