"""The JSON Schema (draft 2020-12) of the playbook language (playbooks/README.md), and the check
that turns its errors into LoadErrors with a line and a message that names the field.

Strict on purpose: `additionalProperties: false` on every mapping, closed vocabularies taken from
the modules that own them, so a typo is an error at load and never a silently ignored setting.
The matcher items of `match` are only typed here: matchers.compile_match owns their grammar.
"""
import re

from jsonschema import Draft202012Validator

from ...incidents import vocab
from ...rules import keys as rule_keys
from ...team.models import ROLES
from .. import canonical
from .compiled import ACTIONS, CHANNELS, NOTIFY_ON, ON_RESOLVED, LoadError
from .loader import line_of

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
DURATION_PATTERN = r"^[0-9]+[smhdw]$"
KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"
AGENCY_PATTERN = r"^(host|[A-Z0-9_-]{2,32})$"

DURATION = {"type": "string", "pattern": DURATION_PATTERN, "maxLength": 8}


def _text(max_length):
    """A string, or {vi: ..., en: ...} with at least one of the two."""
    return {"type": ["string", "object"], "minLength": 1, "maxLength": max_length,
            "properties": {"vi": {"type": "string", "minLength": 1, "maxLength": max_length},
                           "en": {"type": "string", "minLength": 1, "maxLength": max_length}},
            "additionalProperties": False, "minProperties": 1}


SHORT_TEXT = _text(500)
LONG_TEXT = _text(canonical.DESCRIPTION_MAX)


def _graded(values):
    """A value, or a map from the alert's severity to a value with a `default`."""
    return {"if": {"type": "string"},
            "then": {"enum": list(values)},
            "else": {"type": "object", "required": ["default"],
                     "propertyNames": {"enum": [*canonical.SEVERITIES, "default"]},
                     "additionalProperties": {"enum": list(values)}}}


def _one_of_kinds(kinds):
    """{person: name} | {role: role} | {rotation: key[, layer: name]}: exactly one kind (checked
    with its own message at compile time, as the schema cannot name it well)."""
    properties = {"person": {"type": "string", "pattern": USERNAME_PATTERN},
                  "role": {"enum": list(ROLES)},
                  "rotation": {"type": "string", "pattern": KEY_PATTERN},
                  "layer": {"type": "string", "pattern": KEY_PATTERN}}
    return {"type": "object", "minProperties": 1, "maxProperties": 2, "x-one-of": list(kinds),
            "properties": {k: v for k, v in properties.items() if k in kinds or k == "layer"},
            "dependentRequired": {"layer": ["rotation"]},
            "not": {"anyOf": [{"required": [a, b]} for a in kinds for b in kinds if a < b]},
            "additionalProperties": False}


CANDIDATE = _one_of_kinds(("person", "role", "rotation"))
TARGET = {"if": {"type": "string"}, "then": {"enum": ["assignee", "agency_contact"]},
          "else": _one_of_kinds(("person", "role", "rotation"))}
