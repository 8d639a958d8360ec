"""JSON schemas of the API: used to validate requests and to build the OpenAPI document.

`field_errors` turns what jsonschema finds into messages in the caller's language, one per field,
stating the limit and never echoing more than `ECHO_LIMIT` characters of what was sent.
"""
import json

from jsonschema import Draft202012Validator, FormatChecker

from ..catalogue import gettext as _
from ..incidents.vocab import CATEGORIES, PRIORITIES, REJECT_REASONS, SEVERITIES, STATUSES, SUB_TYPES, TLPS

_text = lambda n: {"type": "string", "maxLength": n}  # noqa: E731
_id_or_null = {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1}
_ids = {"type": "array", "maxItems": 200, "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}

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
    "system_ids": _ids,  # the information systems it affected (replaces the links: send them all)
    "server_ids": _ids,
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
        "reporter": {"type": "object"},
        "systems": {"type": "array", "items": {
            "type": "object", "required": ["id", "code", "name"],
            "properties": {"id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"}}}},
        "servers": {"type": "array", "items": {
            "type": "object", "required": ["id", "hostname"],
            "properties": {"id": {"type": "integer"}, "hostname": {"type": "string"}}}},
        "affected_systems": {"type": "string"},
        "affected_servers": {"type": "string"}, "discovered_at": {"type": "string"},
        "reported_at": {"type": "string"}, "updated_at": {"type": "string"},
        "closed_at": {"type": ["string", "null"]}, "resolution": {"type": "string"},
        "version": {"type": "integer"},
    },
    "required": ["id", "reference", "title", "status", "version", "systems", "servers"],
}

ERROR_OUT = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "status": {"type": "integer"},
                   "errors": {"type": "object"}},
    "required": ["error", "status"],
}


# --- validation -----------------------------------------------------------------------------

ECHO_LIMIT = 100  # at most this much of a submitted name or value comes back in an error
_validators = {}  # id(schema) -> (schema, its validator)


def clip(text, limit=ECHO_LIMIT):
    """`text` cut to `limit` characters (with an ellipsis), to quote it safely in an answer."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def validator(schema):
    """The validator of `schema`, built once: building one costs more than validating a body."""
    found = _validators.get(id(schema))
    if found is None or found[0] is not schema:
        Draft202012Validator.check_schema(schema)
        found = _validators[id(schema)] = (schema, Draft202012Validator(schema, format_checker=FormatChecker()))
    return found[1]


def _type_message(expected):
    messages = {"string": _("Must be text."), "integer": _("Must be a whole number."),
                "object": _("Must be a JSON object."), "array": _("Must be a list."),
                ("integer", "null"): _("Must be a whole number or null."),
                ("string", "null"): _("Must be text or null.")}
    key = tuple(expected) if isinstance(expected, list) else expected
    return messages.get(key, _("Has the wrong type."))


def message(error):
    """A translated message for one jsonschema error, with the limit it broke; the submitted
    value itself is never quoted."""
    kind, limit = error.validator, error.validator_value
    if kind == "type":
        return _type_message(limit)
    if kind == "enum":
        return _("Allowed values: %(values)s.",
                 values=", ".join(json.dumps(v, ensure_ascii=False) for v in limit))
    if kind == "maxLength":
        return _("At most %(n)d characters.", n=limit)
    if kind == "minLength":
        return _("Must not be empty.") if limit == 1 else _("At least %(n)d characters.", n=limit)
    if kind == "pattern":
        return _("Must not be blank.") if limit == r"\S" else _("Does not have the expected form.")
    if kind == "format" and limit == "date-time":
        return _("Not a valid date and time: use ISO 8601 with a time zone, such as %(example)s.",
                 example="2026-01-31T08:00:00+07:00")
    if kind == "minimum":
        return _("The smallest allowed value is %(n)d.", n=limit)
    if kind == "maximum":
        return _("The largest allowed value is %(n)d.", n=limit)
    if kind == "maxItems":
        return _("At most %(n)d records.", n=limit)
    if kind == "minProperties":
        return _("Nothing to update.")
    return _("This value is not valid.")


def field_errors(schema, data):
    """{field: translated message} for what `data` breaks in `schema`; the first error of a
    field wins. Unknown and missing fields are named one by one."""
    errors = {}
    for error in validator(schema).iter_errors(data):
        path = [str(p) for p in error.absolute_path]
        if not path and error.validator == "additionalProperties":
            for key in sorted(set(error.instance) - set(schema.get("properties", {}))):
                errors.setdefault(clip(key), _("This field cannot be set."))
            continue
        if not path and error.validator == "required":
            for key in error.validator_value:
                if key not in error.instance:
                    errors.setdefault(key, _("This field is required."))
            continue
        errors.setdefault(clip(".".join(path)) if path else "body", message(error))
    return errors
