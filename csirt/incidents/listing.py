"""The filtered, sorted, keyset-paginated incident list shared by the page, the CSV export and
the API. Sort fields come from an allow-list; every query goes through the visibility policy."""
import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from sqlalchemy import bindparam, func, or_, tuple_

from ..catalogue import gettext as _
from ..errors import ValidationError
from ..extensions import db
from ..ids import MAX_ID
from . import lifecycle, policy
from .models import Incident, incident_server, incident_system
from .vocab import CATEGORIES, PRIORITIES, SEVERITIES, STATUSES

SORTS = {
    "created": Incident.id,
    "updated": Incident.updated_at,
    "discovered": Incident.discovered_at,
    "priority": Incident.priority,
}
FILTER_KEYS = ("status", "severity", "category", "agency", "assignee", "system", "server", "q")
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
    system: str = ""  # an information system's id: the incidents linked to it
    server: str = ""  # a server's id
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
        if lq.system and not _is_id(lq.system):
            errors["system"] = _("Unknown information system.")
        if lq.server and not _is_id(lq.server):
            errors["server"] = _("Unknown server.")
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


def _values(user, lq):
    """The request's values, each bound into the list's statements under its own name: the
    statements themselves then depend only on the shape of the request (which filters, which
    sort), so one built statement serves every request of that shape (see `_statements`)."""
    values = {"page_limit": lq.limit + 1}
    if lq.status and lq.status != "open":
        values["f_status"] = lq.status
    if lq.severity:
        values["f_severity"] = lq.severity
    if lq.category:
        values["f_category"] = lq.category
    if lq.agency:
        values["f_agency"] = int(lq.agency)
    if lq.assignee == "me":
        values["f_assignee"] = user.id
    elif lq.assignee and lq.assignee != "none":
        values["f_assignee"] = int(lq.assignee)
    if lq.system:
        values["f_system"] = int(lq.system)
    if lq.server:
        values["f_server"] = int(lq.server)
    if lq.q:
        values["f_q"] = "%" + lq.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if lq.cursor:
        value, values["cursor_id"] = _decode_cursor(lq.cursor, lq.sort)
        if SORTS[lq.sort] is not Incident.id:
            values["cursor_value"] = value
    return values


def _narrowed(query, lq, values):
    """`query` narrowed by the filters of `lq`, their values bound by name from `values`."""
    if lq.status == "open":
        query = query.where(Incident.status.in_(lifecycle.OPEN_STATUSES))
    for name, column in (("f_status", Incident.status), ("f_severity", Incident.severity),
                         ("f_category", Incident.category), ("f_agency", Incident.agency_id),
                         ("f_assignee", Incident.assignee_id)):
        if name in values:
            query = query.where(column == bindparam(name, values[name]))
    if lq.assignee == "none":
        query = query.where(Incident.assignee_id.is_(None))
    for name, table, column in (("f_system", incident_system, incident_system.c.system_id),
                                ("f_server", incident_server, incident_server.c.server_id)):
        if name in values:
            query = query.where(Incident.id.in_(
                db.select(table.c.incident_id).where(column == bindparam(name, values[name]))))
    if "f_q" in values:
        pattern = bindparam("f_q", values["f_q"])
        query = query.where(or_(Incident.reference.ilike(pattern, escape="\\"),
                                Incident.title.ilike(pattern, escape="\\"),
                                Incident.description.ilike(pattern, escape="\\")))
    return query


def filtered(user, lq):
    """The SELECT of visible incidents matching the filters (no order, no limit)."""
    return _narrowed(policy.visible_incidents(user), lq, _values(user, lq))


