"""One playbook file → a compiled Playbook (compiled.py), or the list of what is wrong with it.

The order of the checks: read and parse (loader), the JSON Schema (schema), then what a schema
cannot say: every template parses in the sandbox, uses no "_" name and renders once against a
sample alert; the matchers compile (matchers.compile_match owns their grammar); the group's field
names are valid; task keys are unique. Every error of the file is reported, sorted by line.
"""
import hashlib
import re
from dataclasses import replace
from datetime import timedelta
from typing import NamedTuple

from flask_babel import force_locale
from jinja2 import TemplateSyntaxError

from . import schema as schema_module
from .compiled import (
    Action,
    Candidate,
    Escalation,
    EscalationPolicy,
    Graded,
    Group,
    IncidentSpec,
    LoadError,
    LoadFailed,
    Notify,
    Playbook,
    Step,
    Target,
    TemplateText,
    Text,
)
from .loader import line_of, parse, read_bytes
from .templates import ENVIRONMENT, render, sample_variables, static_problem

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class Compiled(NamedTuple):
    """What compiling one file gives: the playbook (None when the file has errors), its errors,
    its version (SHA-256 of its bytes, "" when unreadable) and the line of its `id`."""

    playbook: Playbook | None
    errors: list
    version: str
    id_line: int | None = None


# Compiled files by (path, SHA-256 of the bytes): the same bytes always compile to the same
# immutable result, so an app created again in the same process (the tests create hundreds) or a
# reload after another file changed does not parse and compile the unchanged files again.
_CACHE = {}
_CACHE_MAX = 512


def compile_file(path, policies=None):
    """Compiled(playbook or None, [LoadError], version, id_line) for the file at `path`; `policies`
    ({name: EscalationPolicy}) are the named escalation policies it may use. A playbook that uses
    one has a version that covers the policy's file too."""
    try:
        data = read_bytes(path)
    except LoadFailed as failed:
        return Compiled(None, list(failed.errors), "")
    except OSError as err:
        return Compiled(None, [LoadError(str(path), None, f"cannot read the file: {err.strerror or err}")], "")
    version = hashlib.sha256(data).hexdigest()
    policies = policies or {}
    key = (str(path), version, tuple(sorted((n, p.version) for n, p in policies.items())))
    found = _CACHE.get(key)
    if found is None:
        found = _compile(data, path, version, policies)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[key] = found
    return found


def _compile(data, path, version, policies):
    try:
        mapping, lines = parse(data, path)
    except LoadFailed as failed:
        return Compiled(None, list(failed.errors), version)
    errors = schema_module.check(mapping, lines, path)
    if errors:
        return Compiled(None, errors, version)
    compiler = _Compiler(path, lines, policies)
    playbook = compiler.playbook(mapping, version)
    if compiler.errors:
        return Compiled(None, sorted(compiler.errors, key=lambda e: (e.line or 0, e.message)), version)
    if compiler.used:  # the playbook's behaviour is its file and the policies it names
        version = hashlib.sha256("\n".join([version, *sorted(compiler.used)]).encode()).hexdigest()
        playbook = replace(playbook, version=version)
    return Compiled(playbook, [], version, lines.get(("id",)))


def compile_policy(data, path):
    """(EscalationPolicy or None, [LoadError]) of a named policy file's bytes."""
    version = hashlib.sha256(data).hexdigest()
    try:
        mapping, lines = parse(data, path)
    except LoadFailed as failed:
        return None, list(failed.errors)
    errors = schema_module.check(mapping, lines, path, schema_module.POLICY_VALIDATOR)
    if errors:
        return None, errors
    compiler = _Compiler(path, lines, {})
    policy = compiler.escalation({"steps": mapping["steps"], "repeat": mapping.get("repeat", 0)}, ())
    if compiler.errors:
        return None, sorted(compiler.errors, key=lambda e: (e.line or 0, e.message))
    return replace(policy, name=mapping["id"], version=version), []


def duration(text):
    """"15m" → timedelta(minutes=15) (the schema has checked the form)."""
    return timedelta(**{UNITS[text[-1]]: int(text[:-1])})


def text(value):
    """A string or {vi, en} → Text (a missing language falls back to the other)."""
    if isinstance(value, str):
        return Text(value, value)
    value = value or {}
    vi, en = value.get("vi", ""), value.get("en", "")
    return Text(vi or en, en or vi)


