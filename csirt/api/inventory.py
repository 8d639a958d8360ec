"""/api/v1/systems and /api/v1/servers: the inventory as JSON, over the same services and policy
filters as the pages. Reads need the scope systems:read, changes systems:write. A record the
token's user may not see answers 404, like one that does not exist.
"""
import re

from flask import g, jsonify, request, url_for

from ..catalogue import gettext as _
from ..errors import ValidationError
from ..systems import listing, policy, services
from . import inventory_schemas as schemas
from .views import _iso, _validated, bp, scope

IF_MATCH_RE = re.compile(r'(?:W/)?"?([0-9]{1,9})"?')


def _agency(agency):
    return {"id": agency.id, "code": agency.code, "name": agency.name}


def _day(value):
    return None if value is None else value.isoformat()


def system_json(system, servers):
    """The API's view of a system; `servers` are the (id, hostname) the reader may see."""
    return {
        "id": system.id, "code": system.code, "name": system.name, "level": system.level,
        "owner_agency": _agency(system.owner_agency), "operator": system.operator, "purpose": system.purpose,
        "description": system.description, "information_kind": system.information_kind, "served": system.served,
        "classification_notes": system.classification_notes, "level_decision": system.level_decision,
        "level_decision_date": _day(system.level_decision_date), "level_approver": system.level_approver,
        "domains": list(system.domains or []), "public_addresses": list(system.public_addresses or []),
        "hosting": system.hosting, "servers": [{"id": i, "hostname": n} for i, n in servers],
        "archived_at": _iso(system.archived_at), "created_at": _iso(system.created_at),
        "updated_at": _iso(system.updated_at), "version": system.version,
    }


def server_json(server, systems, host):
    """The API's view of a server; `systems` the (id, code) and `host` the (id, hostname) or None
    the reader may see."""
    return {
        "id": server.id, "hostname": server.hostname, "agency": _agency(server.agency),
        "addresses": list(server.addresses or []), "kind": server.kind,
        "host": None if host is None else {"id": host[0], "hostname": host[1]},
        "operating_system": server.operating_system, "role": server.role, "data_centre": server.data_centre,
        "rack": server.rack, "baseline_ports": server.baseline_ports,
        "antivirus_expected": server.antivirus_expected, "agent_expected": server.agent_expected,
        "systems": [{"id": i, "code": c} for i, c in systems],
        "archived_at": _iso(server.archived_at), "created_at": _iso(server.created_at),
        "updated_at": _iso(server.updated_at), "version": server.version,
    }


def _one_system(system):
    user = g.api_user
    servers = [(s.id, s.hostname) for s in system.servers if policy.can_see_server(user, s)]
    return system_json(system, sorted(servers, key=lambda p: p[1]))


def _one_server(server):
    user = g.api_user
    systems = [(s.id, s.code) for s in server.systems if policy.can_see_system(user, s)]
    host = server.host
    shown = (host.id, host.hostname) if host is not None and policy.can_see_server(user, host) else None
    return server_json(server, sorted(systems, key=lambda p: p[1]), shown)


def _answer(body, status=200, headers=None):
    headers = {"ETag": f'"{body["version"]}"', **(headers or {})}
    return jsonify(body), status, headers


def _version(data):
    """The version a change is based on: the body's `version`, else the If-Match header."""
    version = data.pop("version", None)
    header = request.headers.get("If-Match")
    if version is None and header is not None:
        match = IF_MATCH_RE.fullmatch(header.strip())
        if match is None:
            raise ValidationError(_("The request body is not valid."),
                                  errors={"If-Match": _('Give the version as the ETag showed it, e.g. "3".')})
        version = int(match.group(1))
    if not data:
        raise ValidationError(_("Nothing to update."))
    return version


# --- information systems -------------------------------------------------------------------

@bp.get("/systems")
@scope("systems:read")
def list_systems():
    lq = listing.InventoryQuery.from_args("systems", request.args)
    result = listing.page(g.api_user, lq)
    return jsonify({"items": [system_json(s, result.links.get(s.id, [])) for s in result.items],
                    "next_cursor": result.next_cursor, "total": result.total})


@bp.get("/systems/<int:system_id>")
@scope("systems:read")
def get_system(system_id):
    return _answer(_one_system(services.get_system(g.api_user, system_id)))


@bp.post("/systems")
@scope("systems:write")
def create_system():
    data = _validated(schemas.SYSTEM_CREATE)
    system = services.create_system(g.api_user, data)
    return _answer(_one_system(system), 201, {"Location": url_for("api.get_system", system_id=system.id)})


@bp.patch("/systems/<int:system_id>")
@scope("systems:write")
def update_system(system_id):
    services.get_system(g.api_user, system_id)  # 404 before the body is read
    data = _validated(schemas.SYSTEM_UPDATE)
    version = _version(data)
    return _answer(_one_system(services.update_system(g.api_user, system_id, data, version)))


# --- servers -------------------------------------------------------------------------------

@bp.get("/servers")
@scope("systems:read")
def list_servers():
    lq = listing.InventoryQuery.from_args("servers", request.args)
    result = listing.page(g.api_user, lq)
    return jsonify({"items": [server_json(s, result.links.get(s.id, []), result.hosts.get(s.host_id))
                              for s in result.items],
                    "next_cursor": result.next_cursor, "total": result.total})


@bp.get("/servers/<int:server_id>")
@scope("systems:read")
def get_server(server_id):
    return _answer(_one_server(services.get_server(g.api_user, server_id)))


@bp.post("/servers")
@scope("systems:write")
def create_server():
    data = _validated(schemas.SERVER_CREATE)
    server = services.create_server(g.api_user, data)
    return _answer(_one_server(server), 201, {"Location": url_for("api.get_server", server_id=server.id)})


@bp.patch("/servers/<int:server_id>")
@scope("systems:write")
def update_server(server_id):
    services.get_server(g.api_user, server_id)
    data = _validated(schemas.SERVER_UPDATE)
    version = _version(data)
    return _answer(_one_server(services.update_server(g.api_user, server_id, data, version)))
