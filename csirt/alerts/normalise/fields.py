"""Checks shared by the normalisers: each reads one value at a `path` of the payload and returns
it clean, or raises BadAlert naming that path and what is wrong.

Paths are written the way a sender reads its JSON: `at("", "title")` is "title",
`at("[2]", "labels")` is "[2].labels", `item("alerts", 3)` is "alerts[3]".
"""
import json
import re
from datetime import datetime, timedelta, timezone

from ...catalogue import lazy_gettext as _l
from .. import canonical
from .errors import BadAlert

BATCH_MAX = 1000          # alerts in one request (a list, or one Alertmanager group)
FUTURE_SLACK = timedelta(days=1)  # clocks drift; a time further ahead than this is a sender bug
RAW_HEAD = 4096           # bytes of the JSON text kept when the payload is over RAW_MAX
FINGERPRINT_MAX = 128
FINGERPRINT_RE = re.compile(r"[A-Za-z0-9:_.-]+")
SOURCE_RE = re.compile(r"[a-z0-9_.-]+")
TIME_TEXT_MAX = 64
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab and newlines are fine in text


def at(path, key):
    return f"{path}.{key}" if path else str(key)


def item(path, index):
    return f"{path}[{index}]"


def missing(path):
    return BadAlert(path, _l("This field is required."))


def batch(payload, path=""):
    """One object or a list of at most BATCH_MAX objects, as [(path, object)]: a single object
    keeps the bare paths ("title"), list items get their index ("[3].title")."""
    if isinstance(payload, dict):
        return [(path, payload)]
    if not isinstance(payload, list):
        raise BadAlert(path, _l("Expected a JSON object or a list of objects."))
    if not payload:
        raise BadAlert(path, _l("The list is empty: send at least one alert."))
    if len(payload) > BATCH_MAX:
        raise BadAlert(path, _l("At most %(max)d alerts in one request (this one has %(count)d).",
                                max=BATCH_MAX, count=len(payload)))
    out = []
    for index, one in enumerate(payload):
        where = item(path, index)
        if not isinstance(one, dict):
            raise BadAlert(where, _l("Must be a JSON object."))
        out.append((where, one))
    return out


def obj(value, path, required=False):
    """A JSON object ({} when absent and not required)."""
    if value is None:
        if required:
            raise missing(path)
        return {}
    if not isinstance(value, dict):
        raise BadAlert(path, _l("Must be a JSON object."))
    return value


def text(value, path, cap, required=False, truncate=False):
    """A string, stripped; "" when absent. Over `cap` characters it is refused, or, with
    `truncate` (free text from a sender we cannot change), cut with a visible marker."""
    if value is None:
        if required:
            raise missing(path)
        return ""
    if not isinstance(value, str):
        raise BadAlert(path, _l("Must be a string."))
    value = value.strip()
    if required and not value:
        raise BadAlert(path, _l("Must not be empty."))
    if len(value) > cap:
        if not truncate:
            raise BadAlert(path, _l("Must be at most %(max)d characters (it has %(count)d).",
                                    max=cap, count=len(value)))
        value = cut(value, cap)
    return value


def cut(value, cap):
    """`value` shortened to `cap` characters, ending in a marker that says how long it was."""
    marker = f"\n[… truncated: {len(value)} characters in all]"
    return value[: cap - len(marker)] + marker


def headline(value, path, cap):
    """Free text from a sender we cannot change, made one line (runs of whitespace become one
    space) and, when over `cap`, cut with "…"; "" when absent."""
    value = " ".join(_CONTROL.sub(" ", text(value, path, 10 * cap, truncate=True)).split())
    return value if len(value) <= cap else value[: cap - 1] + "…"


def name(value, path, cap, required=False):
    """A one-line string (title, host): like text(), and no control characters."""
    value = text(value, path, cap, required=required)
    if _CONTROL.search(value) or "\n" in value or "\r" in value:
        raise BadAlert(path, _l("Must be a single line without control characters."))
    return value