def graded(value):
    if isinstance(value, str):
        return Graded(value, {})
    return Graded(value["default"], {k: v for k, v in value.items() if k != "default"})


def _english(message):
    """A matcher's (lazily translated) message as English text: load errors are kept once for
    every reader, so they are all written in one language, whichever request caused the reload."""
    with force_locale("en"):
        return str(message)


def _where_to_path(where):
    """"match.all[2]" → ("match", "all", 2)."""
    path = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", str(where or "")):
        path.append(int(index) if index else name)
    if path and path[0] != "match":
        path.insert(0, "match")
    return tuple(path) or ("match",)


class _Compiler:
    """Compiles the parts of one validated mapping, collecting errors instead of stopping."""

    def __init__(self, path, lines, policies=None):
        self.path, self.lines, self.errors = str(path), lines, []
        self.policies, self.used = policies or {}, set()  # used: "name:version" of named policies
        self._sample = None

    def error(self, where, message):
        self.errors.append(LoadError(self.path, line_of(self.lines, where), message))

    def playbook(self, spec, version):
        match = self.match(spec["match"])
        group = self.group(spec.get("group"))
        incident = self.incident(spec["incident"])
        actions = self.actions(spec.get("actions") or [])
        return Playbook(id=spec["id"], title=text(spec["title"]), description=text(spec.get("description", "")),
                        order=spec["order"], cont=spec.get("continue", False), enabled=spec.get("enabled", True),
                        match=match, group=group, incident=incident, actions=actions, path=self.path,
                        version=version, spec=spec)

    # --- match and group: the grammar belongs to matchers.py --------------------------------
    def match(self, spec):
        from .. import matchers

        try:
            return matchers.compile_match(spec)
        except matchers.MatcherError as err:
            where = getattr(err, "where", None)
            message = _english(getattr(err, "message", None) or err)
            self.error(_where_to_path(where), f"{where or 'match'}: {message}")
            return None

    def group(self, spec):
        if spec is None:
            return None
        from .. import matchers

        for index, name in enumerate(spec["by"]):
            try:
                matchers.check_field(name)
            except matchers.MatcherError as err:
                self.error(("group", "by", index),
                           f"group.by[{index}]: {_english(getattr(err, 'message', None) or err)}")
        window = duration(spec["window"])
        if not window:
            self.error(("group", "window"), "group.window: must be longer than 0")
        return Group(by=tuple(spec["by"]), window=window, on_resolved=spec.get("on_resolved", "note"))

    # --- incident --------------------------------------------------------------------------
    def incident(self, spec):
        description = spec.get("description")
        return IncidentSpec(
            title=self.template(spec["title"], ("incident", "title")),
            description=None if description is None else self.template(description, ("incident", "description")),
            category=spec["category"], sub_type=spec.get("sub_type", ""),
            severity=graded(spec["severity"]), priority=graded(spec["priority"]),
            tlp=spec["tlp"], agency=spec["agency"])

    def template(self, value, where):
        """TemplateText of a text field, each language parsed, checked and tried once."""
        source = text(value)
        compiled = {}
        for lang in ("vi", "en"):
            string = getattr(source, lang)
            if lang == "en" and string == source.vi:
                compiled[lang] = compiled.get("vi")
                continue
            node = where + (lang,) if isinstance(value, dict) and lang in value else where
            compiled[lang] = self._one_template(string, node)
        return TemplateText(source, compiled["vi"], compiled["en"])

    def _one_template(self, string, where):
        name = schema_module.field_name(where)
        try:
            problem = static_problem(ENVIRONMENT.parse(string))
            if problem:
                self.error(where, f"{name}: template refused: {problem}")
                return None
            template = ENVIRONMENT.from_string(string)
        except TemplateSyntaxError as err:
            at = f" (template line {err.lineno})" if err.lineno and err.lineno > 1 else ""
            self.error(where, f"{name}: template syntax error{at}: {err.message}")
            return None
        if self._sample is None:
            self._sample = sample_variables()
        try:
            render(template, self._sample)
        except Exception as err:  # noqa: BLE001 - any failure of the trial render refuses the template
            self.error(where, f"{name}: template refused: {type(err).__name__}: {err}")
            return None
        return template

    # --- actions ---------------------------------------------------------------------------
    def actions(self, items):
        out, keys = [], {}
        for index, item in enumerate(items):
            ((name, value),) = item.items()
            where = ("actions", index, name)
            out.append(Action(name, getattr(self, f"_action_{name}")(value, where, keys)))
        return tuple(out)

    def _action_assign(self, value, where, keys):
        return tuple(Candidate(*self._who(item, where + (index,))) for index, item in enumerate(value))

    def _who(self, item, where):
        """(kind, value, layer) of a {person|role|rotation: ..., layer: ...} mapping; two kinds in
        one mapping is an error (the schema lets two keys through for `rotation` + `layer`)."""
        kinds = [k for k in item if k != "layer"]
        if len(kinds) != 1:
            self.error(where, f"{schema_module.field_name(where)}: give exactly one of: person, role, rotation")
            return ("invalid", "", None)
        return (kinds[0], item[kinds[0]], item.get("layer"))

    def _targets(self, items, where):
        return tuple(Target(item, None) if isinstance(item, str) else Target(*self._who(item, where + (index,)))
                     for index, item in enumerate(items))

    def _action_tasks(self, value, where, keys):
        steps = []
        for index, item in enumerate(value):
            key = item["key"]
            if key in keys:
                self.error(where + (index, "key"),
                           f"{schema_module.field_name(where + (index, 'key'))}: task key '{key}' is "
                           f"used twice (first at line {keys[key]})")
            keys.setdefault(key, line_of(self.lines, where + (index, "key")))
            steps.append(Step(key=key, title=text(item["title"]), detail=text(item.get("detail", "")),
                              owner_role=item.get("owner_role"),
                              due=duration(item["due"]) if "due" in item else None,
                              required=item.get("required", False)))
        return tuple(steps)

    def _action_clocks(self, value, where, keys):
        return tuple(value)

    def _action_note(self, value, where, keys):
        return self.template(value, where)

    def _action_link_affected(self, value, where, keys):
        return value

    def _action_notify(self, value, where, keys):
        return Notify(to=self._targets(value["to"], where + ("to",)), channels=tuple(value["channels"]),
                      on=tuple(value.get("on", ("opened",))))

    def _action_escalate(self, value, where, keys):
        if isinstance(value, dict) and "policy" in value:
            return self._named_policy(value, where)
        if isinstance(value, dict) and "steps" not in value:
            self.error(where, f"{schema_module.field_name(where)}: give `steps` (and `repeat`), or `policy`")
            return EscalationPolicy(())
        return self.escalation(value, where)

    def _named_policy(self, value, where):
        name = value["policy"]
        if len(value) > 1:
            self.error(where, f"{schema_module.field_name(where)}: `policy` names a whole policy; "
                              "give it alone, without `steps` or `repeat`")
        policy = self.policies.get(name)
        if policy is None:
            known = ", ".join(sorted(self.policies)) or "none"
            self.error(where + ("policy",), f"{schema_module.field_name(where + ('policy',))}: unknown escalation "
                                            f"policy '{name}' (known: {known}; they are the files of escalation/)")
            return EscalationPolicy(())
        self.used.add(f"{name}:{policy.version}")
        return policy

    def escalation(self, value, where):
        """An inline policy: a list of steps, or {steps, repeat}."""
        steps, repeat = (value, 0) if isinstance(value, list) else (value["steps"], value.get("repeat", 0))
        base = where if isinstance(value, list) else where + ("steps",)
        out = tuple(Escalation(after=duration(step["after"]), to=self._targets(step["to"], base + (index, "to")),
                               channels=tuple(step["channels"])) for index, step in enumerate(steps))
        for index in range(1, len(out)):
            if out[index].after <= out[index - 1].after:
                self.error(base + (index, "after"), f"{schema_module.field_name(base + (index, 'after'))}: "
                           "each step's `after` must be later than the previous step's")
        if repeat and out and out[-1].after < timedelta(minutes=1):
            self.error(base + (len(out) - 1, "after"), f"{schema_module.field_name(base + (len(out) - 1, 'after'))}: "
                       "with `repeat`, the last step must come at least 1m after the start (a round's length)")
        return EscalationPolicy(out, repeat)
