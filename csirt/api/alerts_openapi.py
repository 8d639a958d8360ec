"""The alert operations of the OpenAPI document (openapi.py adds them): intake in three formats,
the list and one alert. The request bodies are described loosely on purpose: each format's
normaliser (csirt/alerts/normalise/) is the validator, and answers 400 naming the wrong field."""
from ..alerts.canonical import SEVERITIES, STATUSES
from ..ids import MAX_ID

LOCATION = {"Location": {"description": "The first new alert's address, e.g. /api/v1/alerts/42",
                         "schema": {"type": "string"}}}
_TIME = {"type": "string", "maxLength": 40}
_INCIDENT_REF = {"type": ["object", "null"], "required": ["id", "reference"],
                 "properties": {"id": {"type": "integer"}, "reference": {"type": ["string", "null"]}}}

GENERIC_ALERT = {  # null is accepted for every optional field: it means "absent"
    "type": "object",
    "properties": {
        "source": {"type": "string", "maxLength": 64}, "title": {"type": "string", "maxLength": 300},
        "severity": {"type": ["string", "null"]}, "status": {"type": ["string", "null"]},
        "labels": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
        "host": {"type": ["string", "null"], "maxLength": 255}, "description": {"type": ["string", "null"]},
        "occurred_at": {"type": ["string", "null"], "maxLength": 40},
        "fingerprint": {"type": ["string", "null"], "maxLength": 128},
    },
    "required": ["source", "title"],
}

COMPONENTS = {
    "AlertGeneric": {"oneOf": [GENERIC_ALERT, {"type": "array", "minItems": 1, "maxItems": 1000,
                                                "items": GENERIC_ALERT}]},
    "AlertmanagerWebhook": {"type": "object", "required": ["alerts"], "properties": {
        "alerts": {"type": "array", "maxItems": 1000, "items": {"type": "object"}}}},
    "WazuhAlert": {"oneOf": [{"type": "object", "required": ["rule"]},
                             {"type": "array", "minItems": 1, "maxItems": 1000,
                              "items": {"type": "object", "required": ["rule"]}}]},
    "AlertIntakeResult": {"type": "object", "required": ["alerts"], "properties": {"alerts": {
        "type": "array", "items": {"type": "object", "required": ["id", "incident", "status"], "properties": {
            "id": {"type": "integer"}, "incident": _INCIDENT_REF,
            "status": {"type": "string", "enum": ["opened", "joined", "resolved", "unmatched", "duplicate"]}}}}}},
    "Alert": {"type": "object", "required": ["id", "source", "severity", "status", "title", "incident"], "properties": {
        "id": {"type": "integer"}, "source": {"type": "string"}, "format": {"type": "string"},
        "severity": {"type": "string", "enum": list(SEVERITIES)}, "status": {"type": "string", "enum": list(STATUSES)},
        "title": {"type": "string"}, "description": {"type": "string"}, "host": {"type": "string"},
        "labels": {"type": "object"}, "fingerprint": {"type": "string"},
        "occurred_at": {"type": "string"}, "received_at": {"type": "string"}, "incident": _INCIDENT_REF,
        "playbook": {"type": ["string", "null"]}, "playbook_version": {"type": ["string", "null"]},
        "route": {"type": ["object", "null"]}, "raw": {}}},
    "AlertPage": {"type": "object", "required": ["items", "next_cursor"], "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}},
        "next_cursor": {"type": ["string", "null"]}}},
}

EXAMPLES = {
    "AlertGeneric": {"source": "uptime-kuma", "title": "portal.laocai.example không truy cập được",
                     "severity": "high", "status": "firing", "host": "portal.laocai.example",
                     "labels": {"team": "web"}, "occurred_at": "2026-12-03T08:15:00+07:00"},
    "AlertmanagerWebhook": {"version": "4", "status": "firing", "receiver": "csirt", "groupKey": "{}:{}",
                            "alerts": [{"status": "firing", "labels": {"alertname": "PortalDown",
                                                                       "instance": "portal.laocai.example:443",
                                                                       "severity": "critical"},
                                        "annotations": {"summary": "Cổng thông tin không phản hồi"},
                                        "startsAt": "2026-12-03T01:15:00Z", "fingerprint": "a1b2c3d4e5f60718"}]},
    "WazuhAlert": {"timestamp": "2026-12-03T01:41:17.328+0000",
                   "rule": {"level": 12, "id": "31106", "description": "A web attack returned code 200 (success).",
                            "groups": ["web", "attack"]},
                   "agent": {"id": "004", "name": "portal-web01", "ip": "10.0.0.5"}},
}

LIST_PARAMS = [
    ("source", {"type": "string", "maxLength": 64}),
    ("severity", {"type": "string", "enum": ["", *SEVERITIES]}),
    ("status", {"type": "string", "enum": ["", *STATUSES]}),
    ("incident", {"type": "string", "pattern": "^([0-9]{0,9}|none)$"}),
    ("since", _TIME), ("until", _TIME),
    ("cursor", {"type": "string", "maxLength": 100}),
    ("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
]


def paths(ok, errors, body):
    """The OpenAPI paths of alerts; `ok`, `errors`, `body` are openapi.py's builders."""
    result = "#/components/schemas/AlertIntakeResult"

    def intake(name, summary, operation):
        return {"summary": summary + " (scope alerts:write; a response-team token)", "operationId": operation,
                "requestBody": body(name),
                "responses": {**ok(201, result, "Stored (at least one alert was new)", LOCATION),
                              **ok(200, result, "Every alert was already stored"),
                              **errors(400, 401, 403, 413)}}

    return {
        "/alerts": {
            "get": {"summary": "List visible alerts, newest first (scope alerts:read)", "operationId": "listAlerts",
                    "parameters": [{"name": n, "in": "query", "required": False, "schema": s} for n, s in LIST_PARAMS],
                    "responses": {**ok(200, "#/components/schemas/AlertPage", "A page"), **errors(400, 401, 403)}},
            "post": intake("AlertGeneric", "Send alerts in csirt's JSON: one or a list of up to 1,000",
                           "ingestAlerts"),
        },
        "/alerts/alertmanager": {"post": intake("AlertmanagerWebhook", "Prometheus Alertmanager webhook (version 4)",
                                                "ingestAlertmanager")},
        "/alerts/wazuh": {"post": intake("WazuhAlert", "A Wazuh alert (or a list) as its integration sends it",
                                         "ingestWazuh")},
        "/alerts/{alert_id}": {
            "parameters": [{"name": "alert_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}],
            "get": {"summary": "One alert (scope alerts:read)", "operationId": "getAlert",
                    "responses": {**ok(200, "#/components/schemas/Alert", "The alert"), **errors(401, 403, 404)}},
        },
    }