TARGETS = {"type": "array", "minItems": 1, "items": TARGET}
CHANNEL_LIST = {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": list(CHANNELS)}}

STEP = {"type": "object", "required": ["key", "title"], "additionalProperties": False,
        "properties": {"key": {"type": "string", "pattern": KEY_PATTERN},
                       "title": SHORT_TEXT,
                       "detail": LONG_TEXT,
                       "owner_role": {"enum": list(ROLES)},
                       "due": DURATION,
                       "required": {"type": "boolean"}}}

ESCALATION_STEPS = {"type": "array", "minItems": 1, "maxItems": 10,
                    "items": {"type": "object", "required": ["after", "to", "channels"],
                              "additionalProperties": False,
                              "properties": {"after": DURATION, "to": TARGETS, "channels": CHANNEL_LIST}}}

REPEAT = {"type": "integer", "minimum": 0, "maximum": 10}

ACTION_SCHEMAS = {
    "assign": {"type": "array", "minItems": 1, "items": CANDIDATE},
    "tasks": {"type": "array", "minItems": 1, "items": STEP},
    "clocks": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": list(rule_keys.ALL)}},
    "note": LONG_TEXT,
    "link_affected": {"type": "boolean"},
    "notify": {"type": "object", "required": ["to", "channels"], "additionalProperties": False,
               "properties": {"to": TARGETS, "channels": CHANNEL_LIST,
                              "on": {"type": "array", "minItems": 1, "uniqueItems": True,
                                     "items": {"enum": list(NOTIFY_ON)}}}},
    "escalate": {"if": {"type": "array"},
                 "then": ESCALATION_STEPS,
                 "else": {"type": "object", "minProperties": 1, "additionalProperties": False,
                          "properties": {"steps": ESCALATION_STEPS, "repeat": REPEAT,
                                         "policy": {"type": "string", "pattern": KEY_PATTERN}}}},
}
assert tuple(ACTION_SCHEMAS) == ACTIONS

MATCH_ITEMS = {"type": "array", "items": {"type": ["string", "object"]}}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "csirt playbook",
    "type": "object",
    "required": ["id", "title", "order", "match", "incident"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": ID_PATTERN},
        "title": SHORT_TEXT,
        "description": LONG_TEXT,
        "order": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
        "continue": {"type": "boolean"},
        "enabled": {"type": "boolean"},
        "match": {"type": "object", "additionalProperties": False,
                  "properties": {"all": MATCH_ITEMS, "any": MATCH_ITEMS, "none": MATCH_ITEMS}},
        "group": {"type": "object", "required": ["by", "window"], "additionalProperties": False,
                  "properties": {"by": {"type": "array", "minItems": 1, "uniqueItems": True,
                                        "items": {"type": "string", "minLength": 1}},
                                 "window": DURATION,
                                 "on_resolved": {"enum": list(ON_RESOLVED)}}},
        "incident": {"type": "object", "additionalProperties": False,
                     "required": ["title", "category", "severity", "priority", "tlp", "agency"],
                     "properties": {"title": SHORT_TEXT,
                                    "description": LONG_TEXT,
                                    "category": {"enum": list(vocab.CATEGORIES)},
                                    "sub_type": {"enum": list(vocab.SUB_TYPES)},
                                    "severity": _graded(vocab.SEVERITIES),
                                    "priority": _graded(vocab.PRIORITIES),
                                    "tlp": {"enum": list(vocab.TLPS)},
                                    "agency": {"type": "string", "pattern": AGENCY_PATTERN}}},
        "actions": {"type": "array",
                    "items": {"type": "object", "minProperties": 1, "maxProperties": 1, "x-action": True,
                              "properties": ACTION_SCHEMAS, "additionalProperties": False}},
    },
}

Draft202012Validator.check_schema(SCHEMA)
VALIDATOR = Draft202012Validator(SCHEMA)


# A named escalation policy: a file of the `escalation/` folder beside the playbooks, named by
# playbooks as `escalate: {policy: ID}`.
POLICY_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "csirt escalation policy",
    "type": "object",
    "required": ["id", "title", "steps"],
    "additionalProperties": False,
    "properties": {"id": {"type": "string", "pattern": KEY_PATTERN}, "title": SHORT_TEXT,
                   "description": LONG_TEXT, "steps": ESCALATION_STEPS, "repeat": REPEAT},
}
Draft202012Validator.check_schema(POLICY_SCHEMA)
POLICY_VALIDATOR = Draft202012Validator(POLICY_SCHEMA)


def check(mapping, lines, path, validator=None):
    """Every schema error of one file as LoadErrors, sorted by line (empty when valid); a playbook
    unless `validator` says otherwise (POLICY_VALIDATOR)."""
    found = set()
    for error in (validator or VALIDATOR).iter_errors(mapping):
        for where, message in _explain(error):
            found.add((line_of(lines, where), message))
    return [LoadError(str(path), line, message) for line, message in sorted(found)]


