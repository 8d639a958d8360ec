"""The filtered, sorted, keyset-paginated incident list shared by the page, the CSV export and
the API. Sort fields come from an allow-list; every query goes through the visibility policy."""
import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from flask_babel import gettext as _
from sqlalchemy import func, or_, tuple_

from ..errors import ValidationError
from ..extensions import db
from ..ids import MAX_ID
from . import lifecycle, policy
from .models import Incident
from .vocab import CATEGORIES, PRIORITIES, SEVERITIES, STATUSES

SORTS = {
    "created": Incident.id,
    "updated": Incident.updated_at,
    "discovered": Incident.discovered_at,
    "priority": Incident.priority,
}
FILTER_KEYS = ("status", "severity", "category", "agency", "assignee", "q")
# The list's query arguments: the only ones its page links carry (`ui.url_with`).
LINK_KEYS = FILTER_KEYS + ("sort", "dir", "cursor", "limit")
MAX_PAGE = 200
MAX_CURSOR = 200
MAX_QUERY = 200


def _is_id(text):
    """ASCII digits naming a possible row id: not "²", at most 9 digits (the API's documented limit,
    which also keeps the number inside the 32-bit id column)."""
    return text.isascii() and text.isdigit() and len(text) <= 9


@dataclass
class ListQuery:
    status: str = ""
    severity: str = ""
    category: str = ""
    agency: str = ""
    assignee: str = ""  # a user id, "me" or "none"
    q: str = ""
    sort: str = "created"
    direction: str = "desc"
    cursor: str = ""
    limit: int = 25
    errors: dict = field(default_factory=dict)
    link_keys: ClassVar[tuple] = LINK_KEYS

    @classmethod
    def from_args(cls, args, default_limit=25):
        """Parse query arguments; raises ValidationError naming each bad one."""
        errors = {}
        get = lambda k: (args.get(k) or "").strip()  # noqa: E731
        lq = cls(**{k: get(k) for k in FILTER_KEYS})
        lq.sort = get("sort") or "created"
        lq.direction = get("dir") or "desc"
        lq.cursor = get("cursor")
        if lq.status and lq.status not in STATUSES and lq.status != "open":
            errors["status"] = _("Unknown status.")
        if lq.severity and lq.severity not in SEVERITIES:
            errors["severity"] = _("Unknown severity.")
        if lq.category and lq.category not in CATEGORIES:
            errors["category"] = _("Unknown category.")
        if lq.agency and not _is_id(lq.agency):
            errors["agency"] = _("Unknown agency.")
        if lq.assignee and not (_is_id(lq.assignee) or lq.assignee in ("me", "none")):
            errors["assignee"] = _("Unknown assignee.")
        if len(lq.q) > MAX_QUERY:
            errors["q"] = _("At most %(n)d characters.", n=MAX_QUERY)
        elif "\x00" in lq.q:
            errors["q"] = _("Contains a character that is not allowed.")
        if lq.sort not in SORTS:
            errors["sort"] = _("Unknown sort field.")
        if lq.direction not in ("asc", "desc"):
            errors["dir"] = _("Sort direction must be asc or desc.")
        raw_limit = get("limit")
        try:
            lq.limit = int(raw_limit) if raw_limit else default_limit
            if not 1 <= lq.limit <= MAX_PAGE:
                raise ValueError
        except ValueError:
            errors["limit"] = _("Between 1 and %(n)d.", n=MAX_PAGE)
        if lq.cursor and (len(lq.cursor) > MAX_CURSOR or _decode_cursor(lq.cursor, lq.sort) is None):
            errors["cursor"] = _("Invalid page cursor.")
        if errors:
            raise ValidationError(_("Some filters are not valid."), errors=errors)
        return lq

    def active_filters(self):
        return {k: getattr(self, k) for k in FILTER_KEYS if getattr(self, k)}


