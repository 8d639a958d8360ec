"""Import of information systems and servers from the CSV files `csvio` describes.

One import takes a systems file, a servers file or both (both at once is what restores a full
export into an empty database: each file names records of the other). Every row is validated by
`validation.py` like a form, every reference (agency, host, linked records) is resolved through
the policy filters, and every problem is collected as "line N: column: reason". If any row is
wrong nothing is written (one transaction, rolled back); otherwise one commit, with one audit
entry per created or changed record and one "systems.import" entry for the whole import.

A row creates a record, or updates the one with the same code / host name when the importer may
edit it. Links the importer cannot see are kept as they are (as in the forms); a list or host
cell names only records the importer may see.
"""
import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..audit.services import diff, record
from ..catalogue import gettext as _
from ..catalogue import lazy_gettext as _l
from ..clock import parse_iso, utcnow
from ..errors import DomainError
from ..extensions import db
from . import csvio, policy
from .csvio import CsvError, Problem
from .models import InformationSystem, Server
from .services import CODE_TAKEN, HOSTNAME_TAKEN, _server_snapshot, _system_snapshot
from .validation import check_server, check_system

logger = logging.getLogger(__name__)

# Columns whose text goes to the validator as it is; the others are read here.
SYSTEM_PLAIN = ("code", "name", "level", "operator", "purpose", "description", "information_kind", "served",
                "classification_notes", "level_decision", "level_decision_date", "level_approver", "hosting")
SERVER_PLAIN = ("hostname", "kind", "operating_system", "role", "data_centre", "rack", "baseline_ports",
                "antivirus_expected", "agent_expected")
LISTS = ("domains", "public_addresses", "addresses")
CHOICES = ("information_kind", "served")  # an empty cell keeps the default / the stored value
FIELD_COLUMNS = {"owner_agency_id": "owner_agency", "agency_id": "agency", "server_ids": "servers",
                 "system_ids": "systems", "host_id": "host"}
KIND_LABELS = {"systems": _l("Information systems"), "servers": _l("Servers")}


class ImportRefused(DomainError):
    """The files were not imported; `problems` is [(kind, Problem)], every one found."""

    status = 400

    def __init__(self, problems):
        super().__init__(_("Nothing was imported: correct the lines below and try again."))
        self.problems = problems


@dataclass
class Item:
    """One row of a file and the record it becomes."""
    kind: str
    line: int
    cells: dict
    obj: object = None
    created: bool = False
    before: dict = None
    links: list = None  # names in the list cell, when the file has the column
    host: str = None  # the host cell, when the file has the column
    archived: object = field(default=None)
    archived_given: bool = False


@dataclass
class Summary:
    created: dict
    updated: dict
    unchanged: dict


class _Run:
    """The state of one import: the problems found so far, per file."""

    def __init__(self, actor):
        self.actor = actor
        self.problems = []
        self.agencies = csvio.agencies_by_code()

    def problem(self, kind, line, column, reason):
        self.problems.append((kind, Problem(line, column, str(reason))))

    def field_errors(self, item, errors):
        for key, message in errors.items():
            self.problem(item.kind, item.line, FIELD_COLUMNS.get(key, key), message)


