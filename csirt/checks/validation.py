"""One validator for check configurations, used by the pages (and any later API or import): a
plain dict in, clean column values out, or a ValidationError naming every bad field.

A bad target or port set is refused here, when the configuration is saved, never at 3 a.m. when
it runs: every target is one normalised token (`targets.normalise_target`) inside the allowed
networks (`CSIRT_SCAN_ALLOWED_NETWORKS`, host names resolved once), port sets are parsed by the
inventory's own parser and stored as its canonical text. That the server or agency named exists
and that its addresses may be scanned is the services' job (it needs the database).

Only the keys listed here are read: ids, versions, owners and dates belong to the services.
"""
import re
from urllib.parse import urlsplit

from flask import current_app

from .. import fields
from ..catalogue import gettext as _
from ..errors import invalid
from ..ids import as_id
from ..systems import addresses, ports
from . import targets
from .models import KINDS

NAME_LENGTH = 100
MIN_INTERVAL, MAX_INTERVAL = 60, 7 * 24 * 3600  # a minute .. a week
MAX_TIMEOUT = 3600
MAX_TARGETS = 100
PORTS_LENGTH = 2000
URL_LENGTH = 2000
LEVELS = (1, 2, 3, 4, 5)
SCOPES = ("server", "group")
SEPARATORS = re.compile(r"[\s,;]+")
AGENT_MODES = ("heartbeat", "port")
# The parameter fields each kind reads (the form shows these, in this order).
KIND_FIELDS = {
    "firewall": ("ports", "targets", "closed_fails"),
    "agent": ("mode", "stale_minutes", "port", "targets"),
    "antivirus": ("max_signature_days", "stale_minutes"),
    "tls": ("host", "port", "server_name", "min_days"),
    "portal": ("url", "expect_status", "max_latency_ms"),
}
# Defaults shown on a new form (and used when a field is left empty).
DEFAULTS = {
    "firewall": {"ports": "1-1024/tcp", "closed_fails": False},
    "agent": {"mode": "heartbeat", "stale_minutes": 15},
    "antivirus": {"max_signature_days": 7, "stale_minutes": 1440},
    "tls": {"port": 443, "min_days": 14},
    "portal": {"expect_status": 200, "max_latency_ms": 3000},
}
DEFAULT_INTERVAL, DEFAULT_TIMEOUT = 900, 120
# Kinds that reach the server's own addresses when no targets are given.
SCANS_SERVER = ("firewall", "agent")


def _shown(value):
    text = str(value)
    return text if len(text) <= 60 else text[:60] + "…"