# Sources that only csirt itself writes: its scheduled checks and the "report an alert" form. A
# sender through the API may not take their names (the check playbooks trust a "check" alert).
RESERVED_SOURCES = ("check", "manual")


def source(value, path, internal=False):
    value = text(value, path, canonical.SOURCE_MAX, required=True).lower()
    if not SOURCE_RE.fullmatch(value):
        raise BadAlert(path, _l("May use only the letters a-z, digits and '_', '.', '-'."))
    if value in RESERVED_SOURCES and not internal:
        raise BadAlert(path, _l("\"%(source)s\" is reserved for alerts csirt raises itself.", source=value))
    return value


def choice(value, path, allowed, synonyms=None, default=None):
    """One of `allowed` (case-insensitive), or a synonym of one; `default` when absent."""
    if value is None and default is not None:
        return default
    value = text(value, path, 64, required=True).lower()
    value = (synonyms or {}).get(value, value)
    if value not in allowed:
        raise BadAlert(path, _l("Must be one of: %(allowed)s.", allowed=", ".join(allowed)))
    return value


def fingerprint(value, path):
    """A sender's fingerprint: "" when absent, else at most 128 of [A-Za-z0-9:_.-]."""
    value = text(value, path, FINGERPRINT_MAX)
    if value and not FINGERPRINT_RE.fullmatch(value):
        raise BadAlert(path, _l("May use only letters, digits and ':', '_', '.', '-'."))
    return value


def labels(value, path):
    """A map of string → string within the caps; a number or boolean as a value is refused,
    not coerced (a sender that sends 5 where it means "5" will also send 5.0 one day)."""
    value = obj(value, path)
    if len(value) > canonical.LABELS_MAX:
        raise BadAlert(path, _l("At most %(max)d labels (there are %(count)d).",
                                max=canonical.LABELS_MAX, count=len(value)))
    out = {}
    for key, val in value.items():
        where = at(path, key[:canonical.LABEL_KEY_MAX])
        if not key.strip():
            raise BadAlert(path, _l("A label name must not be empty."))
        if len(key) > canonical.LABEL_KEY_MAX or _CONTROL.search(key):
            raise BadAlert(where, _l("A label name must be at most %(max)d characters, without "
                                     "control characters.", max=canonical.LABEL_KEY_MAX))
        if not isinstance(val, str):
            raise BadAlert(where, _l("A label value must be a string (write numbers and "
                                     "true/false in quotes)."))
        if len(val) > canonical.LABEL_VALUE_MAX:
            raise BadAlert(where, _l("Must be at most %(max)d characters (it has %(count)d).",
                                     max=canonical.LABEL_VALUE_MAX, count=len(val)))
        out[key] = val
    return out


def when(value, path, now):
    """An ISO 8601 time as naive UTC: an offset or Z is honoured, a naive time is read as UTC
    (senders are machines; the province's clock is for people). Absent → `now`.
    More than a day ahead of `now` is refused."""
    if value is None:
        return now
    if not isinstance(value, str):
        raise BadAlert(path, _l("Must be a string."))
    raw = value.strip()
    try:
        if not raw or len(raw) > TIME_TEXT_MAX:
            raise ValueError(raw)
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise BadAlert(path, _l("Must be an ISO 8601 date and time, e.g. 2026-12-03T08:15:00Z.")) from None
    if moment > now + FUTURE_SLACK:
        raise BadAlert(path, _l("Is more than a day in the future (check the sender's clock)."))
    return moment


def raw(payload):
    """The sender's payload as kept with the alert: itself when its JSON text is at most
    RAW_MAX bytes, else a stub that says so and keeps the first RAW_HEAD bytes of the text."""
    encoded = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
    if len(encoded) <= canonical.RAW_MAX:
        return payload
    return {"truncated": True, "bytes": len(encoded),
            "head": encoded[:RAW_HEAD].decode("utf-8", errors="ignore")}
