"""The inventory's rules: create, edit, archive and restore information systems and servers.

Each public function takes the acting user, checks the policy, validates (`validation.py`), checks
that what the data refers to exists and is the actor's to use, writes one audit entry and
commits once. Nothing is ever deleted: a system or server that incidents point to is archived,
and restoring it brings it back as it was. Every read goes through `policy`.
"""
import logging

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from .. import versions
from ..audit.services import clean, diff, record
from ..catalogue import gettext as _
from ..catalogue import lazy_gettext as _l
from ..clock import utcnow
from ..errors import Conflict, ValidationError, invalid
from ..extensions import db
from ..ids import as_id
from ..team.models import Agency
from . import policy
from .models import LEVELS, SERVER_KINDS, InformationSystem, Server
from .validation import SERVER_FIELDS, SYSTEM_FIELDS, check_server, check_system

logger = logging.getLogger(__name__)

SYSTEM_AUDITED = tuple(f for f in SYSTEM_FIELDS if f != "server_ids") + ("archived_at",)
SERVER_AUDITED = tuple(f for f in SERVER_FIELDS if f != "system_ids") + ("archived_at",)
MAX_LIST = 5000  # a page lists at most this many rows (the API pages by key instead)


# --- shared ----------------------------------------------------------------------------------

def _system_snapshot(system):
    values = {f: getattr(system, f) for f in SYSTEM_AUDITED}
    values["server_ids"] = sorted(s.id for s in system.servers)
    return clean(values)


def _server_snapshot(server):
    values = {f: getattr(server, f) for f in SERVER_AUDITED}
    values["system_ids"] = sorted(s.id for s in server.systems)
    return clean(values)




def _commit(conflict_message, unique_field, unique_message):
    """Commit; a lost version race becomes Conflict, a unique value taken meanwhile (the race the
    check before missed) becomes a ValidationError on that field. Nothing stays half-written."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict(conflict_message) from None
    except IntegrityError as err:
        db.session.rollback()
        if unique_field in str(err.orig).lower():
            raise invalid({unique_field: unique_message}) from None
        raise


def _agency(errors, field, agency_id, actor, current=None):
    """The agency a record belongs to: `agency_id` when given (the team chooses any active one;
    a liaison only their own), else `current`, else the actor's own."""
    if agency_id is None:
        return current if current is not None else actor.agency_id
    if agency_id != current and not policy.can_choose_agency(actor) and agency_id != actor.agency_id:
        errors[field] = _("You may only record your own agency's systems and servers.")
        return current
    agency = db.session.get(Agency, agency_id)
    if agency is None or (not agency.active and agency_id != current):
        errors[field] = _("Unknown agency.")
        return current
    return agency_id


def _visible_ids(actor, visible, model, ids):
    if not ids:
        return set()
    return set(db.session.execute(visible(actor, db.select(model.id).where(model.id.in_(ids)))).scalars())


def _linked(actor, errors, field, model, visible, wanted, current, message):
    """The records `wanted` (ids) linked after a change: those the actor may see must exist (and
    newly linked ones must not be archived); links the actor cannot see are kept as they are,
    so a liaison editing their side never drops a link made by the team. `message(ids)` says
    which ids were refused."""
    found = {}
    if wanted:
        rows = db.session.execute(visible(actor, db.select(model).where(model.id.in_(wanted)))).scalars().all()
        found = {r.id: r for r in rows}
    current_ids = {r.id for r in current}
    bad = [i for i in wanted if i not in found or (found[i].archived_at is not None and i not in current_ids)]
    if bad:
        errors[field] = message(", ".join(str(i) for i in bad[:10]))
        return list(current)
    seen = _visible_ids(actor, visible, model, current_ids)
    return [r for r in current if r.id not in seen] + [found[i] for i in wanted]


def _taken(column, value, obj=None):
    """Whether another record (archived ones too) already holds the unique `value`. A check for a
    clear message; the unique constraint still decides a race (`_commit`)."""
    model = column.class_
    query = db.select(model.id).where(column == value)
    if obj is not None:
        query = query.where(model.id != obj.id)
    return db.session.execute(query.limit(1)).first() is not None


