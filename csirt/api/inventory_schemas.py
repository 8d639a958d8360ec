"""JSON schemas of /api/v1/systems and /api/v1/servers, their examples and their OpenAPI paths.

The schemas check the shape (types, lengths, enums); `systems/validation.py` then checks the
content (addresses, ports, dates, codes) exactly as for the forms and the CSV import.
"""
from ..ids import MAX_ID
from ..systems.listing import ARCHIVED, MAX_CURSOR, MAX_PAGE, MAX_QUERY
from ..systems.models import INFORMATION_KINDS, LEVELS, SERVED, SERVER_KINDS
from ..systems.validation import SERVER_TEXT, SYSTEM_TEXT

_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_VERSION = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _text(n):
    return {"type": "string", "maxLength": n}


def _names(n, item_length):
    return {"type": "array", "maxItems": n, "items": {"type": "string", "minLength": 1, "maxLength": item_length}}


SYSTEM_FIELDS = {
    "code": {"type": "string", "minLength": 1, "maxLength": 32, "pattern": "^[A-Za-z0-9_-]+$"},
    "name": {"type": "string", "minLength": 1, "maxLength": SYSTEM_TEXT["name"], "pattern": r"\S"},
    "level": {"type": "integer", "enum": list(LEVELS)},
    "owner_agency_id": _ID,
    **{k: _text(n) for k, n in SYSTEM_TEXT.items() if k != "name"},
    "information_kind": {"type": "string", "enum": list(INFORMATION_KINDS)},
    "served": {"type": "string", "enum": list(SERVED)},
    "level_decision_date": {"type": ["string", "null"], "format": "date", "maxLength": 10},
    "domains": _names(1000, 253),
    "public_addresses": _names(1000, 45),
    "server_ids": {"type": "array", "maxItems": 1000, "items": _ID},
}

SERVER_FIELDS = {
    "hostname": {"type": "string", "minLength": 1, "maxLength": 100},
    "agency_id": _ID,
    "addresses": _names(1000, 45),
    "kind": {"type": "string", "enum": list(SERVER_KINDS)},
    "host_id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID},
    **{k: _text(n) for k, n in SERVER_TEXT.items()},
    "baseline_ports": _text(20000),
    "system_ids": {"type": "array", "maxItems": 1000, "items": _ID},
}

SYSTEM_CREATE = {"type": "object", "properties": SYSTEM_FIELDS, "required": ["code", "name", "level"],
                 "additionalProperties": False}
SYSTEM_UPDATE = {"type": "object", "properties": {**SYSTEM_FIELDS, "version": _VERSION},
                 "additionalProperties": False, "minProperties": 1}
SERVER_CREATE = {"type": "object", "properties": SERVER_FIELDS, "required": ["hostname", "addresses", "kind"],
                 "additionalProperties": False}
SERVER_UPDATE = {"type": "object", "properties": {**SERVER_FIELDS, "version": _VERSION},
                 "additionalProperties": False, "minProperties": 1}

_AGENCY = {"type": "object", "properties": {"id": {"type": "integer"}, "code": {"type": "string"},
                                            "name": {"type": "string"}}, "required": ["id", "code", "name"]}
_MOMENT = {"type": ["string", "null"]}
_STRINGS = {"type": "array", "items": {"type": "string"}}


def _link(name):
    return {"type": "object", "properties": {"id": {"type": "integer"}, name: {"type": "string"}},
            "required": ["id", name]}


SYSTEM_OUT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
        "level": {"type": "integer"}, "owner_agency": _AGENCY,
        **{k: {"type": "string"} for k in SYSTEM_TEXT if k != "name"},
        "information_kind": {"type": "string"}, "served": {"type": "string"},
        "level_decision_date": {"type": ["string", "null"]},
        "domains": _STRINGS, "public_addresses": _STRINGS,
        "servers": {"type": "array", "items": _link("hostname")},
        "archived_at": _MOMENT, "created_at": {"type": "string"}, "updated_at": {"type": "string"},
        "version": {"type": "integer"},
    },
    "required": ["id", "code", "name", "level", "owner_agency", "servers", "archived_at", "version"],
}

SERVER_OUT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "hostname": {"type": "string"}, "agency": _AGENCY,
        "addresses": _STRINGS, "kind": {"type": "string"},
        "host": {"oneOf": [{"type": "null"}, _link("hostname")]},
        **{k: {"type": "string"} for k in SERVER_TEXT}, "baseline_ports": {"type": "string"},
        "systems": {"type": "array", "items": _link("code")},
        "archived_at": _MOMENT, "created_at": {"type": "string"}, "updated_at": {"type": "string"},
        "version": {"type": "integer"},
    },
    "required": ["id", "hostname", "agency", "addresses", "kind", "host", "systems", "archived_at", "version"],
}


