"""An incident's links to the information systems and servers it affected, for the services.

`resolve` turns the ids a request names (`system_ids`, `server_ids`) into records, checking that
each exists, is visible to the acting user (`systems.policy`) and, when newly linked, is not
archived. Text in the "other" fields that names a record the actor may see (`affected.py`) is
linked too, and only what names nothing stays as text. On an edit, links the actor cannot see are
kept as they are: they edit only what they see.
"""
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import String, bindparam, cast, func, or_

from ..catalogue import gettext as _
from ..errors import invalid
from ..extensions import db
from ..systems import policy as systems_policy
from ..systems.models import InformationSystem, Server
from . import affected
from .models import incident_server, incident_system


@dataclass(frozen=True)
class Kind:
    ids_key: str     # the request's field of ids
    text_key: str    # the incident's free-text field
    relation: str    # Incident.<relation>
    model: type
    table: object    # the link table
    column: str      # its column naming the record
    sort: str        # the attribute the relationship is ordered by


SYSTEMS = Kind("system_ids", "affected_systems", "systems", InformationSystem, incident_system, "system_id", "code")
SERVERS = Kind("server_ids", "affected_servers", "servers", Server, incident_server, "server_id", "hostname")
KINDS = (SYSTEMS, SERVERS)
LINK_FIELDS = tuple(k.ids_key for k in KINDS)


def _visible(kind, actor, query):
    if kind is SYSTEMS:
        return systems_policy.visible_systems(actor, query)
    return systems_policy.visible_servers(actor, query)


def _named_in_text(kind, actor, text):
    """The ids of the records (visible to `actor`, not archived) that pieces of `text` name, and
    the text of the pieces that named none."""
    pieces = affected.pieces(text)
    if not pieces:
        return [], text
    model = kind.model
    query = db.select(model).where(model.archived_at.is_(None))
    if kind is SYSTEMS:
        query = query.where(or_(func.lower(model.code).in_([p.lower() for p in pieces]), model.name.in_(pieces)))
        refs = [affected.SystemRef(s.id, s.code, s.name)
                for s in db.session.execute(_visible(kind, actor, query)).scalars()]
        found = affected.match_systems(text, refs)
    else:
        addresses = [affected.address_key(p) for p in pieces if affected.is_address(p)]
        query = query.where(or_(func.lower(model.hostname).in_([p.lower() for p in pieces]),
                                *(cast(model.addresses, String).contains(f'"{a}"') for a in addresses)))
        refs = [affected.ServerRef(s.id, s.hostname, tuple(s.addresses or ()))
                for s in db.session.execute(_visible(kind, actor, query)).scalars()]
        found = affected.match_servers(text, refs)
    return found.ids, found.text


def _records(kind, actor, ids, current_ids, errors):
    """The records `ids` names, each visible to `actor`; archived ones only if already linked."""
    if not ids:
        return []
    model = kind.model
    rows = db.session.execute(_visible(kind, actor, db.select(model).where(model.id.in_(ids)))).scalars().all()
    found = {r.id: r for r in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        message = (_("No information system you may see has the id %(ids)s.", ids=", ".join(map(str, missing)))
                   if kind is SYSTEMS else
                   _("No server you may see has the id %(ids)s.", ids=", ".join(map(str, missing))))
        errors[kind.ids_key] = message
        return []
    archived = [r for r in rows if r.archived_at is not None and r.id not in current_ids]
    if archived:
        names = ", ".join(getattr(r, kind.sort) for r in archived)
        errors[kind.ids_key] = _("Archived, so it cannot be linked (restore it first): %(names)s.", names=names)
        return []
    return rows


@dataclass
class Change:
    """The records an incident should link to, per kind (None: leave that kind as it is)."""
    systems: list | None = None
    servers: list | None = None

    def __bool__(self):
        return self.systems is not None or self.servers is not None


def resolve(actor, values, incident=None):
    """Take `system_ids` / `server_ids` out of `values` (validated by `clean_incident`), match the
    text fields it holds, and return the Change to apply. Raises ValidationError (per field)."""
    errors, change = {}, Change()
    for kind in KINDS:
        requested = values.pop(kind.ids_key, None)
        matched = []
        if values.get(kind.text_key):
            matched, values[kind.text_key] = _named_in_text(kind, actor, values[kind.text_key])
        if requested is None and not matched:
            continue
        current = list(getattr(incident, kind.relation)) if incident is not None else []
        current_ids = {r.id for r in current}
        if requested is None:
            requested = [r.id for r in current]
        visible = ({r.id for r in db.session.execute(
            _visible(kind, actor, db.select(kind.model).where(kind.model.id.in_(current_ids)))).scalars()}
            if current_ids else set())
        kept_hidden = [r for r in current if r.id not in visible]  # the actor cannot see them: untouched
        wanted = affected.merge_ids(requested, matched)
        records = _records(kind, actor, [i for i in wanted if i not in {r.id for r in kept_hidden}],
                           current_ids, errors)
        setattr(change, kind.relation, sorted({r.id: r for r in records + kept_hidden}.values(),
                                              key=lambda r: getattr(r, kind.sort)))
    if errors:
        raise invalid(errors)
    return change


def ids_of(records):
    return sorted(r.id for r in records)


def insert_links(incident_id, change):
    """Write the links of a new incident (the caller commits)."""
    for kind in KINDS:
        records = getattr(change, kind.relation)
        if records:
            db.session.execute(kind.table.insert(), [{"incident_id": incident_id, kind.column: r.id}
                                                     for r in records])


def linked(incident_ids):
    """{incident id: {"systems": [...], "servers": [...]}} for the incidents `incident_ids`, as the
    API shows them, read by one statement whatever their number."""
    out = {i: {"systems": [], "servers": []} for i in incident_ids}
    if not out:
        return out
    for incident_id, kind, ident, a, b in db.session.execute(_linked_statement(), {"incident_ids": list(out)}):
        if kind == "s":
            out[incident_id]["systems"].append({"id": ident, "code": a, "name": b})
        else:
            out[incident_id]["servers"].append({"id": ident, "hostname": a})
    return out


@lru_cache(maxsize=1)
def _linked_statement():
    """`linked`'s SELECT, built once (building it cost as much as running it); the incidents'
    ids are bound at each execution."""
    ids = bindparam("incident_ids", expanding=True)
    s, v = InformationSystem.__table__, Server.__table__
    systems = (db.select(incident_system.c.incident_id, db.literal_column("'s'").label("kind"), s.c.id,
                         s.c.code.label("a"), s.c.name.label("b"))
               .join(s, s.c.id == incident_system.c.system_id)
               .where(incident_system.c.incident_id.in_(ids)))
    servers = (db.select(incident_server.c.incident_id, db.literal_column("'v'").label("kind"), v.c.id,
                         v.c.hostname.label("a"), db.literal_column("''").label("b"))
               .join(v, v.c.id == incident_server.c.server_id)
               .where(incident_server.c.incident_id.in_(ids)))
    return systems.union_all(servers).order_by("incident_id", "kind", "a")
