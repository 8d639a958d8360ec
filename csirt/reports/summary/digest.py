"""The managers' weekly digest, through the outbox: what opened and what closed in the week just
ended, the regulatory clocks past due (open clocks, `stopped_at` NULL, `due_at` before now), and
the change in compliance (share of systems with all four layers valid, now and a week ago).

Sent on Monday from 07:00 in the province's time (`CSIRT_TIMEZONE`) to the active managers and
admins; the week is Monday 00:00 to Monday 00:00, local. Each recipient's figures go through the
incidents and systems policies (today both roles read everything; a narrower reader would get
their own part). Once per week and person: the notification's digest key (`digest:<Monday>`)
remembers it, as `systems/expiry_notices.py` does, so the job may run as often as it likes.
"""
import logging
from datetime import datetime, time, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func

from ...clock import local_to_utc, utc_to_local, utcnow
from ...extensions import db
from ...incidents import policy
from ...incidents.models import Incident, IncidentClock
from ...notify import decide, outbox
from ...notify.messages import base_url
from ...notify.models import ContactMethod, Notification
from ...rules import keys
from ...team.models import User
from ..compliance.figures import Filters
from ..compliance.figures import compute as compliance
from .figures import NOT_COUNTED

logger = logging.getLogger(__name__)
EVENT = "digest.weekly"
RECIPIENT_ROLES = ("manager", "admin")
SEND_WEEKDAY, SEND_TIME = 0, time(7, 0)  # Monday, 07:00 local
LISTED = 20  # items named per list; the count says how many in all
CATCH_UP = timedelta(days=1)  # a digest not sent by then (scheduler down) is skipped, not sent stale


def week_due(now):
    """The Monday (a local date) of the latest digest whose sending time has come at `now` (naive UTC)."""
    local = utc_to_local(now).replace(tzinfo=None)
    monday = local.date() - timedelta(days=(local.weekday() - SEND_WEEKDAY) % 7)
    if local < datetime.combine(monday, SEND_TIME):
        monday -= timedelta(days=7)
    return monday


def sending_time(monday):
    """When the digest of `monday` is due, in naive UTC."""
    return local_to_utc(datetime.combine(monday, SEND_TIME))


def digest_key(monday):
    return f"digest:{monday.isoformat()}"


def _bounds(monday):
    """The week before `monday`, in naive UTC: [Monday before 00:00, `monday` 00:00)."""
    return (local_to_utc(datetime.combine(monday - timedelta(days=7), time())),
            local_to_utc(datetime.combine(monday, time())))


def _listed(user, query, count_query, extra=None):
    total = db.session.execute(policy.visible_incidents(user, count_query)).scalar() or 0
    items = []
    for row in db.session.execute(policy.visible_incidents(user, query).limit(LISTED)):
        item = {"reference": row.reference, "title": row.title}
        if extra:
            item.update(extra(row))
        items.append(item)
    return total, items


def _share(tally):
    return tally.share


def figures(user, monday, now):
    """The digest's context for `user`: plain JSON values."""
    start, end = _bounds(monday)
    opened = (Incident.created_at >= start, Incident.created_at < end, Incident.status.not_in(NOT_COUNTED))
    closed = (Incident.closed_at >= start, Incident.closed_at < end, Incident.status == "closed")
    overdue = (IncidentClock.stopped_at.is_(None), IncidentClock.due_at.is_not(None), IncidentClock.due_at < now)
    count = db.select(func.count()).select_from(Incident)
    listing = db.select(Incident.reference, Incident.title)
    n_opened, opened_items = _listed(user, listing.where(*opened).order_by(Incident.created_at, Incident.id),
                                     count.where(*opened))
    n_closed, closed_items = _listed(user, listing.where(*closed).order_by(Incident.closed_at, Incident.id),
                                     count.where(*closed))
    clocks = (db.select(Incident.reference, Incident.title, IncidentClock.key, IncidentClock.due_at)
              .join(IncidentClock, IncidentClock.incident_id == Incident.id).where(*overdue)
              .order_by(IncidentClock.due_at, IncidentClock.id))
    n_overdue, overdue_items = _listed(
        user, clocks, count.join(IncidentClock, IncidentClock.incident_id == Incident.id).where(*overdue),
        lambda row: {"duty": str(keys.label(row.key)),
                     "due": utc_to_local(row.due_at).strftime("%d/%m/%Y %H:%M")})
    today = utc_to_local(now).date()
    now_board, before_board = compliance(user, Filters(), today), compliance(user, Filters(), today - timedelta(days=7))
    last_day = monday - timedelta(days=1)
    return {
        "week": f"{(monday - timedelta(days=7)).strftime('%d/%m/%Y')} – {last_day.strftime('%d/%m/%Y')}",
        "week_from": (monday - timedelta(days=7)).strftime("%d/%m/%Y"), "week_to": last_day.strftime("%d/%m/%Y"),
        "opened": n_opened, "opened_items": opened_items,
        "closed": n_closed, "closed_items": closed_items,
        "overdue": n_overdue, "overdue_items": overdue_items,
        "systems": now_board.overall.systems,
        "all_valid": now_board.overall.all_valid, "all_valid_before": before_board.overall.all_valid,
        "share": _share(now_board.overall), "share_before": _share(before_board.overall),
        "url": base_url(current_app.config) + "/reports/summary",
    }


def recipients():
    return db.session.execute(db.select(User).where(User.active.is_(True), User.role.in_(RECIPIENT_ROLES))
                              .order_by(User.id)).scalars().all()


def _reachable(user):
    """Whether the outbox has an address for `user` (the rule `outbox.enqueue` applies: their
    enabled contact methods, else their account's e-mail), checked before the figures are made."""
    methods = db.session.execute(db.select(ContactMethod).where(ContactMethod.user_id == user.id)).scalars().all()
    return bool(decide.choose_targets(methods, None, (user.email or "").strip() or None))


def run(now=None):
    """Enqueue the digest of the week due to each recipient who has not had it; the number of
    notifications written. The caller commits."""
    now = now or utcnow()
    monday = week_due(now)
    if now - sending_time(monday) > CATCH_UP:
        return 0
    key = digest_key(monday)
    people = recipients()
    if not people:
        return 0
    done = set(db.session.execute(db.select(Notification.user_id).where(
        Notification.event == EVENT, Notification.digest_key == key)).scalars())
    written = 0
    for user in people:
        if user.id in done or not _reachable(user):
            continue
        try:
            with db.session.begin_nested():  # one recipient's failure leaves the others' rows
                with force_locale(user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE") or "vi"):
                    context = figures(user, monday, now)
                written += len(outbox.enqueue(EVENT, user, context, digest_key=key))
        except Exception:  # noqa: BLE001 - logged; the next run tries this person again
            logger.exception("weekly digest %s for user %s failed", key, user.id)
    if written:
        logger.info("weekly digest %s: %d notifications", key, written)
    return written