def import_files(actor, files):
    """Import `files` ({"systems": bytes, "servers": bytes}, either or both) for `actor`; a
    Summary, or ImportRefused naming every problem (and then nothing is written)."""
    files = {k: v for k, v in files.items() if v is not None}
    if not files:
        raise ImportRefused([("systems", Problem(1, None, _("Choose a file to import.")))])
    if "systems" in files:
        policy.require(policy.can_create_system(actor), _("You may not record information systems."))
    if "servers" in files:
        policy.require(policy.can_create_server(actor), _("You may not record servers."))
    run = _Run(actor)
    rows = {}
    for kind in ("systems", "servers"):
        if kind in files:
            try:
                _columns, found, problems = csvio.read_rows(files[kind], kind)
            except CsvError as err:
                run.problems += [(kind, p) for p in err.problems]
                continue
            run.problems += [(kind, p) for p in problems]
            rows[kind] = found
    if len(rows) < len(files):  # a file that cannot be read at all: say so before checking rows
        raise ImportRefused(run.problems)
    try:
        systems = _prepare(run, rows.get("systems", []), "systems") if "systems" in rows else []
        servers = _prepare(run, rows.get("servers", []), "servers") if "servers" in rows else []
        db.session.flush()
        _hosts(run, servers)
        _links(run, systems, servers)
        if run.problems:
            raise ImportRefused(sorted(run.problems, key=lambda p: (p[0] != "systems", p[1].line)))
        summary = _audit(actor, systems, servers)
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        raise ImportRefused([("systems", Problem(1, None, _(
            "Someone else changed the inventory during the import; try again.")))]) from None
    except Exception:
        db.session.rollback()
        raise
    logger.info("inventory import by %s: created %s, updated %s", actor.username, summary.created, summary.updated)
    return summary


# --- rows -> records ------------------------------------------------------------------------

def _key(kind, cells):
    raw = cells["code" if kind == "systems" else "hostname"].strip()
    return raw.upper() if kind == "systems" else raw.lower().rstrip(".")


def _existing(kind, keys):
    if not keys:
        return {}
    if kind == "systems":
        query = db.select(InformationSystem).where(InformationSystem.code.in_(keys)).options(
            selectinload(InformationSystem.servers))
        return {s.code: s for s in db.session.execute(query).scalars()}
    query = db.select(Server).where(Server.hostname.in_(keys)).options(selectinload(Server.systems))
    return {s.hostname: s for s in db.session.execute(query).scalars()}


def _prepare(run, rows, kind):
    """Validate every row of one file and create or change its record (without links); the
    rows that are wrong add problems and change nothing."""
    existing = _existing(kind, sorted({_key(kind, cells) for _line, cells in rows if _key(kind, cells)}))
    seen, items = {}, []
    for line, cells in rows:
        item = Item(kind, line, cells)
        key = _key(kind, cells)
        key_column = "code" if kind == "systems" else "hostname"
        if key and key in seen:
            run.problem(kind, line, key_column, _("Already given on line %(line)d.", line=seen[key]))
            continue
        if key:
            seen[key] = line
        item.obj = existing.get(key)
        if _apply(run, item):
            items.append(item)
    return items


def _data(run, item):
    """The validator's input from the row's cells, and the cells read here (agency, archive date,
    host and link names)."""
    kind, cells = item.kind, item.cells
    plain = SYSTEM_PLAIN if kind == "systems" else SERVER_PLAIN
    data = {c: cells[c] for c in plain if c in cells and not (c in CHOICES and not cells[c].strip())}
    data.update({c: csvio.split_list(cells[c]) for c in LISTS if c in cells})
    agency_column = "owner_agency" if kind == "systems" else "agency"
    field_name = agency_column + "_id"
    if agency_column in cells:
        code = cells[agency_column].strip()
        agency = run.agencies.get(code.upper())
        if not code:
            run.problem(kind, item.line, agency_column, _("This field is required."))
        elif agency is None or (not agency.active and getattr(item.obj, field_name, None) != agency.id):
            run.problem(kind, item.line, agency_column, _('Unknown agency "%(code)s".', code=code[:40]))
        else:
            data[field_name] = agency.id
    list_column = "servers" if kind == "systems" else "systems"
    if list_column in cells:
        item.links = csvio.split_list(cells[list_column])
    if "host" in cells:
        item.host = cells["host"].strip().lower().rstrip(".")
    if "archived_at" in cells:
        item.archived_given = True
        text = cells["archived_at"].strip()
        if text:
            try:
                item.archived = parse_iso(text)
            except ValueError:
                run.problem(kind, item.line, "archived_at", _("Not a valid date and time (ISO 8601)."))
            else:
                if item.archived > utcnow():
                    run.problem(kind, item.line, "archived_at", _("Cannot be in the future."))
    return data


