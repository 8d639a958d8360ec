"""The one Jinja environment playbook templates run in, and what they see.

A playbook is data written by people, so its templates run in Jinja's immutable sandbox: no
attribute that starts with "_", no method that changes a value, `range` capped at 100,000. On top
of the sandbox: reaching an unsafe attribute fails loudly instead of rendering empty (so the
compile-time trial render refuses such a template at load), `*` and `**` are checked so that
`'x' * 10**9` cannot fill the memory, and an output is cut at OUTPUT_MAX characters.
"""
import math

from jinja2 import ChainableUndefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..canonical import DESCRIPTION_MAX

OUTPUT_MAX = DESCRIPTION_MAX      # characters of one rendered text
SEQUENCE_MAX = 100_000            # the longest string or list `*` may build (as Jinja's MAX_RANGE)
NUMBER_MAX = 10**12               # the largest integer `*` and `**` may build
LITERAL_MAX = 1_000_000           # the largest integer literal a template may write

ALERT_VARIABLES = ("source", "severity", "status", "title", "description", "host", "labels",
                   "occurred_at", "fingerprint")
CONTEXT_VARIABLES = ("agency", "system", "system_level", "server")


class PlaybookSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def unsafe_undefined(self, obj, attribute):
        # The stock sandbox answers an undefined value, which renders "" silently: a template
        # that tries `''.__class__` must be refused, not quietly emptied.
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} is unsafe")

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            if _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1 and \
                    right * math.log10(abs(left)) > math.log10(NUMBER_MAX):
                raise SecurityError("the result of ** is too large")
            result = left ** right
        else:
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and _is_int(times) and len(seq) * times > SEQUENCE_MAX:
                    raise SecurityError(f"the result of * is longer than {SEQUENCE_MAX}")
            result = left * right
        if _is_int(result) and abs(result) > NUMBER_MAX:
            raise SecurityError("the result is too large")
        return result


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


ENVIRONMENT = PlaybookSandbox(autoescape=False, undefined=ChainableUndefined, keep_trailing_newline=False)


LOOPS_MAX = 10                    # `for` loops in one template (none nested, none recursive)


def static_problem(ast):
    """What in a parsed template is refused before it ever runs (None when nothing): a name or
    attribute starting with "_" (the door to Python's internals), huge integer literals, nested or
    recursive loops and more than LOOPS_MAX loops. With `range` and `*` capped at 100,000 this
    bounds the work of one render: the sandbox has no time limit of its own."""
    loops = list(ast.find_all(nodes.For))
    if len(loops) > LOOPS_MAX:
        return f"more than {LOOPS_MAX} loops"
    for loop in loops:
        if loop.recursive:
            return "recursive loops are not allowed"
        if any(True for _inner in loop.find_all(nodes.For)):
            return "nested loops are not allowed"
    if any(True for _macro in ast.find_all(nodes.Macro)):
        return "macros are not allowed"
    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Const, nodes.Name)):
        name = None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        elif isinstance(node, nodes.Name):
            name = node.name
        elif isinstance(node, nodes.Const) and _is_int(node.value) and abs(node.value) > LITERAL_MAX:
            return f"the number {node.value} is larger than {LITERAL_MAX}"
        if isinstance(name, str) and name.startswith("_"):
            return f"{name!r} is not allowed (names starting with '_' reach Python internals)"
    return None


def render(template, variables):
    """The template's output with `variables`, cut at OUTPUT_MAX characters. Rendered piece by
    piece, so an output that would be huge stops growing as soon as it passes the cap."""
    pieces, size = [], 0
    for piece in template.generate(variables):
        pieces.append(piece)
        size += len(piece)
        if size > OUTPUT_MAX:
            break
    return "".join(pieces)[:OUTPUT_MAX]


def variables(alert, context):
    """The names a template sees: the canonical alert's fields and the context's (README.md)."""
    found = {name: getattr(alert, name) for name in ALERT_VARIABLES}
    found["labels"] = dict(alert.labels)
    found.update({name: getattr(context, name) for name in CONTEXT_VARIABLES})
    return found


def sample_variables():
    """A plausible alert and context, rendered once at load so a broken template fails there."""
    from datetime import datetime

    from ..canonical import Alert, Context

    alert = Alert(source="wazuh", severity="high", status="firing", title="Sample alert",
                  occurred_at=datetime(2026, 1, 1, 0, 0), fingerprint="0" * 64,
                  description="Sample description", host="portal.example",
                  labels={"rule_id": "31101", "rule_groups": "web,attack", "agent_name": "portal"})
    return variables(alert, Context(agency="SAMPLE", system=("SYS-1",), system_level=3, server="portal"))
