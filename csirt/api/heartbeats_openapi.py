"""The heartbeat operation of the OpenAPI document (openapi.py adds it): the body a server's
script sends (validated by csirt.checks.heartbeats.parse, which answers 400 naming the bad
field) and the answer."""
from ..checks import heartbeats

_TEXT = {"type": ["string", "null"]}
HEARTBEAT_IN = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "server": {"type": "string", "minLength": 1, "maxLength": heartbeats.HOSTNAME_LENGTH},
        "server_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        "time": {"type": "string", "format": "date-time", "maxLength": heartbeats.TIME_LENGTH},
        "agent": {"type": ["object", "null"], "additionalProperties": False, "properties": {
            "name": {**_TEXT, "maxLength": heartbeats.AGENT_FIELDS["name"]},
            "version": {**_TEXT, "maxLength": heartbeats.AGENT_FIELDS["version"]}}},
        "antivirus": {"type": ["object", "null"], "additionalProperties": False, "properties": {
            "product": {**_TEXT, "maxLength": heartbeats.PRODUCT_LENGTH},
            "enabled": {"type": ["boolean", "null"]},
            "signature_date": {"type": ["string", "null"], "format": "date"}}},
    },
    "required": ["time"],
    "oneOf": [{"required": ["server"], "not": {"required": ["server_id"]}},
              {"required": ["server_id"], "not": {"required": ["server"]}}],
}
HEARTBEAT_OUT = {
    "type": "object", "required": ["server", "server_id", "received_at"],
    "properties": {"server": {"type": "string"}, "server_id": {"type": "integer"},
                   "received_at": {"type": "string"}},
}
EXAMPLE = {"server": "igate-app01", "time": "2026-12-03T08:15:00+07:00",
           "agent": {"name": "wazuh-agent", "version": "4.9.2"},
           "antivirus": {"product": "ClamAV 1.4.1", "enabled": True, "signature_date": "2026-12-02"}}


def paths(ok, errors, body_example):
    """The OpenAPI paths of heartbeats; `ok`, `errors`, `body_example` are openapi.py's builders."""
    return {"/heartbeats": {"post": {
        "summary": "A server's heartbeat: its agent and antivirus (scope heartbeats:write; the token must "
                   "have been granted the server). `time` may be at most CSIRT_HEARTBEAT_MAX_SKEW_SECONDS "
                   "ahead; an unknown server and one not granted to the token both answer 403",
        "operationId": "sendHeartbeat",
        "requestBody": body_example("Heartbeat"),
        "responses": {**ok(200, "#/components/schemas/HeartbeatReceived", "Stored"),
                      **errors(400, 401, 403, 413)}}}}


COMPONENTS = {"Heartbeat": HEARTBEAT_IN, "HeartbeatReceived": HEARTBEAT_OUT}