def _apply(run, item):
    """Check one row against the rules and write it into its record; False when it is wrong."""
    actor, kind, obj = run.actor, item.kind, item.obj
    before = len(run.problems)
    systems = kind == "systems"
    key_column, agency_field = ("code", "owner_agency_id") if systems else ("hostname", "agency_id")
    if obj is not None:
        if not (policy.can_see_system(actor, obj) if systems else policy.can_see_server(actor, obj)):
            run.problem(kind, item.line, key_column, CODE_TAKEN if systems else HOSTNAME_TAKEN)
            return False
        if not (policy.can_edit_system(actor, obj) if systems else policy.can_edit_server(actor, obj)):
            run.problem(kind, item.line, key_column, _("You may not edit this information system.") if systems
                        else _("You may not edit this server."))
            return False
    data = _data(run, item)
    values, errors = (check_system if systems else check_server)(data, partial=obj is not None)
    run.field_errors(item, errors)
    agency_id = values.get(agency_field)
    if agency_id is not None and (obj is None or agency_id != getattr(obj, agency_field)):
        allowed = policy.can_create_system(actor, agency_id) if systems else policy.can_create_server(actor, agency_id)
        if not allowed:
            run.problem(kind, item.line, FIELD_COLUMNS[agency_field],
                        _("You may only record your own agency's systems and servers."))
    if not systems and obj is not None and obj.host_id is not None and values.get("kind") == "physical" \
            and item.host != "":
        run.problem(kind, item.line, "host", _("Only a virtual server runs on a host."))
    if obj is not None and obj.archived_at is not None and item.archived_given and item.archived is not None:
        changed = [k for k, v in values.items() if getattr(obj, k) != v]
        if changed:
            run.problem(kind, item.line, "archived_at",
                        _("This information system is archived; restore it before editing it.") if systems
                        else _("This server is archived; restore it before editing it."))
    if len(run.problems) > before:
        return False
    now = utcnow()
    if obj is None:
        model = InformationSystem if systems else Server
        item.obj = model(created_at=now, updated_at=now, archived_at=item.archived, **values)
        item.created = True
        db.session.add(item.obj)
        return True
    item.before = _system_snapshot(obj) if systems else _server_snapshot(obj)
    for key, value in values.items():
        setattr(obj, key, value)
    if item.archived_given:
        if item.archived is None:
            obj.archived_at = None
        elif obj.archived_at is None:
            obj.archived_at = item.archived
    return True


# --- hosts and links ------------------------------------------------------------------------

def _visible_by(model, column, names, actor):
    if not names:
        return {}
    visible = policy.visible_systems if model is InformationSystem else policy.visible_servers
    rows = db.session.execute(visible(actor, db.select(model).where(column.in_(sorted(names))))).scalars()
    return {getattr(r, column.key): r for r in rows}


def _hosts(run, servers):
    """Set the host of each virtual server whose row names one; check the kinds on both sides."""
    named = {i.host for i in servers if i.host}
    hosts = _visible_by(Server, Server.hostname, named, run.actor)
    for item in servers:
        server = item.obj
        if item.host is None:
            continue
        if not item.host:
            if server.host_id is not None and policy.can_see_server(run.actor, server.host):
                server.host = None
            continue
        host = hosts.get(item.host)
        if host is None or host is server:
            run.problem("servers", item.line, "host", _("Unknown host."))
        elif server.kind != "virtual":
            run.problem("servers", item.line, "host", _("Only a virtual server runs on a host."))
        elif host.kind != "physical":
            run.problem("servers", item.line, "host", _("The host must be a physical server."))
        elif host.archived_at is not None and server.host_id != host.id:
            run.problem("servers", item.line, "host", _("This host is archived."))
        else:
            server.host = host
    db.session.flush()
    virtual = {i.obj.id: i for i in servers if i.obj.kind == "virtual"}
    if virtual:
        guests = db.session.execute(db.select(Server.host_id).where(Server.host_id.in_(sorted(virtual)))).scalars()
        for host_id in set(guests):
            run.problem("servers", virtual[host_id].line, "kind",
                        _("Virtual servers run on this server; it must stay physical."))


