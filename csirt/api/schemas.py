"""JSON schemas of the API: used to validate requests and to build the OpenAPI document."""
from ..incidents.vocab import CATEGORIES, PRIORITIES, REJECT_REASONS, SEVERITIES, STATUSES, SUB_TYPES, TLPS

_text = lambda n: {"type": "string", "maxLength": n}  # noqa: E731
_id_or_null = {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1}

INCIDENT_FIELDS = {
    "title": {"type": "string", "minLength": 1, "maxLength": 300, "pattern": r"\S"},
    "description": _text(20000),
    "category": {"type": "string", "enum": list(CATEGORIES)},
    "sub_type": {"type": "string", "enum": list(SUB_TYPES)},
    "severity": {"type": "string", "enum": list(SEVERITIES)},
    "priority": {"type": "string", "enum": list(PRIORITIES)},
    "tlp": {"type": "string", "enum": list(TLPS)},
    "agency_id": _id_or_null,
    "affected_systems": _text(2000),
    "affected_servers": _text(2000),
    "discovered_at": {"type": "string", "format": "date-time", "maxLength": 40},
    "assignee_id": _id_or_null,
}

INCIDENT_CREATE = {
    "type": "object",
    "properties": INCIDENT_FIELDS,
    "required": ["title", "category", "discovered_at"],
    "additionalProperties": False,
}

INCIDENT_UPDATE = {
    "type": "object",
    "properties": {**INCIDENT_FIELDS, "version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}},
    "additionalProperties": False,
    "minProperties": 1,
}

NOTE_CREATE = {
    "type": "object",
    "properties": {"body": {"type": "string", "minLength": 1, "maxLength": 20000, "pattern": r"\S"},
                   "kind": {"type": "string", "enum": ["note", "action"]}},
    "required": ["body"],
    "additionalProperties": False,
}

STATUS_CHANGE = {
    "type": "object",
    "properties": {"status": {"type": "string", "enum": list(STATUSES)},
                   "note": _text(20000),
                   "reason": {"type": ["string", "null"], "enum": list(REJECT_REASONS) + [None]},
                   "version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}},
    "required": ["status"],
    "additionalProperties": False,
}

INCIDENT_OUT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "reference": {"type": "string"}, "title": {"type": "string"},
        "description": {"type": "string"}, "category": {"type": "string"},
        "sub_type": {"type": "string"}, "severity": {"type": "string"}, "priority": {"type": "string"},
        "tlp": {"type": "string"}, "status": {"type": "string"}, "source": {"type": "string"},
        "agency": {"type": "object"}, "assignee": {"type": ["object", "null"]},
        "reporter": {"type": "object"}, "affected_systems": {"type": "string"},
        "affected_servers": {"type": "string"}, "discovered_at": {"type": "string"},
        "reported_at": {"type": "string"}, "updated_at": {"type": "string"},
        "closed_at": {"type": ["string", "null"]}, "resolution": {"type": "string"},
        "version": {"type": "integer"},
    },
    "required": ["id", "reference", "title", "status", "version"],
}

ERROR_OUT = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "status": {"type": "integer"},
                   "errors": {"type": "object"}},
    "required": ["error", "status"],
}
