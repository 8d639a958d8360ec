"""Keyset pages of information systems and servers (for the API): filtered, in id order, through
the policy filters, with a constant number of SQL statements per page whatever its size: the page
(its agency joined), the linked records the reader may see, the hosts (servers), the count.

A cursor is the last id of the previous page, encoded; a forged one is refused, never trusted.
"""
import base64
from dataclasses import dataclass, field

from sqlalchemy import func, or_

from ..catalogue import gettext as _
from ..errors import ValidationError
from ..extensions import db
from ..ids import MAX_ID
from . import policy
from .models import LEVELS, SERVER_KINDS, InformationSystem, Server, system_server

MAX_PAGE = 200
DEFAULT_PAGE = 50
MAX_QUERY = 200
MAX_CURSOR = 40
ARCHIVED = ("", "false", "true", "only")  # leave out (default), include, only the archived ones


def _is_id(text):
    return text.isascii() and text.isdigit() and len(text) <= 9


def encode_cursor(ident):
    return base64.urlsafe_b64encode(f"id:{ident}".encode()).decode().rstrip("=")


def decode_cursor(cursor):
    """The id in a cursor made by `encode_cursor`, or None."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4)).decode("ascii")
    except (ValueError, UnicodeError):
        return None
    if not raw.startswith("id:") or not _is_id(raw[3:]):
        return None
    ident = int(raw[3:])
    return ident if 0 <= ident <= MAX_ID else None


@dataclass
class InventoryQuery:
    kind: str  # "systems" or "servers"
    agency: int | None = None
    level: int | None = None
    server_kind: str = ""
    q: str = ""
    archived: str = ""
    after: int | None = None
    limit: int = DEFAULT_PAGE
    errors: dict = field(default_factory=dict)

    @classmethod
    def from_args(cls, kind, args):
        """Parse query arguments exactly (no spaces around, each once); ValidationError naming
        every bad one."""
        lq, errors = cls(kind), {}
        allowed = ("agency", "level", "q", "archived", "cursor", "limit") if kind == "systems" else (
            "agency", "kind", "q", "archived", "cursor", "limit")
        for key in allowed:
            values = args.getlist(key)
            if not values:
                continue
            value = values[0]
            if len(values) > 1:
                errors[key] = _("Give this parameter only once.")
            elif key != "q" and value != value.strip():
                errors[key] = _("Remove the spaces around the value.")
            elif key == "agency" and value:
                if _is_id(value):
                    lq.agency = int(value)
                else:
                    errors[key] = _("Unknown agency.")
            elif key == "level" and value:
                if value in {str(n) for n in LEVELS}:
                    lq.level = int(value)
                else:
                    errors[key] = _("Choose a security level from 1 to 5.")
            elif key == "kind" and value:
                if value in SERVER_KINDS:
                    lq.server_kind = value
                else:
                    errors[key] = _("Allowed values: %(values)s.", values=", ".join(SERVER_KINDS))
            elif key == "q":
                if len(value) > MAX_QUERY:
                    errors[key] = _("At most %(n)d characters.", n=MAX_QUERY)
                elif "\x00" in value:
                    errors[key] = _("Contains a character that is not allowed.")
                else:
                    lq.q = value.strip()
            elif key == "archived":
                if value in ARCHIVED:
                    lq.archived = value
                else:
                    errors[key] = _("Allowed values: %(values)s.", values="false, true, only")
            elif key == "cursor" and value:
                ident = decode_cursor(value) if len(value) <= MAX_CURSOR else None
                if ident is None:
                    errors[key] = _("Invalid page cursor.")
                else:
                    lq.after = ident
            elif key == "limit":
                if value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_PAGE:
                    lq.limit = int(value)
                else:
                    errors[key] = _("Between 1 and %(n)d.", n=MAX_PAGE)
        if errors:
            raise ValidationError(_("Some filters are not valid."), errors=errors)
        return lq


def _like(columns, text):
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*(func.lower(c).like(pattern, escape="\\") for c in columns))


def filtered(user, lq):
    """The SELECT of the visible records matching `lq` (no order, no limit, no cursor)."""
    if lq.kind == "systems":
        model, agency_column = InformationSystem, InformationSystem.owner_agency_id
        query = policy.visible_systems(user)
        if lq.level is not None:
            query = query.where(InformationSystem.level == lq.level)
        text_columns = (InformationSystem.code, InformationSystem.name, InformationSystem.operator)
    else:
        model, agency_column = Server, Server.agency_id
        query = policy.visible_servers(user)
        if lq.server_kind:
            query = query.where(Server.kind == lq.server_kind)
        text_columns = (Server.hostname, Server.role, Server.operating_system, Server.data_centre)
    if lq.agency is not None:
        query = query.where(agency_column == lq.agency)
    if lq.q:
        query = query.where(_like(text_columns, lq.q))
    if lq.archived in ("", "false"):
        query = query.where(model.archived_at.is_(None))
    elif lq.archived == "only":
        query = query.where(model.archived_at.is_not(None))
    return query


@dataclass
class Page:
    items: list
    links: dict  # record id -> [(id, name)] of the linked records the reader may see
    hosts: dict  # server id -> (id, hostname) of its host, when the reader may see it
    next_cursor: str | None
    total: int


def linked_systems(user, server_ids):
    """{server id: [(system id, code)]} of the systems `user` may see."""
    if not server_ids:
        return {}
    query = policy.visible_systems(user, db.select(system_server.c.server_id, InformationSystem.id,
                                                   InformationSystem.code)
                                   .join(InformationSystem, InformationSystem.id == system_server.c.system_id)
                                   .where(system_server.c.server_id.in_(server_ids))
                                   .order_by(InformationSystem.code))
    out = {}
    for owner, ident, name in db.session.execute(query):
        out.setdefault(owner, []).append((ident, name))
    return out


def linked_servers(user, system_ids):
    """{system id: [(server id, hostname)]} of the servers `user` may see."""
    if not system_ids:
        return {}
    query = policy.visible_servers(user, db.select(system_server.c.system_id, Server.id, Server.hostname)
                                   .join(Server, Server.id == system_server.c.server_id)
                                   .where(system_server.c.system_id.in_(system_ids))
                                   .order_by(Server.hostname))
    out = {}
    for owner, ident, name in db.session.execute(query):
        out.setdefault(owner, []).append((ident, name))
    return out


def visible_hosts(user, host_ids):
    """{host id: (id, hostname)} of the hosts `user` may see."""
    if not host_ids:
        return {}
    query = policy.visible_servers(user, db.select(Server.id, Server.hostname).where(Server.id.in_(host_ids)))
    return {ident: (ident, name) for ident, name in db.session.execute(query)}


def page(user, lq):
    """One page of `lq` for `user`, and the cursor of the next."""
    model = InformationSystem if lq.kind == "systems" else Server
    base = filtered(user, lq)
    query = base
    if lq.after is not None:
        query = query.where(model.id > lq.after)
    rows = db.session.execute(query.order_by(model.id).limit(lq.limit + 1)).unique().scalars().all()
    next_cursor = None
    if len(rows) > lq.limit:
        rows = rows[:lq.limit]
        next_cursor = encode_cursor(rows[-1].id)
    ids = [r.id for r in rows]
    hosts = {}
    if lq.kind == "systems":
        links = linked_servers(user, ids)
    else:
        links = linked_systems(user, ids)
        if rows:  # always one statement for a non-empty page, hosts or not
            hosts = visible_hosts(user, sorted({r.host_id for r in rows if r.host_id is not None}) or [0])
    total = db.session.execute(base.with_only_columns(func.count(model.id)).order_by(None)).scalar()
    return Page(rows, links, hosts, next_cursor, total)
