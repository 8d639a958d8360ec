"""Playbook matchers: `match` compiled once into small closures the router calls per alert.

A condition is an Alertmanager matcher string (`source="wazuh"`, `{a=~"x.*", b!=""}`) or a mapping
(`{field: severity, gte: high}`, `{field: host, in: [...]}`, `equals`, `not_equals`, `regex`,
`not_regex`, `not_in`, `lte`). Alertmanager's rules hold: a missing label is "" (so `foo=""`
matches its absence and `foo!=""` needs it), regular expressions are anchored at both ends, a
value may be quoted with the escapes \\" \\\\ \\n (any other backslash stays literal, as in
Alertmanager's classic parser). `system` is a tuple: `=`, `=~` and `in` hold when one of its
codes does, the negative forms when none does; no system counts as the one code "".

Speed matters (the router runs every alert through its candidates), so each condition becomes a
closure with its constants bound and no allocation per call; the words of `why_not` are only
built when asked.
"""
import json
import re
import re._constants as _sre
import re._parser as _sre_parse
from functools import lru_cache
from operator import attrgetter

from ..catalogue import gettext as _
from ..catalogue import lazy_gettext as _l
from .canonical import ALERT_FIELDS, CONTEXT_FIELDS, LABEL_KEY_MAX, SEVERITIES, SEVERITY_RANK, Context
from .matcher_syntax import NAME, OPERATORS, MatcherError, parse_matchers  # noqa: F401 (their home for callers)

LABEL_PREFIX = "labels."
# Names a playbook cannot match on: the label map itself, the time, the raw payload.
RESERVED = ("labels", "occurred_at", "raw")
MAPPING_OPERATORS = {"equals": "=", "not_equals": "!=", "regex": "=~", "not_regex": "!~",
                     "in": "in", "not_in": "not_in", "gte": "gte", "lte": "lte"}
NO_SYSTEM = ("",)
EMPTY_CONTEXT = Context()


# --- field names ------------------------------------------------------------------------------

def check_field(name, where=""):
    """`name` if a playbook may use it as a field (matchers, group.by), else MatcherError."""
    if not isinstance(name, str) or not name:
        raise MatcherError(_l("a field name must be a non-empty text"), where)
    if name != name.strip() or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise MatcherError(_l('the field name "%(name)s" has spaces around it or control characters',
                              name=name), where)
    if len(name) > LABEL_KEY_MAX + len(LABEL_PREFIX):
        raise MatcherError(_l("the field name is longer than %(max)d characters", max=LABEL_KEY_MAX), where)
    if name in RESERVED:
        raise MatcherError(_l('"%(name)s" cannot be matched; for a label of that name write labels.%(name)s',
                              name=name), where)
    if name.startswith(LABEL_PREFIX) and not name[len(LABEL_PREFIX):]:
        raise MatcherError(_l('"labels." must be followed by a label name'), where)
    return name


def _kind(name):
    """("alert" | "context" | "label", the attribute or label key) of a checked field name."""
    if name in ALERT_FIELDS:
        return "alert", name
    if name in CONTEXT_FIELDS:
        return "context", name
    if name.startswith(LABEL_PREFIX):
        return "label", name[len(LABEL_PREFIX):]
    return "label", name


def field_value(name, alert, ctx):
    """The value of a field as playbooks name it: an alert field, a context field (`system` is a
    tuple, `system_level` an int), `labels.X` or a bare label name ("" when the label is absent)."""
    return value_getter(name)(alert, ctx)


@lru_cache(maxsize=4096)
def value_getter(name):
    """fn(alert, ctx) → field_value(name, alert, ctx), with the name resolved once."""
    kind, key = _kind(name)
    if kind == "alert":
        get = attrgetter(key)
        return lambda a, c: get(a)
    if kind == "context":
        get = attrgetter(key)
        return lambda a, c: get(c if c is not None else EMPTY_CONTEXT)
    return lambda a, c: a.labels.get(key, "")