def _archive(actor, obj, action, archived):
    before = {"archived_at": obj.archived_at}
    now = utcnow()
    obj.archived_at = now if archived else None
    obj.updated_at = now
    record(actor, action, obj, before=before, after={"archived_at": obj.archived_at})


# --- information systems ---------------------------------------------------------------------

SYSTEM_CONFLICT = _l("Someone else changed this information system; reload it and try again.")
CODE_TAKEN = _l("Another information system already has this code.")


def _system_rules(actor, values, errors, system=None):
    """Check what `values` refer to and turn server_ids into the servers to link."""
    current_agency = system.owner_agency_id if system is not None else None
    if "owner_agency_id" in values or system is None:
        values["owner_agency_id"] = _agency(errors, "owner_agency_id", values.get("owner_agency_id"), actor,
                                            current_agency)
    code = values.get("code")
    if code and "code" not in errors and (system is None or code != system.code) and \
            _taken(InformationSystem.code, code, system):
        errors["code"] = str(CODE_TAKEN)
    if "server_ids" in values:
        values["servers"] = _linked(actor, errors, "server_ids", Server, policy.visible_servers,
                                    values.pop("server_ids"), list(system.servers) if system else [],
                                    lambda ids: _("Unknown or archived servers: %(ids)s.", ids=ids))


def create_system(actor, data):
    """A new information system from `data` (validated here)."""
    policy.require(policy.can_create_system(actor), _("You may not record information systems."))
    values, errors = check_system(data)
    _system_rules(actor, values, errors)
    if errors:
        raise invalid(errors)
    policy.require(policy.can_create_system(actor, values["owner_agency_id"]),
                   _("You may not record information systems for this agency."))
    now = utcnow()
    servers = values.pop("servers", [])
    system = InformationSystem(created_at=now, updated_at=now, **values)
    system.servers = servers
    db.session.add(system)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise invalid({"code": str(CODE_TAKEN)}) from None
    record(actor, "system.create", system, after=_system_snapshot(system))
    _commit(str(SYSTEM_CONFLICT), "code", str(CODE_TAKEN))
    logger.info("information system %s created by %s", system.code, actor.username)
    return system


def get_system(actor, system_id):
    """The system, or NotFound when it does not exist or `actor` may not see it."""
    return policy.get_system(actor, system_id)


def update_system(actor, system_id, data, version=None):
    """Change the fields present in `data`; refuses a stale `version`."""
    system = policy.get_system(actor, system_id)
    policy.require(policy.can_edit_system(actor, system), _("You may not edit this information system."))
    if system.archived_at is not None:
        raise ValidationError(_("This information system is archived; restore it before editing it."))
    versions.check_version(system, version, str(SYSTEM_CONFLICT))
    values, errors = check_system(data, partial=True)
    _system_rules(actor, values, errors, system)
    if errors:
        raise invalid(errors)
    before = _system_snapshot(system)
    servers = values.pop("servers", None)
    for key, value in values.items():
        setattr(system, key, value)
    if servers is not None and {s.id for s in servers} != {s.id for s in system.servers}:
        system.servers = servers
    changed_before, changed_after = diff(before, _system_snapshot(system))
    if not changed_after:
        return system
    system.updated_at = utcnow()  # also raises the version when only the links changed
    record(actor, "system.update", system, before=changed_before, after=changed_after)
    _commit(str(SYSTEM_CONFLICT), "code", str(CODE_TAKEN))
    if "owner_agency_id" in changed_after:
        db.session.expire(system, ["owner_agency"])
    return system


def archive_system(actor, system_id, version=None):
    """Hide the system from the lists and from new links; it stays for the incidents and reports
    that name it."""
    system = policy.get_system(actor, system_id)
    policy.require(policy.can_edit_system(actor, system), _("You may not archive this information system."))
    versions.check_version(system, version, str(SYSTEM_CONFLICT))
    if system.archived_at is None:
        _archive(actor, system, "system.archive", True)
        _commit(str(SYSTEM_CONFLICT), "code", str(CODE_TAKEN))
    return system