def _ordered(query, lq, values):
    column = SORTS[lq.sort]
    key = (column, Incident.id) if column is not Incident.id else (Incident.id,)
    if "cursor_id" in values:
        ident = bindparam("cursor_id", values["cursor_id"])
        if column is Incident.id:
            query = query.where(Incident.id < ident if lq.direction == "desc" else Incident.id > ident)
        else:
            left = tuple_(column, Incident.id)
            right = tuple_(bindparam("cursor_value", values["cursor_value"], type_=column.type), ident)
            query = query.where(left < right if lq.direction == "desc" else left > right)
    order = [c.desc() if lq.direction == "desc" else c.asc() for c in key]
    return query.order_by(*order)


TOTAL = "list_total"  # the column of the count in the rows of a page read with `rows`

# Built statements by shape (see `_statements`); cleared when full, so it stays small.
_BUILT = {}
_BUILT_MAX = 512


def _scope_key(query):
    """An exact key for the policy's SELECT of visible incidents: its structure and the values
    bound in it (a liaison's agency). None when SQLAlchemy cannot key it: then nothing is kept.
    `_generate_cache_key` is what SQLAlchemy's own statement cache (and its caching recipe) use."""
    key = query._generate_cache_key()
    if key is None:
        return None
    return key.key, tuple(tuple(v) if isinstance(v := b.effective_value, list) else v for b in key.bindparams)


def _statements(user, lq, values, rows):
    """(page SELECT, count SELECT, page SELECT whose rows carry the count as TOTAL or None) for this
    request, built once per shape: building them and
    computing their cache keys cost a list request half as much as running them. The shape is the
    policy's SELECT for `user` (keyed exactly, values included), the filters present, the sort,
    and `rows`; every other value is bound by name from `values` at each execution."""
    visible = policy.visible_incidents(user)
    scope = _scope_key(visible)
    key = None if scope is None else (
        scope, tuple(sorted(values)), lq.status == "open", lq.assignee == "none", lq.sort, lq.direction, rows)
    built = _BUILT.get(key) if key is not None else None
    if built is None:
        base = _narrowed(visible, lq, values)
        query = _ordered(base, lq, values).limit(bindparam("page_limit", values["page_limit"]))
        count = base.with_only_columns(func.count(Incident.id)).order_by(None)
        if rows is None:
            built = (query, count, None)
        else:  # the rows also carry the count: one round trip fewer (an uncorrelated subquery, run once)
            shaped = rows(query)
            built = (shaped, count, shaped.add_columns(count.correlate(None).scalar_subquery().label(TOTAL)))
        if key is not None:
            if len(_BUILT) >= _BUILT_MAX:
                _BUILT.clear()
            _BUILT[key] = built
    return built


@dataclass
class Page:
    items: list
    next_cursor: str | None
    total: int


def page(user, lq, with_total=True, rows=None, bound=None):
    """One page of incidents and the cursor of the next.

    `rows`, when given, reshapes the page's SELECT (`rows(select)` returns the SELECT to run)
    and the page holds the plain rows it returns instead of Incident objects: for a caller that
    only reads values, so building ORM objects (six a row with the joined agency and people)
    is work for nothing. Those rows must carry `id` and the sort column under their names; with
    the total, each row also carries it as its last column (TOTAL), so the page and its count are
    one statement (a second only when a later page comes back empty).
    `bound`: the values of the parameters `rows` names (the SELECT is built once per shape, so
    a value that changes, such as the time, must be bound)."""
    values = _values(user, lq)
    query, count, counted = _statements(user, lq, values, rows)
    total = -1
    if rows is None:
        rows = db.session.execute(query, values).unique().scalars().all()
    elif with_total:
        rows = db.session.execute(counted, {**values, **(bound or {})}).all()
        if rows:
            total = rows[0][-1]
        elif "cursor_id" not in values:
            total = 0  # nothing on the first page: nothing matches
    else:
        rows = db.session.execute(query, {**values, **(bound or {})}).all()
    next_cursor = None
    if len(rows) > lq.limit:
        rows = rows[: lq.limit]
        last = rows[-1]
        value = getattr(last, SORTS[lq.sort].key)
        next_cursor = _encode_cursor(value, last.id)
    if with_total and total == -1:
        total = db.session.execute(count, values).scalar()
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