def _encode_cursor(value, ident):
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([value, ident], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _is_row_id(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID


def _decode_cursor(cursor, sort):
    """(value, id) from a cursor made by `_encode_cursor` for `sort`, or None.

    A cursor comes back from the client, so it may be forged: it must hold exactly what
    `_encode_cursor` writes for that sort (an id; an ISO naive datetime as `isoformat()` writes
    it; one of the priorities), else a lone surrogate or an odd type would reach the query."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4))
        decoded = json.loads(raw)
        if not isinstance(decoded, list) or len(decoded) != 2:
            return None
        value, ident = decoded
        if not _is_row_id(ident):
            return None
        if sort in ("updated", "discovered"):
            if not isinstance(value, str) or not value.isascii():
                return None
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is not None or moment.isoformat() != value:  # the columns hold naive UTC
                return None
            value = moment
        elif sort == "created":
            if not _is_row_id(value):
                return None
        elif sort == "priority":
            if not isinstance(value, str) or value not in PRIORITIES:
                return None
        else:
            return None
        return value, ident
    except (ValueError, TypeError, OverflowError, RecursionError, UnicodeError):
        return None


def filtered(user, lq):
    """The SELECT of visible incidents matching the filters (no order, no limit)."""
    query = policy.visible_incidents(user)
    if lq.status == "open":
        query = query.where(Incident.status.in_(lifecycle.OPEN_STATUSES))
    elif lq.status:
        query = query.where(Incident.status == lq.status)
    if lq.severity:
        query = query.where(Incident.severity == lq.severity)
    if lq.category:
        query = query.where(Incident.category == lq.category)
    if lq.agency:
        query = query.where(Incident.agency_id == int(lq.agency))
    if lq.assignee == "me":
        query = query.where(Incident.assignee_id == user.id)
    elif lq.assignee == "none":
        query = query.where(Incident.assignee_id.is_(None))
    elif lq.assignee:
        query = query.where(Incident.assignee_id == int(lq.assignee))
    if lq.q:
        pattern = "%" + lq.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Incident.reference.ilike(pattern, escape="\\"),
                                Incident.title.ilike(pattern, escape="\\"),
                                Incident.description.ilike(pattern, escape="\\")))
    return query


def ordered(query, lq):
    column = SORTS[lq.sort]
    key = (column, Incident.id) if column is not Incident.id else (Incident.id,)
    if lq.cursor:
        value, ident = _decode_cursor(lq.cursor, lq.sort)
        if column is Incident.id:
            query = query.where(Incident.id < ident if lq.direction == "desc" else Incident.id > ident)
        else:
            left, right = tuple_(column, Incident.id), tuple_(value, ident)
            query = query.where(left < right if lq.direction == "desc" else left > right)
    order = [c.desc() if lq.direction == "desc" else c.asc() for c in key]
    return query.order_by(*order)


@dataclass
class Page:
    items: list
    next_cursor: str | None
    total: int


def page(user, lq, with_total=True):
    """One page of incidents and the cursor of the next."""
    base = filtered(user, lq)
    rows = db.session.execute(ordered(base, lq).limit(lq.limit + 1)).unique().scalars().all()
    next_cursor = None
    if len(rows) > lq.limit:
        rows = rows[: lq.limit]
        last = rows[-1]
        value = getattr(last, SORTS[lq.sort].key)
        next_cursor = _encode_cursor(value, last.id)
    total = -1
    if with_total:
        total = db.session.execute(base.with_only_columns(func.count(Incident.id)).order_by(None)).scalar()
    return Page(rows, next_cursor, total)


def iterate(user, lq, batch=1000):
    """Every matching incident in list order, fetched in keyset batches (for exports)."""
    lq = ListQuery(**{**lq.__dict__, "limit": batch, "cursor": ""})
    while True:
        result = page(user, lq, with_total=False)
        yield from result.items
        if not result.next_cursor:
            return
        lq.cursor = result.next_cursor