def _text_getter(name):
    """fn(alert, ctx) → the field as text (a tuple of texts for `system`)."""
    kind, key = _kind(name)
    if kind == "alert":
        get = attrgetter(key)
        return lambda a, c: get(a)
    if kind == "context" and key == "system":
        return lambda a, c: (c or EMPTY_CONTEXT).system or NO_SYSTEM
    if kind == "context" and key == "system_level":
        return lambda a, c: str((c or EMPTY_CONTEXT).system_level)
    if kind == "context":
        get = attrgetter(key)
        return lambda a, c: get(c or EMPTY_CONTEXT)
    return lambda a, c: a.labels.get(key, "")


def _shown(name, alert, ctx):
    """The actual value of a field, in words for a reason."""
    kind, key = _kind(name)
    if kind == "label" and key not in alert.labels:
        return _("absent")
    value = field_value(name, alert, ctx)
    if kind == "context" and key == "system":
        return json.dumps(list(value), ensure_ascii=False) if value else _("absent")
    if kind == "context" and key == "system_level":
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _quoted(value):
    return json.dumps(value, ensure_ascii=False)


# --- one condition ----------------------------------------------------------------------------

class Condition:
    """One compiled condition: `test(alert, ctx) -> bool`, `why(alert, ctx)` → None or the reason
    in words, `text` the condition as written. For the router's index: `constraints` maps a field
    (index_name) to the only values it allows ({"source": {"wazuh"}}), and `parts` are the
    (test, field) pairs whose conjunction it is (a brace string has several), `field` naming the
    one constraint a part checks and nothing else (None when it checks more)."""

    __slots__ = ("test", "why", "text", "constraints", "parts")

    def __init__(self, test, why, text, constraints=None, parts=None):
        self.test, self.why, self.text = test, why, text
        self.constraints = constraints or {}
        self.parts = parts if parts is not None else ((test, None),)

    @property
    def sources(self):
        return self.constraints.get("source")


def index_name(name):
    """The name the index knows a field by (labels.X for a label), or None for a field it does not
    index (context fields: `system` is a tuple; the executor's lookups are not the alert's)."""
    kind, key = _kind(name)
    if kind == "context":
        return None
    return LABEL_PREFIX + key if kind == "label" else key