def _page(ref):
    return {"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": ref}},
        "next_cursor": {"type": ["string", "null"]}, "total": {"type": "integer"}},
        "required": ["items", "next_cursor", "total"]}


COMPONENTS = {
    "System": SYSTEM_OUT, "SystemCreate": SYSTEM_CREATE, "SystemUpdate": SYSTEM_UPDATE,
    "SystemPage": _page("#/components/schemas/System"),
    "Server": SERVER_OUT, "ServerCreate": SERVER_CREATE, "ServerUpdate": SERVER_UPDATE,
    "ServerPage": _page("#/components/schemas/Server"),
}

EXAMPLES = {
    "SystemCreate": {
        "code": "IGATE", "name": "Cổng dịch vụ công tỉnh", "level": 3, "owner_agency_id": 2,
        "operator": "Trung tâm Công nghệ thông tin và Truyền thông", "purpose": "Tiếp nhận hồ sơ trực tuyến",
        "information_kind": "internal", "served": "public_service", "level_decision": "123/QĐ-UBND",
        "level_decision_date": "2024-05-20", "domains": ["dichvucong.example.gov.vn"],
        "public_addresses": ["203.0.113.10"], "hosting": "Trung tâm dữ liệu tỉnh", "server_ids": [4, 5],
    },
    "SystemUpdate": {"level": 4, "level_decision": "45/QĐ-UBND", "version": 2},
    "ServerCreate": {
        "hostname": "igate-app01", "addresses": ["10.10.1.21", "2001:db8::21"], "kind": "virtual", "host_id": 1,
        "operating_system": "Ubuntu 22.04", "role": "Máy chủ ứng dụng", "data_centre": "TTDL tỉnh", "rack": "R02",
        "baseline_ports": "22/tcp, 443/tcp", "antivirus_expected": "BKAV Endpoint",
        "agent_expected": "Wazuh agent", "system_ids": [3],
    },
    "ServerUpdate": {"baseline_ports": "22/tcp, 443/tcp, 161/udp", "version": 3},
}

_PAGE_PARAMS = [
    ("agency", {"type": "string", "pattern": "^[0-9]*$", "maxLength": 9}),
    ("q", {"type": "string", "maxLength": MAX_QUERY}),
    ("archived", {"type": "string", "enum": list(ARCHIVED)}),
    ("cursor", {"type": "string", "maxLength": MAX_CURSOR}),
    ("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
]
SYSTEM_LIST_PARAMS = [("level", {"type": "string", "enum": ["", *(str(n) for n in LEVELS)]}), *_PAGE_PARAMS]
SERVER_LIST_PARAMS = [("kind", {"type": "string", "enum": ["", *SERVER_KINDS]}), *_PAGE_PARAMS]

IF_MATCH = {"name": "If-Match", "in": "header", "required": False,
            "description": 'The version the change is based on, as the ETag of the GET gave it ("3"); '
                           "the body's `version` wins when both are given.",
            "schema": {"type": "string", "pattern": '^(W/)?"?[0-9]{1,9}"?$', "maxLength": 14}}
ETAG = {"ETag": {"description": 'The record\'s version, e.g. "3" (send it back in If-Match)',
                 "schema": {"type": "string"}}}


def paths(ok, errors, body):
    """The OpenAPI paths of the inventory; `ok`, `errors`, `body` are openapi.py's builders."""
    out = {}
    for plural, single, param in (("systems", "System", "system_id"), ("servers", "Server", "server_id")):
        what = "information systems" if plural == "systems" else "servers"
        params = SYSTEM_LIST_PARAMS if plural == "systems" else SERVER_LIST_PARAMS
        ref = f"#/components/schemas/{single}"
        location = {"Location": {"description": f"The record's address, e.g. /api/v1/{plural}/42",
                                 "schema": {"type": "string"}}}
        out[f"/{plural}"] = {
            "get": {"summary": f"List visible {what}", "operationId": f"list{single}s",
                    "parameters": [{"name": n, "in": "query", "required": False, "schema": s} for n, s in params],
                    "responses": {**ok(200, f"#/components/schemas/{single}Page", "A page"),
                                  **errors(400, 401, 403)}},
            "post": {"summary": f"Record one of the {what}", "operationId": f"create{single}",
                     "requestBody": body(f"{single}Create"),
                     "responses": {**ok(201, ref, "Created", location), **errors(400, 401, 403, 413)}},
        }
        out[f"/{plural}/{{{param}}}"] = {
            "parameters": [{"name": param, "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}],
            "get": {"summary": f"One of the {what}", "operationId": f"get{single}",
                    "responses": {**ok(200, ref, "The record", ETAG), **errors(401, 403, 404)}},
            "patch": {"summary": "Update fields", "operationId": f"update{single}", "parameters": [IF_MATCH],
                      "requestBody": body(f"{single}Update"),
                      "responses": {**ok(200, ref, "Updated", ETAG), **errors(400, 401, 403, 404, 409, 413)}},
        }
    return out
