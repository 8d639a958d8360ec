"""Alertmanager's matcher syntax read into (name, op, value) triples: `name op value`, values quoted
with the escapes \\" \\\\ \\n or not, several inside braces separated by commas. What they mean is
matchers.py's business; this module only reads the text.
"""
import re

from ..catalogue import lazy_gettext as _l

NAME = re.compile(r"(?:labels\.)?[A-Za-z_:][A-Za-z0-9_:]*")  # an unquoted name (Alertmanager's)
OPERATORS = ("=~", "!~", "!=", "=")  # two-character operators first


class MatcherError(ValueError):
    """A `match` the compiler refuses; `where` says which part ("match.all[2]")."""

    def __init__(self, message, where=""):
        super().__init__(message, where)
        self.message = message
        self.where = where

    def __str__(self):
        return f"{self.where}: {self.message}" if self.where else str(self.message)



def _split(body):
    """The matchers of a brace body, split on commas outside double quotes (Alertmanager's rule)."""
    parts, current, quoted, escaped = [], [], False, False
    for ch in body:
        if ch == "," and not quoted:
            parts.append("".join(current))
            current = []
            continue
        if ch == '"' and not escaped:
            quoted = not quoted
        escaped = (ch == "\\") and not escaped
        current.append(ch)
    parts.append("".join(current))
    if len(parts) > 1 and not parts[-1].strip():
        parts.pop()  # a trailing comma is allowed
    return parts


def _unescape(raw, quoted, where, whole):
    """Alertmanager's unescaping: \\n, \\" and \\\\; another backslash stays literal; an
    unescaped double quote is an error (except the closing one of a quoted value)."""
    out, i, end = [], 0, len(raw)
    while i < end:
        ch = raw[i]
        if ch == "\\" and i + 1 < end:
            nxt = raw[i + 1]
            out.append("\n" if nxt == "n" else nxt if nxt in '"\\' else "\\" + nxt)
            i += 2
            continue
        if ch == '"':
            if quoted and i == end - 1:
                return "".join(out)
            break
        out.append(ch)
        i += 1
    else:
        if not quoted:
            return "".join(out)
    raise MatcherError(_l("unbalanced or unescaped double quote in %(matcher)s", matcher=whole), where)


def _quoted_end(text, start):
    """The index after the double quote closing the quoted text that opens at `start`, or -1."""
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i + 1
        i += 1
    return -1


def _parse_one(token, where):
    """(name, op, value) of one matcher `name op value`."""
    text = token.strip()
    if not text:
        raise MatcherError(_l("an empty matcher"), where)
    if text[0] == '"':
        end = _quoted_end(text, 0)
        if end < 0:
            raise MatcherError(_l("unbalanced double quote in %(matcher)s", matcher=text), where)
        name = _unescape(text[1:end], True, where, text)
    else:
        found = NAME.match(text)
        if not found or (found.end() < len(text) and text[found.end()] not in " \t\n=!~"):
            raise MatcherError(_l("%(matcher)s does not start with a label name (quote a name that is "
                                  "not made of letters, digits, _ and :)", matcher=text), where)
        end, name = found.end(), found.group()
    rest = text[end:].lstrip()
    op = next((o for o in OPERATORS if rest.startswith(o)), None)
    if op is None:
        raise MatcherError(_l("%(matcher)s needs an operator: =, !=, =~ or !~", matcher=text), where)
    raw = rest[len(op):].strip()
    value = _unescape(raw[1:], True, where, text) if raw.startswith('"') else _unescape(raw, False, where, text)
    if not name:
        raise MatcherError(_l("an empty label name in %(matcher)s", matcher=text), where)
    return name, op, value


def parse_matchers(text, where=""):
    """[(name, op, value), ...] of an Alertmanager matcher string; braces are optional."""
    body = text.strip()
    if body.startswith("{") or body.endswith("}"):
        if not (body.startswith("{") and body.endswith("}")):
            raise MatcherError(_l("unbalanced braces in %(matcher)s", matcher=body), where)
        body = body[1:-1]
    if not body.strip():
        raise MatcherError(_l("a matcher string must hold at least one matcher"), where)
    return [_parse_one(part, where) for part in _split(body)]