def _empty(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _number(errors, name, value, low, high, default=None):
    """An integer between `low` and `high` (inclusive); `default` when empty (None: required)."""
    if _empty(value):
        if default is None:
            errors[name] = _("This field is required.")
        return default
    if isinstance(value, bool):
        number = None
    else:
        try:
            number = int(str(value).strip(), 10)
        except (TypeError, ValueError):
            number = None
    if number is None or not low <= number <= high:
        errors[name] = _("Give a whole number from %(low)d to %(high)d.", low=low, high=high)
        return None
    return number


def _flag(value):
    return value in (True, 1, "1", "true", "on", "yes", "y")


def _text(errors, name, value, limit, required=False):
    return fields.text(errors, name, value, limit, required, single_line=True)


def networks():
    """The networks checks may reach, from the running app's config."""
    return targets.allowed_networks(current_app.config)


def networks_text():
    return ", ".join(str(n) for n in networks())


def _max_cidr_hosts():
    return int(current_app.config.get("CSIRT_SCAN_MAX_CIDR_HOSTS") or 256)


def target(text, single=False):
    """One target, normalised and inside the allowed networks; ValueError (translated) otherwise.
    `single`: one host only (no network range)."""
    token = targets.normalise_target(text, _max_cidr_hosts())
    if single and "/" in token:
        raise ValueError(_('"%(value)s": give one host, not a network.', value=_shown(text)))
    targets.check_allowed(token, networks())
    return token


def _targets(errors, name, value):
    """The optional target list (text separated by commas, spaces or new lines, or a list)."""
    if value is None:
        return []
    if isinstance(value, str):
        items = [t for t in SEPARATORS.split(value.strip()) if t]
    elif isinstance(value, (list, tuple)) and all(isinstance(t, str) for t in value):
        items = [t.strip() for t in value if t.strip()]
    else:
        errors[name] = _("Must be a list or text.")
        return []
    if len(items) > MAX_TARGETS:
        errors[name] = _("At most %(n)d items.", n=MAX_TARGETS)
        return []
    out = []
    for item in items:
        try:
            out.append(target(item))
        except ValueError as err:
            errors[name] = str(err)
            return []
    return list(dict.fromkeys(out))


def _ports(errors, name, value):
    text = _text(errors, name, value, PORTS_LENGTH, required=True)
    if name in errors:
        return None
    try:
        ranges = ports.parse_baseline(text)
    except ValueError as err:
        errors[name] = str(err)
        return None
    if not ranges:
        errors[name] = _("This field is required.")
        return None
    return ports.format_baseline(ranges)


def _url(errors, name, value):
    """An http(s) URL whose host is one allowed target; no user name or password in it."""
    text = _text(errors, name, value, URL_LENGTH, required=True)
    if name in errors:
        return None
    if any(c.isspace() for c in text) or "\\" in text:
        errors[name] = _("A URL may not contain spaces or backslashes.")
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        errors[name] = _("Not a valid URL.")
        return None
    if parts.scheme.lower() not in ("http", "https"):
        errors[name] = _("Only http:// and https:// addresses can be checked.")
        return None
    if "@" in parts.netloc:
        errors[name] = _("A URL with a user name or password is not accepted.")
        return None
    if not parts.hostname:
        errors[name] = _("Not a valid URL.")
        return None
    try:
        target(parts.hostname, single=True)
    except ValueError as err:
        errors[name] = str(err)
        return None
    if port == 0:
        errors[name] = _("Not a valid URL.")
        return None
    return text


def _server_name(errors, name, value):
    text = _text(errors, name, value, addresses.MAX_NAME)
    if name in errors or not text:
        return None
    try:
        return addresses.parse_hostname(text)
    except ValueError as err:
        errors[name] = str(err)
        return None


def _params(kind, data, errors):
    d = DEFAULTS[kind]
    if kind == "firewall":
        return {"ports": _ports(errors, "ports", data.get("ports")),
                "targets": _targets(errors, "targets", data.get("targets")),
                "closed_fails": _flag(data.get("closed_fails"))}
    if kind == "agent":
        mode = data.get("mode") or d["mode"]
        if mode not in AGENT_MODES:
            errors["mode"] = _("Choose one of the listed values.")
        params = {"mode": mode, "stale_minutes": _number(errors, "stale_minutes", data.get("stale_minutes"),
                                                         1, 7 * 24 * 60, d["stale_minutes"])}
        if mode == "port":
            params["port"] = _number(errors, "port", data.get("port"), 1, 65535)
            params["targets"] = _targets(errors, "targets", data.get("targets"))
        return params
    if kind == "antivirus":
        return {"max_signature_days": _number(errors, "max_signature_days", data.get("max_signature_days"),
                                              0, 365, d["max_signature_days"]),
                "stale_minutes": _number(errors, "stale_minutes", data.get("stale_minutes"), 1, 30 * 24 * 60,
                                         d["stale_minutes"])}
    if kind == "tls":
        host = _text(errors, "host", data.get("host"), addresses.MAX_NAME, required=True)
        if "host" not in errors:
            try:
                host = target(host, single=True)
            except ValueError as err:
                errors["host"] = str(err)
        params = {"host": host, "port": _number(errors, "port", data.get("port"), 1, 65535, d["port"]),
                  "min_days": _number(errors, "min_days", data.get("min_days"), 0, 3650, d["min_days"])}
        server_name = _server_name(errors, "server_name", data.get("server_name"))
        if server_name:
            params["server_name"] = server_name
        return params
    return {"url": _url(errors, "url", data.get("url")),
            "expect_status": _number(errors, "expect_status", data.get("expect_status"), 100, 599,
                                     d["expect_status"]),
            "max_latency_ms": _number(errors, "max_latency_ms", data.get("max_latency_ms"), 1, 600_000,
                                      d["max_latency_ms"])}


def _schedule(data, errors):
    interval = _number(errors, "interval_seconds", data.get("interval_seconds"), MIN_INTERVAL, MAX_INTERVAL,
                       DEFAULT_INTERVAL)
    timeout = _number(errors, "timeout_seconds", data.get("timeout_seconds"), 1, MAX_TIMEOUT, DEFAULT_TIMEOUT)
    if interval is not None and timeout is not None and timeout >= interval:
        errors["timeout_seconds"] = _("The timeout must be shorter than the interval.")
    return interval, timeout


def check_params(kind, data, errors):
    """(params, interval, timeout) of `kind` from `data`; bad fields go into `errors`."""
    params = _params(kind, data, errors)
    interval, timeout = _schedule(data, errors)
    return params, interval, timeout


def clean(kind, data):
    """(params, interval_seconds, timeout_seconds) for a configuration of `kind`, or a
    ValidationError naming every bad field."""
    if kind not in KINDS:
        raise invalid({"kind": _("Choose one of the listed values.")})
    errors = {}
    result = check_params(kind, data, errors)
    if errors:
        raise invalid(errors)
    return result


def check_scope(data, errors):
    """{server_id, agency_id, level}: exactly one server, or a group (every server, narrowed by an
    agency and/or a security level)."""
    scope = data.get("scope") or ("server" if not _empty(data.get("server_id")) else "group")
    if scope not in SCOPES:
        errors["scope"] = _("Choose one of the listed values.")
        return {"server_id": None, "agency_id": None, "level": None}
    if scope == "server":
        server_id = None if isinstance(data.get("server_id"), bool) else as_id(data.get("server_id"))
        if server_id is None:
            errors["server_id"] = _("Choose a server.")
        return {"server_id": server_id, "agency_id": None, "level": None}
    agency_id = None
    if not _empty(data.get("agency_id")):
        agency_id = None if isinstance(data.get("agency_id"), bool) else as_id(data.get("agency_id"))
        if agency_id is None:
            errors["agency_id"] = _("Not a valid choice.")
    level = None
    if not _empty(data.get("level")):
        level = _number(errors, "level", data.get("level"), 1, 5)
        if "level" in errors:
            errors["level"] = _("Choose a security level from 1 to 5.")
    return {"server_id": None, "agency_id": agency_id, "level": level}


def check_config(data, kind=None):
    """Every column of a configuration from `data` ({name, kind, scope, server_id, agency_id,
    level, interval_seconds, timeout_seconds, enabled and the kind's parameters}); `kind` given
    (an edit) wins over `data["kind"]`: a configuration keeps its kind. Returns (values, errors)."""
    errors = {}
    kind = kind or data.get("kind")
    values = {"name": _text(errors, "name", data.get("name"), NAME_LENGTH, required=True)}
    if kind not in KINDS:
        errors["kind"] = _("Choose one of the listed values.")
        return values, errors
    values["kind"] = kind
    values.update(check_scope(data, errors))
    values["params"], values["interval_seconds"], values["timeout_seconds"] = check_params(kind, data, errors)
    values["enabled"] = _flag(data.get("enabled", True))
    return values, errors


def scans_server_addresses(kind, params):
    """Whether a configuration reaches its servers' own addresses (no targets of its own)."""
    if kind == "firewall":
        return not params.get("targets")
    if kind == "agent":
        return params.get("mode") == "port" and not params.get("targets")
    return False


def allowed_addresses(server):
    """The server's addresses the checks may reach."""
    nets = networks()
    return [a for a in server.addresses or [] if targets.is_allowed(a, nets)]