def field_name(path):
    """("actions", 2, "tasks", 0, "due") → "actions[2].tasks[0].due"."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


TYPE_WORDS = {"string": "a text", "integer": "a whole number", "number": "a number",
              "boolean": "true or false", "array": "a list", "object": "a mapping", "null": "nothing"}


def _kind(value):
    for name, kinds in (("boolean", bool), ("integer", int), ("number", float), ("string", str),
                        ("array", list), ("object", dict)):
        if isinstance(value, kinds):
            return TYPE_WORDS[name]
    return TYPE_WORDS["null"] if value is None else type(value).__name__


def _choices(values):
    return ", ".join(str(v) if v != "" else '""' for v in values)


def _explain(error):
    """[(node path, message)] for one jsonschema error, in words that name the field."""
    path = tuple(error.absolute_path)
    name = field_name(path)
    kind, schema, value = error.validator, error.schema, error.instance
    if kind == "additionalProperties":
        known = schema.get("properties", {})
        extras = [key for key in value if key not in known]
        if schema.get("x-action"):
            return [(path + (key,), f"{name}: unknown action '{key}'; known: {', '.join(ACTIONS)}")
                    for key in extras]
        if schema.get("x-one-of"):
            return [(path + (key,), f"{name}: unknown key '{key}'; use one of: {', '.join(schema['x-one-of'])}")
                    for key in extras]
        where = "" if not path else f" in {name}"
        return [(path + (key,), f"unknown field '{key}'{where}") for key in extras]
    if kind == "not" and schema.get("x-one-of"):
        return [(path, f"{name}: give exactly one of: {', '.join(schema['x-one-of'])}")]
    if kind == "dependentRequired":
        return [(path, f"{name}: 'layer' names a layer of a rotation: give 'rotation' with it")]
    if kind == "required":
        match = re.match(r"^'(.+)' is a required property$", error.message)
        missing = match.group(1) if match else error.message
        where = "" if not path else f" in {name}"
        return [(path, f"missing required field '{missing}'{where}")]
    if kind == "enum":
        if "propertyNames" in error.schema_path:
            return [(path, f"{name}: unknown key {value!r}; allowed: {_choices(schema['enum'])}")]
        return [(path, f"{name}: {value!r} is not one of: {_choices(schema['enum'])}")]
    if kind == "pattern":
        return [(path, f"{name}: {value!r} {_pattern_words(schema['pattern'])}")]
    if kind == "type":
        wanted = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return [(path, f"{name}: expected {' or '.join(TYPE_WORDS[t] for t in wanted)}, got {_kind(value)}")]
    if kind in ("minItems", "minLength") and not value:
        return [(path, f"{name}: must not be empty")]
    if kind in ("minProperties", "maxProperties"):
        if schema.get("x-action"):
            return [(path, f"{name}: each action is a mapping with one key, the action's name "
                           f"(one of: {', '.join(ACTIONS)})")]
        if schema.get("x-one-of"):
            return [(path, f"{name}: give exactly one of: {', '.join(schema['x-one-of'])}")]
        return [(path, f"{name}: must not be empty")]
    if kind == "maxLength":
        return [(path, f"{name}: longer than {schema['maxLength']} characters")]
    if kind == "uniqueItems":
        return [(path, f"{name}: an item is repeated")]
    if kind in ("minimum", "maximum"):
        return [(path, f"{name}: must be {'at least' if kind == 'minimum' else 'at most'} {schema[kind]}")]
    return [(path, f"{name}: {error.message}")]


def _pattern_words(pattern):
    return {
        DURATION_PATTERN: "is not a duration (a whole number and s, m, h, d or w: 30s, 15m, 6h, 2d, 1w)",
        ID_PATTERN: "is not a valid id (lower-case letters, digits and '-', at most 64)",
        KEY_PATTERN: "is not a valid name (lower-case letters, digits, '_' and '-')",
        USERNAME_PATTERN: "is not a valid user name",
        AGENCY_PATTERN: "is not 'host' nor an agency code (2–32 capitals, digits, '-', '_')",
    }.get(pattern, f"does not have the expected form ({pattern})")