def restore_system(actor, system_id, version=None):
    system = policy.get_system(actor, system_id)
    policy.require(policy.can_edit_system(actor, system), _("You may not restore this information system."))
    versions.check_version(system, version, str(SYSTEM_CONFLICT))
    if system.archived_at is not None:
        _archive(actor, system, "system.restore", False)
        _commit(str(SYSTEM_CONFLICT), "code", str(CODE_TAKEN))
    return system


def _text_filter(columns, text):
    text = (text or "").strip()[:100]
    if not text:
        return None
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return db.or_(*(db.func.lower(c).like(pattern, escape="\\") for c in columns))


def _flag(value):
    return value in (True, 1, "1", "true", "on", "yes", "y")


def list_systems(user, filters=None):
    """The systems `user` may see, filtered by `filters` (agency_id, level, q, archived: include
    archived ones), the highest level first; their servers and agency loaded with them."""
    filters = filters or {}
    query = policy.visible_systems(user).options(selectinload(InformationSystem.servers))
    agency_id = as_id(filters.get("agency_id"))
    if agency_id is not None:
        query = query.where(InformationSystem.owner_agency_id == agency_id)
    level = as_id(filters.get("level"))
    if level in LEVELS:
        query = query.where(InformationSystem.level == level)
    text = _text_filter((InformationSystem.code, InformationSystem.name, InformationSystem.operator),
                        filters.get("q"))
    if text is not None:
        query = query.where(text)
    if not _flag(filters.get("archived")):
        query = query.where(InformationSystem.archived_at.is_(None))
    query = query.order_by(InformationSystem.level.desc(), InformationSystem.name, InformationSystem.id)
    return db.session.execute(query.limit(MAX_LIST)).scalars().all()


# --- servers ---------------------------------------------------------------------------------

SERVER_CONFLICT = _l("Someone else changed this server; reload it and try again.")
HOSTNAME_TAKEN = _l("Another server already has this host name.")


def _server_rules(actor, values, errors, server=None):
    """Check what `values` refer to (agency, host, systems) against the server as it will be."""
    current_agency = server.agency_id if server is not None else None
    if "agency_id" in values or server is None:
        values["agency_id"] = _agency(errors, "agency_id", values.get("agency_id"), actor, current_agency)
    hostname = values.get("hostname")
    if hostname and "hostname" not in errors and (server is None or hostname != server.hostname) and \
            _taken(Server.hostname, hostname, server):
        errors["hostname"] = str(HOSTNAME_TAKEN)
    kind = values.get("kind", server.kind if server is not None else None)
    host_id = values["host_id"] if "host_id" in values else (server.host_id if server is not None else None)
    if "host_id" not in errors and kind in SERVER_KINDS:
        if host_id is not None and kind == "physical":
            errors["host_id"] = _("Only a virtual server runs on a host.")
        elif host_id is not None and "host_id" in values and (server is None or host_id != server.host_id):
            host = db.session.execute(policy.visible_servers(actor, db.select(Server).where(
                Server.id == host_id))).scalar_one_or_none()
            if host is None or (server is not None and host.id == server.id):
                errors["host_id"] = _("Unknown host.")
            elif host.kind != "physical":
                errors["host_id"] = _("The host must be a physical server.")
            elif host.archived_at is not None:
                errors["host_id"] = _("This host is archived.")
    if server is not None and kind == "virtual" and server.kind == "physical" and "kind" not in errors:
        guests = db.select(Server.id).where(Server.host_id == server.id).limit(1)
        if db.session.execute(guests).first() is not None:
            errors["kind"] = _("Virtual servers run on this server; it must stay physical.")
    if "system_ids" in values:
        values["systems"] = _linked(actor, errors, "system_ids", InformationSystem, policy.visible_systems,
                                    values.pop("system_ids"), list(server.systems) if server else [],
                                    lambda ids: _("Unknown or archived information systems: %(ids)s.", ids=ids))


