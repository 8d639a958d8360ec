"""The filtered, keyset-paginated alert list (the API; the pages can use it too).

Newest first by id (ids grow with arrival); filters source, severity, status, incident (an id, or
"none" for alerts that went to no incident) and a window on `received_at` (since ≤ t < until).
Every query goes through `policy.visible`. No total count: alerts are many, and a count of a
large table per request is what the dashboards must never do (ARCHITECTURE.md flow 6).
"""
import base64
import json
from dataclasses import dataclass, field

from ..catalogue import gettext as _
from ..clock import parse_iso
from ..errors import ValidationError
from ..extensions import db
from ..ids import as_id
from . import policy
from .canonical import SEVERITIES, SOURCE_MAX, STATUSES
from .models import Alert

FILTER_KEYS = ("source", "severity", "status", "incident", "since", "until")
MAX_PAGE = 200
MAX_CURSOR = 100


@dataclass
class AlertQuery:
    source: str = ""
    severity: str = ""
    status: str = ""
    incident: str = ""   # an incident id, or "none"
    since: object = None
    until: object = None
    cursor: int = None   # the last id of the previous page
    limit: int = 50
    errors: dict = field(default_factory=dict)

    @classmethod
    def from_args(cls, args, default_limit=50):
        """Parse query arguments; ValidationError naming each bad one."""
        errors, q = {}, cls(limit=default_limit)
        for key in (*FILTER_KEYS, "cursor", "limit"):
            if len(args.getlist(key)) > 1:
                errors[key] = _("Give this parameter only once.")
        get = lambda k: (args.get(k) or "").strip()  # noqa: E731
        q.source, q.severity, q.status = get("source").lower(), get("severity"), get("status")
        q.incident = get("incident")
        if len(q.source) > SOURCE_MAX or "\x00" in q.source:
            errors["source"] = _("At most %(n)d characters.", n=SOURCE_MAX)
        if q.severity and q.severity not in SEVERITIES:
            errors["severity"] = _("One of: %(values)s.", values=", ".join(SEVERITIES))
        if q.status and q.status not in STATUSES:
            errors["status"] = _("One of: %(values)s.", values=", ".join(STATUSES))
        if q.incident and q.incident != "none" and as_id(q.incident) is None:
            errors["incident"] = _("An incident id, or none.")
        for key in ("since", "until"):
            text = get(key)
            if text:
                try:
                    setattr(q, key, parse_iso(text[:40]))
                except (ValueError, OverflowError):
                    errors[key] = _("A date and time such as 2026-12-03T08:00:00+07:00.")
        cursor = get("cursor")
        if cursor:
            q.cursor = _decode(cursor)
            if q.cursor is None:
                errors["cursor"] = _("Invalid page cursor.")
        limit = get("limit")
        if limit:
            if limit.isascii() and limit.isdigit() and 1 <= int(limit) <= MAX_PAGE:
                q.limit = int(limit)
            else:
                errors["limit"] = _("Between 1 and %(n)d.", n=MAX_PAGE)
        if errors:
            raise ValidationError(_("Some filters are not valid."), errors=errors)
        return q


def _encode(ident):
    return base64.urlsafe_b64encode(json.dumps([ident]).encode()).decode().rstrip("=")


def _decode(cursor):
    """The id a cursor made by `_encode` holds, or None (a cursor comes back from the client)."""
    if len(cursor) > MAX_CURSOR:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeError, RecursionError):
        return None
    if not isinstance(value, list) or len(value) != 1 or isinstance(value[0], bool):
        return None
    return as_id(value[0]) if isinstance(value[0], int) else None


def filtered(user, q):
    """The SELECT of visible alerts matching `q` (no order, no limit)."""
    query = policy.visible(user)
    for value, column in ((q.source, Alert.source), (q.severity, Alert.severity), (q.status, Alert.status)):
        if value:
            query = query.where(column == value)
    if q.incident == "none":
        query = query.where(Alert.incident_id.is_(None))
    elif q.incident:
        query = query.where(Alert.incident_id == int(q.incident))
    if q.since is not None:
        query = query.where(Alert.received_at >= q.since)
    if q.until is not None:
        query = query.where(Alert.received_at < q.until)
    return query


@dataclass
class Page:
    items: list
    next_cursor: str | None


def page(user, q):
    """One page of alerts (newest first) and the cursor of the next, in one statement."""
    query = filtered(user, q)
    if q.cursor is not None:
        query = query.where(Alert.id < q.cursor)
    rows = db.session.execute(query.order_by(Alert.id.desc()).limit(q.limit + 1)).scalars().all()
    next_cursor = None
    if len(rows) > q.limit:
        rows = rows[: q.limit]
        next_cursor = _encode(rows[-1].id)
    return Page(rows, next_cursor)
