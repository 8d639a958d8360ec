"""The OpenAPI 3 document of /api/v1, built from the same schemas that validate requests."""
from ..incidents.vocab import CATEGORIES
from . import alerts_openapi, clocks_openapi, heartbeats_openapi, inventory_schemas, schemas, summary_openapi

LIST_PARAMS = [
    ("status", {"type": "string", "enum": ["", "open", "new", "triaged", "contained", "eradicated",
                                           "recovered", "closed", "rejected"]}),
    ("severity", {"type": "string", "enum": ["", "ordinary", "serious"]}),
    ("category", {"type": "string", "enum": ["", *CATEGORIES]}),
    ("agency", {"type": "string", "pattern": "^[0-9]*$", "maxLength": 9}),
    ("assignee", {"type": "string", "pattern": "^([0-9]*|me|none)$", "maxLength": 9}),
    ("system", {"type": "string", "pattern": "^[0-9]*$", "maxLength": 9}),  # incidents linked to it
    ("server", {"type": "string", "pattern": "^[0-9]*$", "maxLength": 9}),
    ("q", {"type": "string", "maxLength": 200}),
    ("sort", {"type": "string", "enum": ["created", "updated", "discovered", "priority"]}),
    ("dir", {"type": "string", "enum": ["asc", "desc"]}),
    ("cursor", {"type": "string", "maxLength": 200}),
    ("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
]


def _errors(*codes):
    names = {400: "Invalid input", 401: "Missing or invalid token", 403: "Token lacks the scope",
             404: "Not found or not visible", 409: "Version conflict", 413: "Too large"}
    return {str(c): {"description": names[c], "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}} for c in codes}


# One example per request body, shown by the document's readers and checked against its schema
# by the tests (tests/api/test_api_errors.py).
EXAMPLES = {
    "IncidentCreate": {
        "title": "Máy chủ thư điện tử bị dò mật khẩu", "category": "unauthorized_access",
        "sub_type": "brute_force", "severity": "serious", "priority": "P2", "tlp": "AMBER",
        "description": "Hơn 2.000 lần đăng nhập sai vào hộp thư của Sở từ một dải địa chỉ nước ngoài.",
        "affected_systems": "Hệ thống thư điện tử công vụ", "affected_servers": "mail.sotttt.example.gov.vn",
        "discovered_at": "2026-01-31T08:00:00+07:00",
    },
    "IncidentUpdate": {"severity": "ordinary", "priority": "P3", "assignee_id": 12, "version": 3},
    "NoteCreate": {"body": "Đã chặn dải địa chỉ nguồn trên tường lửa lúc 09:15.", "kind": "action"},
    "StatusChange": {"status": "contained", "note": "Đã cô lập máy chủ khỏi mạng nội bộ.", "version": 4},
    **inventory_schemas.EXAMPLES,
    **alerts_openapi.EXAMPLES,
    "Heartbeat": heartbeats_openapi.EXAMPLE,
    "SentReportCreate": clocks_openapi.EXAMPLE,
}

LOCATION = {"Location": {"description": "The incident's address, e.g. /api/v1/incidents/42",
                         "schema": {"type": "string"}}}


def _json_body(name):
    return {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{name}"}, "example": EXAMPLES[name]}}}


def _ok(code, ref, description, headers=None):
    answer = {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}
    if headers:
        answer["headers"] = headers
    return {str(code): answer}


COMPLIANCE_PARAMS = [
    ("agency", {"type": "string", "pattern": "^[0-9]*$", "maxLength": 9}),
    ("level", {"type": "string", "enum": ["", "1", "2", "3", "4", "5"]}),
    ("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
    ("offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000}),
]
_COUNT = {"type": "integer", "minimum": 0}
_SHARE = {"type": ["number", "null"], "minimum": 0, "maximum": 100}
_STATUS = {"type": "string", "enum": ["valid", "expiring", "expired", "missing"]}
_DAY = {"type": ["string", "null"], "format": "date"}
_LAYER_COUNTS = {"type": "object", "required": ["valid", "expiring", "expired", "missing"],
                 "properties": {s: _COUNT for s in ("valid", "expiring", "expired", "missing")}}
_TALLY = {"systems": _COUNT, "all_valid": _COUNT, "share_all_valid": _SHARE,
          "layers": {"type": "object", "required": ["1", "2", "3", "4"],
                     "properties": {n: _LAYER_COUNTS for n in ("1", "2", "3", "4")}},
          "overdue_assessments": _COUNT, "open_findings": _COUNT, "late_findings": _COUNT,
          "not_independent": _COUNT}
COMPLIANCE_OUT = {
    "type": "object",
    "required": ["day", "expiring_window_days", "filters", "overall", "agencies", "servers", "trend", "systems"],
    "properties": {
        "day": {"type": "string", "format": "date"},
        "as_of": {"type": ["string", "null"], "format": "date-time",
                  "description": "when the scheduler stored these figures (UTC); null: computed for this "
                                 "request. The systems' rows are always read now."},
        "expiring_window_days": _COUNT,
        "filters": {"type": "object", "properties": {"agency": {"type": ["integer", "null"]},
                                                     "level": {"type": ["integer", "null"]}}},
        "overall": {"type": "object", "required": list(_TALLY), "properties": _TALLY},
        "agencies": {"type": "array", "items": {
            "type": "object", "required": ["id", "name", *_TALLY],
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, **_TALLY}}},
        "servers": {"type": "object", "required": ["total", "controls"], "properties": {
            "total": _COUNT,
            "controls": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["expected", "verified_share"],
                "properties": {"expected": _COUNT, "verified_share": _SHARE, "coverage": {
                    "type": ["object", "null"],
                    "description": "null: no check of this control applies to the servers in scope",
                    "required": ["expected", "verified", "share", "failing", "never", "stale", "counts"],
                    "properties": {
                        "expected": _COUNT, "verified": _COUNT, "share": _SHARE,
                        **{k: {"type": "array", "description": "at most 50, by host name", "items": {
                            "type": "object", "required": ["id", "hostname"],
                            "properties": {"id": {"type": "integer"}, "hostname": {"type": "string"}}}}
                           for k in ("failing", "never", "stale")},
                        "counts": {"type": "object", "additionalProperties": _COUNT}}}}}}}},
        "trend": {"type": "array", "items": {
            "type": "object", "required": ["month", "systems", "all_valid", "share_all_valid", "live"],
            "properties": {"month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}, "systems": _COUNT,
                           "all_valid": _COUNT, "share_all_valid": _SHARE, "live": {"type": "boolean"}}}},
        "systems": {"type": "object", "required": ["items", "total", "offset", "limit"], "properties": {
            "total": _COUNT, "offset": _COUNT, "limit": _COUNT,
            "items": {"type": "array", "items": {
                "type": "object",
                "required": ["id", "code", "name", "level", "agency", "layers", "layer3_independent",
                             "last_assessed", "assessment_due", "assessment_overdue", "open_findings",
                             "late_findings"],
                "properties": {
                    "id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
                    "level": {"type": "integer", "minimum": 1, "maximum": 5},
                    "agency": {"type": "object", "properties": {"id": {"type": "integer"},
                                                                "name": {"type": "string"}}},
                    "layers": {"type": "object", "required": ["1", "2", "3", "4"],
                               "properties": {n: _STATUS for n in ("1", "2", "3", "4")}},
                    "layer3_independent": {"type": ["boolean", "null"]},
                    "last_assessed": _DAY, "assessment_due": _DAY, "assessment_overdue": {"type": "boolean"},
                    "open_findings": _COUNT, "late_findings": _COUNT}}}}},
    },
}

_WHEN = {"type": ["string", "null"]}
_CHECK_STATES = ["never", "pass", "warn", "fail", "error", "interrupted"]
CHECK_RESULT_OUT = {
    "type": "object",
    "required": ["id", "status", "changed", "started_at", "finished_at", "duration_ms", "details", "summary",
                 "command"],
    "properties": {
        "id": {"type": "integer"}, "status": {"type": "string", "enum": _CHECK_STATES[1:]},
        "changed": {"type": "boolean"}, "started_at": {"type": "string"}, "finished_at": {"type": "string"},
        "duration_ms": _COUNT, "details": {"type": "object"}, "summary": {"type": "string"},
        "command": {"type": ["array", "null"], "items": {"type": "string"}}},
}
SERVER_CHECKS_OUT = {
    "type": "object", "required": ["server", "items"],
    "properties": {
        "server": {"type": "object", "required": ["id", "hostname"],
                   "properties": {"id": {"type": "integer"}, "hostname": {"type": "string"}}},
        "items": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "kind", "active", "config", "state", "state_label", "state_since", "last_run_at",
                         "next_run_at", "results"],
            "properties": {
                "id": {"type": "integer"},
                "kind": {"type": "string", "enum": ["firewall", "agent", "antivirus", "tls", "portal"]},
                "active": {"type": "boolean"},
                "config": {"type": "object", "required": ["id", "name", "enabled", "interval_seconds"],
                           "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                          "enabled": {"type": "boolean"}, "interval_seconds": _COUNT}},
                "state": {"type": "string", "enum": _CHECK_STATES}, "state_label": {"type": "string"},
                "state_since": _WHEN, "last_run_at": _WHEN, "next_run_at": _WHEN,
                "results": {"type": "array", "items": {"$ref": "#/components/schemas/CheckResult"}}}}},
    },
}

ID_PARAM = {"name": "incident_id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}


def document(version):
    return {
        "openapi": "3.1.0",
        "info": {"title": "csirt API", "version": version,
                 "description": "Incidents of a provincial CSIRT. Authenticate with "
                                "`Authorization: Bearer <token>`; tokens are created on the "
                                "Account → API tokens page or with `csirt tokens create`. "
                                "Messages come in the language named by `Accept-Language` "
                                "(`vi` or `en`), else in the token user's language. An error is "
                                "`{\"error\": message, \"status\": code, \"errors\": {field: message}}`; "
                                "a field's message states the limit it broke and quotes at most "
                                "100 characters of what was sent. A 201 answer carries `Location`."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Incident": schemas.INCIDENT_OUT,
                "IncidentCreate": schemas.INCIDENT_CREATE,
                "IncidentUpdate": schemas.INCIDENT_UPDATE,
                "NoteCreate": schemas.NOTE_CREATE,
                "StatusChange": schemas.STATUS_CHANGE,
                "Acknowledgement": {
                    "type": "object", "required": ["id", "reference", "first", "acknowledged_at", "acknowledged_by"],
                    "properties": {"id": {"type": "integer"}, "reference": {"type": "string"},
                                   "first": {"type": "boolean"}, "acknowledged_at": {"type": "string"},
                                   "acknowledged_by": {"type": ["object", "null"]}}},
                "Error": schemas.ERROR_OUT,
                "Compliance": COMPLIANCE_OUT,
                "CheckResult": CHECK_RESULT_OUT,
                "ServerChecks": SERVER_CHECKS_OUT,
                **inventory_schemas.COMPONENTS,
                **alerts_openapi.COMPONENTS,
                **heartbeats_openapi.COMPONENTS,
                **summary_openapi.COMPONENTS,
                **clocks_openapi.COMPONENTS,
                "IncidentPage": {"type": "object", "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Incident"}},
                    "next_cursor": {"type": ["string", "null"]}, "total": {"type": "integer"}},
                    "required": ["items", "next_cursor", "total"]},
                "TimelineEntry": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "kind": {"type": "string"}, "body": {"type": "string"},
                    "at": {"type": "string"}}, "required": ["id", "kind", "body", "at"]},
            },
        },
        "paths": {
            **inventory_schemas.paths(_ok, _errors, _json_body),
            **alerts_openapi.paths(_ok, _errors, _json_body),
            **heartbeats_openapi.paths(_ok, _errors, _json_body),
            **summary_openapi.paths(_ok, _errors, _json_body),
            **clocks_openapi.paths(_ok, _errors, _json_body, ID_PARAM, LOCATION),
            "/servers/{server_id}/checks": {
                "parameters": [{"name": "server_id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}],
                "get": {"summary": "A server's scheduled checks: each with its current state and its 20 newest "
                                   "results (scope systems:read)", "operationId": "getServerChecks",
                        "responses": {**_ok(200, "#/components/schemas/ServerChecks", "The checks"),
                                      **_errors(401, 403, 404)}},
            },
            "/compliance": {
                "get": {"summary": "Compliance with the four-layer model: the dashboard's figures (scope "
                                   "systems:read)", "operationId": "getCompliance",
                        "parameters": [{"name": n, "in": "query", "required": False, "schema": s}
                                       for n, s in COMPLIANCE_PARAMS],
                        "responses": {**_ok(200, "#/components/schemas/Compliance", "The figures"),
                                      **_errors(400, 401, 403)}},
            },
            "/incidents": {
                "get": {"summary": "List visible incidents", "operationId": "listIncidents",
                        "parameters": [{"name": n, "in": "query", "required": False, "schema": s}
                                       for n, s in LIST_PARAMS],
                        "responses": {**_ok(200, "#/components/schemas/IncidentPage", "A page"),
                                      **_errors(400, 401, 403)}},
                "post": {"summary": "Log an incident", "operationId": "createIncident",
                         "requestBody": _json_body("IncidentCreate"),
                         "responses": {**_ok(201, "#/components/schemas/Incident", "Created", LOCATION),
                                       **_errors(400, 401, 403, 413)}},
            },
            "/incidents/{incident_id}": {
                "parameters": [ID_PARAM],
                "get": {"summary": "One incident", "operationId": "getIncident",
                        "responses": {**_ok(200, "#/components/schemas/Incident", "The incident"),
                                      **_errors(401, 403, 404)}},
                "patch": {"summary": "Update fields", "operationId": "updateIncident",
                          "requestBody": _json_body("IncidentUpdate"),
                          "responses": {**_ok(200, "#/components/schemas/Incident", "Updated"),
                                        **_errors(400, 401, 403, 404, 409, 413)}},
            },
            "/incidents/{incident_id}/notes": {
                "parameters": [ID_PARAM],
                "post": {"summary": "Add a timeline note", "operationId": "addNote",
                         "requestBody": _json_body("NoteCreate"),
                         "responses": {**_ok(201, "#/components/schemas/TimelineEntry", "Added", LOCATION),
                                       **_errors(400, 401, 403, 404, 413)}},
            },
            "/incidents/{incident_id}/status": {
                "parameters": [ID_PARAM],
                "post": {"summary": "Change the status", "operationId": "changeStatus",
                         "requestBody": _json_body("StatusChange"),
                         "responses": {**_ok(200, "#/components/schemas/Incident", "Changed"),
                                       **_errors(400, 401, 403, 404, 409, 413)}},
            },
            "/incidents/{incident_id}/acknowledge": {
                "parameters": [ID_PARAM],
                "post": {"summary": "Acknowledge the incident (stops its escalation)", "operationId": "acknowledge",
                         "responses": {**_ok(200, "#/components/schemas/Acknowledgement",
                                             "Acknowledged (`first` is false when someone already had)"),
                                       **_errors(401, 403, 404)}},
            },
        },
    }