def create_server(actor, data):
    """A new server from `data` (validated here)."""
    policy.require(policy.can_create_server(actor), _("You may not record servers."))
    values, errors = check_server(data)
    _server_rules(actor, values, errors)
    if errors:
        raise invalid(errors)
    policy.require(policy.can_create_server(actor, values["agency_id"]),
                   _("You may not record servers for this agency."))
    now = utcnow()
    systems = values.pop("systems", [])
    server = Server(created_at=now, updated_at=now, **values)
    server.systems = systems
    db.session.add(server)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise invalid({"hostname": str(HOSTNAME_TAKEN)}) from None
    record(actor, "server.create", server, after=_server_snapshot(server))
    _commit(str(SERVER_CONFLICT), "hostname", str(HOSTNAME_TAKEN))
    logger.info("server %s created by %s", server.hostname, actor.username)
    return server


def get_server(actor, server_id):
    return policy.get_server(actor, server_id)


def update_server(actor, server_id, data, version=None):
    """Change the fields present in `data`; refuses a stale `version`."""
    server = policy.get_server(actor, server_id)
    policy.require(policy.can_edit_server(actor, server), _("You may not edit this server."))
    if server.archived_at is not None:
        raise ValidationError(_("This server is archived; restore it before editing it."))
    versions.check_version(server, version, str(SERVER_CONFLICT))
    values, errors = check_server(data, partial=True)
    _server_rules(actor, values, errors, server)
    if errors:
        raise invalid(errors)
    before = _server_snapshot(server)
    systems = values.pop("systems", None)
    for key, value in values.items():
        setattr(server, key, value)
    if systems is not None and {s.id for s in systems} != {s.id for s in server.systems}:
        server.systems = systems
    changed_before, changed_after = diff(before, _server_snapshot(server))
    if not changed_after:
        return server
    server.updated_at = utcnow()
    record(actor, "server.update", server, before=changed_before, after=changed_after)
    _commit(str(SERVER_CONFLICT), "hostname", str(HOSTNAME_TAKEN))
    stale = [rel for rel, key in (("agency", "agency_id"), ("host", "host_id")) if key in changed_after]
    if stale:
        db.session.expire(server, stale)
    return server


def archive_server(actor, server_id, version=None):
    server = policy.get_server(actor, server_id)
    policy.require(policy.can_edit_server(actor, server), _("You may not archive this server."))
    versions.check_version(server, version, str(SERVER_CONFLICT))
    if server.archived_at is None:
        _archive(actor, server, "server.archive", True)
        _commit(str(SERVER_CONFLICT), "hostname", str(HOSTNAME_TAKEN))
    return server


def restore_server(actor, server_id, version=None):
    server = policy.get_server(actor, server_id)
    policy.require(policy.can_edit_server(actor, server), _("You may not restore this server."))
    versions.check_version(server, version, str(SERVER_CONFLICT))
    if server.archived_at is not None:
        _archive(actor, server, "server.restore", False)
        _commit(str(SERVER_CONFLICT), "hostname", str(HOSTNAME_TAKEN))
    return server


def list_servers(user, filters=None):
    """The servers `user` may see, filtered by `filters` (agency_id, kind, q, archived)."""
    filters = filters or {}
    query = policy.visible_servers(user).options(selectinload(Server.systems))
    agency_id = as_id(filters.get("agency_id"))
    if agency_id is not None:
        query = query.where(Server.agency_id == agency_id)
    if filters.get("kind") in SERVER_KINDS:
        query = query.where(Server.kind == filters["kind"])
    text = _text_filter((Server.hostname, Server.role, Server.operating_system, Server.data_centre),
                        filters.get("q"))
    if text is not None:
        query = query.where(text)
    if not _flag(filters.get("archived")):
        query = query.where(Server.archived_at.is_(None))
    query = query.order_by(Server.kind, Server.hostname, Server.id)
    return db.session.execute(query.limit(MAX_LIST)).scalars().all()
