"""The regulatory clocks' operations of the OpenAPI document (openapi.py adds them)."""
from ..incidents.duty_models import CHANNELS, REPORT_KINDS
from ..rules import keys

_TIME = {"type": ["string", "null"]}
_CLOCK = {"type": "object", "required": ["key", "label", "regime", "started_at", "due_at", "stopped_at", "state"],
          "properties": {"key": {"type": "string"}, "label": {"type": "string"}, "regime": {"type": "string"},
                         "started_at": {"type": "string"}, "due_at": _TIME, "stopped_at": _TIME,
                         "state": {"type": "string", "enum": ["running", "soon", "overdue", "met", "met_late",
                                                              "no_deadline"]},
                         "started_by": {"type": "string"}}}
_REPORT = {"type": "object", "required": ["id", "duty", "kind", "sent_at", "channel", "recipient", "reference"],
           "properties": {"id": {"type": "integer"}, "duty": {"type": ["string", "null"]},
                          "kind": {"type": "string"}, "sent_at": {"type": "string"}, "channel": {"type": "string"},
                          "recipient": {"type": "string"}, "reference": {"type": "string"},
                          "note": {"type": "string"}, "file": {"type": ["object", "null"]},
                          "recorded_by": {"type": ["object", "null"]}, "recorded_at": {"type": "string"}}}
REPORT_CREATE = {
    "type": "object",
    "properties": {
        "duty": {"type": ["string", "null"], "enum": [*keys.ALL, None]},
        "kind": {"type": "string", "enum": list(REPORT_KINDS)},
        "channel": {"type": "string", "enum": list(CHANNELS)},
        "sent_at": {"type": "string", "minLength": 10, "maxLength": 40},
        "recipient": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
        "reference": {"type": "string", "maxLength": 100},
        "note": {"type": "string", "maxLength": 5000},
    },
    "required": ["kind", "channel", "sent_at", "recipient"],
    "additionalProperties": False,
}
EXAMPLE = {"duty": "incident.notice", "kind": "notice", "channel": "email", "sent_at": "2026-09-01T20:30:00Z",
           "recipient": "Cục A05 – Bộ Công an", "reference": "15/BC-STTTT", "note": "Gửi kèm nhật ký truy cập."}
COMPONENTS = {
    "Clocks": {"type": "object", "required": ["incident", "clocks", "reports"],
               "properties": {"incident": {"type": "integer"}, "clocks": {"type": "array", "items": _CLOCK},
                              "reports": {"type": "array", "items": _REPORT}}},
    "SentReport": _REPORT,
    "SentReportCreate": REPORT_CREATE,
}


def paths(ok, errors, json_body, id_param, location):
    """The OpenAPI paths of the clocks; the builders are openapi.py's."""
    return {
        "/incidents/{incident_id}/clocks": {
            "parameters": [id_param],
            "get": {"summary": "The incident's regulatory clocks (rules table, regime in force at discovery) and "
                               "the reports recorded as sent (scope incidents:read)", "operationId": "getClocks",
                    "responses": {**ok(200, "#/components/schemas/Clocks", "The clocks"),
                                  **errors(401, 403, 404)}}},
        "/incidents/{incident_id}/reports": {
            "parameters": [id_param],
            "post": {"summary": "Record a report sent to an authority; the first one for a duty stops its clock "
                                "(scope incidents:write). `sent_at` is ISO 8601 (naive: province time)",
                     "operationId": "recordReport", "requestBody": json_body("SentReportCreate"),
                     "responses": {**ok(201, "#/components/schemas/SentReport", "Recorded", location),
                                   **errors(400, 401, 403, 404, 413)}}},
    }