# A playbook's regexes run on text that attackers write (log lines, labels). Python's `re` can
# backtrack for hours on a nested repetition such as `(a+)+$`; RE2 (Alertmanager's engine) cannot,
# but its Python binding costs ~9 µs a call against ~1 µs. So patterns are matched with `re` and
# the two things that make it slow or unlike Alertmanager are refused when the playbook loads:
# an unbounded repetition inside another, and lookarounds / backreferences (not in RE2's syntax).
_REPEATS = tuple(getattr(_sre, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
                 if hasattr(_sre, name))
_NOT_RE2 = {_sre.ASSERT: "lookaround", _sre.ASSERT_NOT: "lookaround", _sre.GROUPREF: "backreference",
            _sre.GROUPREF_EXISTS: "conditional group"}


def _items(node):
    """The sub-patterns inside one parsed item (its arguments that are patterns)."""
    for arg in node if isinstance(node, (tuple, list)) else ():
        if isinstance(arg, _sre_parse.SubPattern):
            yield arg
        elif isinstance(arg, (tuple, list)):
            yield from _items(arg)


def _unsafe(pattern, inside_repeat=False):
    """Why `pattern` (parsed) is refused, or None."""
    for op, arg in pattern:
        if op in _NOT_RE2:
            return _NOT_RE2[op]
        repeat = op in _REPEATS and arg[1] == _sre.MAXREPEAT
        if repeat and inside_repeat:
            return "nested repetition"
        for sub in _items(arg):
            found = _unsafe(sub, inside_repeat or repeat)
            if found:
                return found
    return None


def _regex(pattern, where):
    if not isinstance(pattern, str):
        raise MatcherError(_l("a regular expression must be a text"), where)
    try:
        compiled = re.compile(pattern)
        unsafe = _unsafe(_sre_parse.parse(pattern))
    except (re.error, RecursionError, OverflowError) as err:
        raise MatcherError(_l('invalid regular expression "%(pattern)s": %(error)s',
                              pattern=pattern, error=str(err)), where) from None
    if unsafe:
        raise MatcherError(_l('regular expression "%(pattern)s" refused: %(why)s (it could take exponential '
                              'time on hostile text, or is not in Alertmanager\'s RE2 syntax)',
                              pattern=pattern, why=unsafe), where)
    return compiled


def _scalar(value, where):
    """A value compared as text: a YAML number is its decimal text."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise MatcherError(_l("a value must be a text or a number, not %(value)s", value=repr(value)), where)
    return value if isinstance(value, str) else str(value)


def _literal_alternatives(pattern):
    """The texts a regex can match when it is a plain alternation of words ("a|b"), else None."""
    parts = pattern.split("|")
    return frozenset(parts) if all(re.fullmatch(r"[A-Za-z0-9_-]+", part) for part in parts) else None


def _tester(name, op, const):
    """The closure testing `name op const`: const is a text (= !=), a frozenset (in not_in) or a
    compiled regex's fullmatch (=~ !~). Written out per kind of field so a call is one Python
    frame: alert fields through a C attrgetter, labels straight from the dict."""
    kind, key = _kind(name)
    if kind == "context" and key == "system":  # a tuple: any code for the positive forms
        get = _text_getter(name)
        return {"=": lambda a, c: const in get(a, c),
                "!=": lambda a, c: const not in get(a, c),
                "in": lambda a, c: not const.isdisjoint(get(a, c)),
                "not_in": lambda a, c: const.isdisjoint(get(a, c)),
                "=~": lambda a, c: any(const(v) is not None for v in get(a, c)),
                "!~": lambda a, c: all(const(v) is None for v in get(a, c))}[op]
    if kind == "label":
        return {"=": lambda a, c: a.labels.get(key, "") == const,
                "!=": lambda a, c: a.labels.get(key, "") != const,
                "in": lambda a, c: a.labels.get(key, "") in const,
                "not_in": lambda a, c: a.labels.get(key, "") not in const,
                "=~": lambda a, c: const(a.labels.get(key, "")) is not None,
                "!~": lambda a, c: const(a.labels.get(key, "")) is None}[op]
    if kind == "alert":
        get = attrgetter(key)
        return {"=": lambda a, c: get(a) == const,
                "!=": lambda a, c: get(a) != const,
                "in": lambda a, c: get(a) in const,
                "not_in": lambda a, c: get(a) not in const,
                "=~": lambda a, c: const(get(a)) is not None,
                "!~": lambda a, c: const(get(a)) is None}[op]
    get = _text_getter(name)  # agency, server, system_level (as text)
    return {"=": lambda a, c: get(a, c) == const,
            "!=": lambda a, c: get(a, c) != const,
            "in": lambda a, c: get(a, c) in const,
            "not_in": lambda a, c: get(a, c) not in const,
            "=~": lambda a, c: const(get(a, c)) is not None,
            "!~": lambda a, c: const(get(a, c)) is None}[op]


def _condition(name, op, value, text, where):
    """Compile `name op value`; op in = != =~ !~ in not_in gte lte."""
    check_field(name, where)
    if op in ("gte", "lte"):
        return _ordered(name, op, value, text, where)
    sources = None  # the values it allows, when it names them (= in, a regex of plain alternatives)
    if op in ("=", "!="):
        const = _scalar(value, where)
        if op == "=":
            sources = frozenset((const,))
            words = lambda shown: _("%(field)s is %(actual)s, not %(expected)s",
                                    field=name, actual=shown, expected=_quoted(const))
        else:
            words = lambda shown: _("%(field)s is %(actual)s, which the playbook excludes", field=name, actual=shown)
    elif op in ("=~", "!~"):
        const = _regex(value, where).fullmatch  # fullmatch: anchored at both ends, like ^(?:re)$
        if op == "=~":
            sources = _literal_alternatives(value)
            words = lambda shown: _("%(field)s is %(actual)s, which does not match %(pattern)s",
                                    field=name, actual=shown, pattern=_quoted(value))
        else:
            words = lambda shown: _("%(field)s is %(actual)s, which matches the excluded %(pattern)s",
                                    field=name, actual=shown, pattern=_quoted(value))
    elif op in ("in", "not_in"):
        if not isinstance(value, (list, tuple)) or not value:
            raise MatcherError(_l('"%(op)s" takes a non-empty list of values', op=op), where)
        const = frozenset(_scalar(v, f"{where}.{op}[{i}]") for i, v in enumerate(value))
        listed = json.dumps([_scalar(v, where) for v in value], ensure_ascii=False)
        if op == "in":
            sources = const
            words = lambda shown: _("%(field)s is %(actual)s, not one of %(values)s",
                                    field=name, actual=shown, values=listed)
        else:
            words = lambda shown: _("%(field)s is %(actual)s, one of the excluded %(values)s",
                                    field=name, actual=shown, values=listed)
    else:
        raise MatcherError(_l('unknown operator "%(op)s"', op=op), where)
    test = _tester(name, op, const)
    why = lambda a, c: None if test(a, c) else words(_shown(name, a, c))
    indexed = index_name(name)
    if sources is None or indexed is None:
        return Condition(test, why, text)
    return Condition(test, why, text, {indexed: sources}, ((test, indexed),))


def _ordered(name, op, value, text, where):
    """gte / lte on the severity scale or on system_level; any other field is an error."""
    if name == "severity":
        if value not in SEVERITY_RANK:
            raise MatcherError(_l('"%(op)s" on severity takes one of %(scale)s', op=op,
                                  scale=", ".join(SEVERITIES)), where)
        bound, rank = SEVERITY_RANK[value], SEVERITY_RANK.get
        if op == "gte":
            test = lambda a, c: rank(a.severity, -1) >= bound
        else:
            test = lambda a, c: 0 <= rank(a.severity, -1) <= bound
        shown_bound = _quoted(value)
    elif name == "system_level":
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise MatcherError(_l('"%(op)s" on system_level takes a whole number', op=op), where)
        bound = value
        test = ((lambda a, c: (c or EMPTY_CONTEXT).system_level >= bound) if op == "gte"
                else (lambda a, c: (c or EMPTY_CONTEXT).system_level <= bound))
        shown_bound = str(value)
    else:
        raise MatcherError(_l('"%(op)s" compares only severity and system_level, not %(field)s',
                              op=op, field=name), where)

    def why(a, c):
        if test(a, c):
            return None
        shown = _shown(name, a, c)
        if op == "gte":
            return _("%(field)s is %(actual)s, below %(bound)s", field=name, actual=shown, bound=shown_bound)
        return _("%(field)s is %(actual)s, above %(bound)s", field=name, actual=shown, bound=shown_bound)
    return Condition(test, why, text)


def _from_string(text, where):
    matchers = [_condition(name, op, value, f'{name}{op}{_quoted(value)}', where)
                for name, op, value in parse_matchers(text, where)]
    if len(matchers) == 1:
        only = matchers[0]
        return Condition(only.test, only.why, text, only.constraints, only.parts)

    def why(a, c):
        return next((reason for reason in (m.why(a, c) for m in matchers) if reason is not None), None)
    return Condition(_all_of([m.test for m in matchers]), why, text, _merged(m.constraints for m in matchers),
                     tuple(part for m in matchers for part in m.parts))


def _from_mapping(spec, where):
    if "field" not in spec:
        raise MatcherError(_l('a condition mapping needs "field"'), where)
    ops = [key for key in spec if key != "field"]
    unknown = [key for key in ops if key not in MAPPING_OPERATORS]
    if unknown:
        raise MatcherError(_l('unknown operator "%(op)s"; use one of %(ops)s', op=unknown[0],
                              ops=", ".join(MAPPING_OPERATORS)), where)
    if len(ops) != 1:
        raise MatcherError(_l("a condition takes exactly one operator (%(ops)s)", ops=", ".join(MAPPING_OPERATORS)),
                           where)
    name, op = spec["field"], ops[0]
    value = spec[op]
    shown = json.dumps(list(value), ensure_ascii=False) if isinstance(value, (list, tuple)) else _quoted(value)
    return _condition(name, MAPPING_OPERATORS[op], value, f"{name} {op} {shown}", where)


def compile_condition(item, where):
    """One item of `all`, `any` or `none`: a matcher string or a mapping."""
    if isinstance(item, str):
        return _from_string(item, where)
    if isinstance(item, dict):
        return _from_mapping(item, where)
    raise MatcherError(_l("a condition is a matcher string or a mapping with field"), where)


# --- the whole `match` ------------------------------------------------------------------------

def _merged(constraint_maps):
    """The constraints of a conjunction: for each field, the values every part allows."""
    out = {}
    for found in constraint_maps:
        for name, values in found.items():
            out[name] = values if name not in out else out[name] & values
    return out


def _all_of(tests):
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda a, c: first(a, c) and second(a, c)
    if len(tests) == 3:
        first, second, third = tests
        return lambda a, c: first(a, c) and second(a, c) and third(a, c)
    if len(tests) == 4:
        first, second, third, fourth = tests
        return lambda a, c: first(a, c) and second(a, c) and third(a, c) and fourth(a, c)
    tests = tuple(tests)

    def test(a, c):
        for t in tests:
            if not t(a, c):
                return False
        return True
    return test


def _any_of(tests):
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]
    tests = tuple(tests)

    def test(a, c):
        for t in tests:
            if t(a, c):
                return True
        return False
    return test


class Match:
    """A compiled `match`: `test(alert, ctx)`, `why_not(alert, ctx)`, `sources` (the alert sources
    it can match, None = any) and `constraints` (for each field it pins, by index_name, the values
    it allows; `sources` is the one of "source"): the router's index. `test` is a plain attribute
    holding a closure, so a call costs no method binding."""

    __slots__ = ("test", "all", "any", "none", "constraints", "sources", "_narrowed")

    def __init__(self, all_=(), any_=(), none=()):
        self.all, self.any, self.none = tuple(all_), tuple(any_), tuple(none)
        constraints = _merged(c.constraints for c in self.all)
        for name in set().union(*(c.constraints for c in self.any)) if self.any else ():
            if all(name in c.constraints for c in self.any):  # every alternative names its values
                union = frozenset().union(*(c.constraints[name] for c in self.any))
                constraints[name] = union & constraints[name] if name in constraints else union
        self.constraints = constraints
        self.sources = constraints.get("source")
        self.test = self._compiled(frozenset())
        self._narrowed = {frozenset(): self.test}

    def narrowed(self, known):
        """The test for an alert the index already knows satisfies the constraints on the fields
        in `known` (its value is among the allowed ones): the parts checking only those fields
        are left out, as they hold."""
        known = frozenset(known)
        if known not in self._narrowed:
            self._narrowed[known] = self._compiled(known)
        return self._narrowed[known]

    def _compiled(self, known):
        """One flat conjunction: the parts of `all`, then `any`, then each `none` negated."""
        parts = [test for condition in self.all for test, field in condition.parts if field not in known]
        some = _any_of([c.test for c in self.any])
        if some:
            parts.append(some)
        for excluded in self.none:
            parts.append(lambda a, c, t=excluded.test: not t(a, c))
        return _all_of(parts) or (lambda a, c: True)

    def why_not(self, alert, ctx):
        """None when the alert matches, else the first failing condition in words."""
        ctx = ctx if ctx is not None else EMPTY_CONTEXT
        for condition in self.all:
            reason = condition.why(alert, ctx)
            if reason is not None:
                return reason
        if self.any and not any(c.test(alert, ctx) for c in self.any):
            return _('none of the "any" conditions holds; the first: %(reason)s',
                     reason=self.any[0].why(alert, ctx))
        for condition in self.none:
            if condition.test(alert, ctx):
                return _('an excluded ("none") condition holds: %(condition)s', condition=condition.text)
        return None


def compile_match(spec, where="match"):
    """The Match of a playbook's `match` mapping (None or {} match every alert)."""
    if spec is None:
        return Match()
    if not isinstance(spec, dict):
        raise MatcherError(_l("match is a mapping of all, any and none"), where)
    unknown = [key for key in spec if key not in ("all", "any", "none")]
    if unknown:
        raise MatcherError(_l('unknown key "%(key)s" in match (all, any, none)', key=unknown[0]), where)
    lists = {}
    for key in ("all", "any", "none"):
        items = spec.get(key) or []
        if not isinstance(items, list):
            raise MatcherError(_l("%(key)s is a list of conditions", key=key), f"{where}.{key}")
        lists[key] = [compile_condition(item, f"{where}.{key}[{i}]") for i, item in enumerate(items)]
    return Match(lists["all"], lists["any"], lists["none"])