def _wanted(run, items, model, column, list_column, unknown_message):
    """{item: the records its list cell names} for the rows that have the column."""
    names = {n for i in items if i.links is not None for n in i.links}
    if model is Server:
        names = {n.lower().rstrip(".") for n in names}
    else:
        names = {n.upper() for n in names}
    found = _visible_by(model, column, names, run.actor)
    out = {}
    for item in items:
        if item.links is None:
            continue
        current = {r.id for r in (item.obj.servers if model is Server else item.obj.systems)}
        records, bad = [], []
        for name in item.links:
            key = name.lower().rstrip(".") if model is Server else name.upper()
            record_ = found.get(key)
            if record_ is None or (record_.archived_at is not None and record_.id not in current):
                bad.append(name)
            elif record_ not in records:
                records.append(record_)
        if bad:
            run.problem(item.kind, item.line, list_column, unknown_message(", ".join(b[:60] for b in bad[:10])))
        else:
            out[id(item)] = (item, records)
    return out


def _links(run, systems, servers):
    """Link systems and servers as the list cells say; with both files, they must agree."""
    actor = run.actor
    by_system = _wanted(run, systems, Server, Server.hostname, "servers",
                        lambda names: _("Unknown or archived servers: %(ids)s.", ids=names))
    by_server = _wanted(run, servers, InformationSystem, InformationSystem.code, "systems",
                        lambda names: _("Unknown or archived information systems: %(ids)s.", ids=names))
    # Both files speak of the pairs (system of the systems file, server of the servers file).
    system_items = {s.obj.id: s for s, _records in by_system.values()}
    server_items = {v.obj.id: v for v, _records in by_server.values()}
    said_by_systems = {(s.obj.id, r.id) for s, records in by_system.values() for r in records if r.id in server_items}
    said_by_servers = {(r.id, v.obj.id) for v, records in by_server.values() for r in records if r.id in system_items}
    for system_id, server_id in sorted(said_by_systems ^ said_by_servers):
        system_item = system_items[system_id]
        run.problem("servers", server_items[server_id].line, "systems", _(
            "Does not agree with line %(line)d of the information systems file (%(code)s) about this server.",
            line=system_item.line, code=system_item.obj.code))
    if run.problems:
        return
    for item, records in by_system.values():
        hidden = [r for r in item.obj.servers if not policy.can_see_server(actor, r)]
        item.obj.servers = hidden + records
    for item, records in by_server.values():
        hidden = [r for r in item.obj.systems if not policy.can_see_system(actor, r)]
        item.obj.systems = hidden + records
    db.session.flush()


# --- audit ----------------------------------------------------------------------------------

def _audit(actor, systems, servers):
    counts = {k: {"created": 0, "updated": 0, "unchanged": 0} for k in ("systems", "servers")}
    now = utcnow()
    for kind, items, prefix, snapshot in (("systems", systems, "system", _system_snapshot),
                                          ("servers", servers, "server", _server_snapshot)):
        for item in items:
            after = snapshot(item.obj)
            if item.created:
                record(actor, f"{prefix}.create", item.obj, after=after)
                counts[kind]["created"] += 1
                continue
            changed_before, changed_after = diff(item.before, after)
            if not changed_after:
                counts[kind]["unchanged"] += 1
                continue
            item.obj.updated_at = now
            record(actor, f"{prefix}.update", item.obj, before=changed_before, after=changed_after)
            counts[kind]["updated"] += 1
    record(actor, "systems.import", object_type="inventory", object_id="csv", after=counts)
    return Summary(created={k: v["created"] for k, v in counts.items()},
                   updated={k: v["updated"] for k, v in counts.items()},
                   unchanged={k: v["unchanged"] for k, v in counts.items()})
