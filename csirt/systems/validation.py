"""One validator for system and server input, shared by the HTML forms, the CSV import and the
JSON API. It takes a plain dict and returns clean column values, or raises a ValidationError
naming every bad field. References (agency, servers, systems, host) are checked here for their
form only; that they exist and that the actor may use them is the services' job.

Only the keys in SYSTEM_FIELDS / SERVER_FIELDS may be set: ids, versions, archive dates and the
like belong to the services (mass assignment is refused by construction).
"""
import re
from datetime import date, datetime

from .. import fields
from ..catalogue import gettext as _
from ..clock import utc_to_local, utcnow
from ..errors import invalid
from ..ids import as_id
from . import addresses, ports
from .models import INFORMATION_KINDS, LEVELS, SERVED, SERVER_KINDS

SYSTEM_FIELDS = ("code", "name", "level", "owner_agency_id", "operator", "purpose", "description",
                 "information_kind", "served", "classification_notes", "level_decision", "level_decision_date",
                 "level_approver", "domains", "public_addresses", "hosting", "server_ids")
SERVER_FIELDS = ("hostname", "agency_id", "addresses", "kind", "host_id", "operating_system", "role",
                 "data_centre", "rack", "baseline_ports", "antivirus_expected", "agent_expected", "system_ids")
# Text columns and their lengths (the models' String sizes; Text columns get a sane cap).
SYSTEM_TEXT = {"name": 200, "operator": 200, "purpose": 5000, "description": 20000, "classification_notes": 5000,
               "level_decision": 100, "level_approver": 200, "hosting": 200}
SERVER_TEXT = {"operating_system": 100, "role": 200, "data_centre": 100, "rack": 50, "antivirus_expected": 100,
               "agent_expected": 100}
CODE_LENGTH = 32
HOSTNAME_LENGTH = 100
BASELINE_LENGTH = 20000
MAX_LINKS = 1000
CODE_RE = re.compile(r"[A-Za-z0-9_-]+")
# The earliest plausible level decision: classification began with Decree 85/2016; an earlier date
# is a typing slip. Fixed, so a record that was valid stays valid when edited later.
EARLIEST_DECISION = date(2000, 1, 1)


def _text(errors, name, value, limit, required=False):
    return fields.text(errors, name, value, limit, required)


def _choice(errors, name, value, vocab):
    if value not in vocab:
        errors[name] = _("Choose one of the listed values.")
    return value


def _level(errors, value):
    if isinstance(value, bool) or value is None or value == "":
        errors["level"] = _("Choose a security level from 1 to 5.")
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = None
    if number not in LEVELS:
        errors["level"] = _("Choose a security level from 1 to 5.")
        return None
    return number


def _id(errors, name, value):
    """An optional row id (None for empty)."""
    if value in (None, ""):
        return None
    number = None if isinstance(value, bool) else as_id(value)
    if number is None:
        errors[name] = _("Not a valid choice.")
    return number


def _ids(errors, name, value):
    """A list of row ids from a list or "1, 2, 3"; duplicates dropped, order kept."""
    if value in (None, ""):
        return []
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    if not isinstance(items, (list, tuple, set)):
        errors[name] = _("Must be a list.")
        return []
    if len(items) > MAX_LINKS:
        errors[name] = _("At most %(n)d items.", n=MAX_LINKS)
        return []
    out = []
    for item in items:
        number = None if isinstance(item, bool) else as_id(item)
        if number is None:
            errors[name] = _("Not a valid choice.")
            return []
        out.append(number)
    return list(dict.fromkeys(out))


def _date(errors, name, value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        value = value.date()
    elif isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            errors[name] = _("Not a valid date (YYYY-MM-DD).")
            return None
    elif not isinstance(value, date):
        errors[name] = _("Not a valid date (YYYY-MM-DD).")
        return None
    if value > utc_to_local(utcnow()).date():
        errors[name] = _("Cannot be in the future.")
        return None
    if value < EARLIEST_DECISION:
        errors[name] = _("Cannot be before %(date)s.", date=EARLIEST_DECISION.strftime("%d/%m/%Y"))
        return None
    return value


def _parsed(errors, name, parse, value):
    try:
        return parse(value)
    except ValueError as err:
        errors[name] = str(err)
        return None


def _unknown(errors, data, allowed):
    for key in sorted(set(data) - set(allowed)):
        errors[str(key)[:64]] = _("This field cannot be set.")


def system_values(data, partial=False):
    """Clean values for an information system from `data`; with `partial`, only the keys present
    are checked (an update), else the required ones must be there (a creation)."""
    out, errors = check_system(data, partial)
    if errors:
        raise invalid(errors)
    return out


def check_system(data, partial=False):
    """(clean values, {field: message}) for `data`: the values of the bad fields are left out,
    so the services can go on checking the good ones and name every bad field at once."""
    errors, out = {}, {}
    _unknown(errors, data, SYSTEM_FIELDS)

    def present(key):
        return key in data or not partial

    if present("code"):
        code = _text(errors, "code", data.get("code"), CODE_LENGTH, required=True)
        if code and "code" not in errors and not CODE_RE.fullmatch(code):
            errors["code"] = _("Use only letters, digits, - and _.")
        out["code"] = code.upper() if code else code
    if present("name"):
        out["name"] = _text(errors, "name", data.get("name"), SYSTEM_TEXT["name"], required=True)
    if present("level"):
        out["level"] = _level(errors, data.get("level"))
    if "owner_agency_id" in data:
        out["owner_agency_id"] = _id(errors, "owner_agency_id", data.get("owner_agency_id"))
    for key, limit in SYSTEM_TEXT.items():
        if key != "name" and key in data:
            out[key] = _text(errors, key, data.get(key), limit)
    for key, vocab in (("information_kind", INFORMATION_KINDS), ("served", SERVED)):
        if key in data:
            out[key] = _choice(errors, key, data.get(key), vocab)
    if "level_decision_date" in data:
        out["level_decision_date"] = _date(errors, "level_decision_date", data.get("level_decision_date"))
    if "domains" in data:
        out["domains"] = _parsed(errors, "domains", addresses.parse_domains, data.get("domains"))
    if "public_addresses" in data:
        out["public_addresses"] = _parsed(errors, "public_addresses", addresses.parse_addresses,
                                          data.get("public_addresses"))
    if "server_ids" in data:
        out["server_ids"] = _ids(errors, "server_ids", data.get("server_ids"))
    return {k: v for k, v in out.items() if k not in errors}, errors


def _baseline(errors, value):
    if value is None:
        value = ""
    if isinstance(value, (list, tuple)):
        if not all(isinstance(v, str) for v in value):
            errors["baseline_ports"] = _("Must be text.")
            return None
        value = ", ".join(value)
    if isinstance(value, str) and len(value) > BASELINE_LENGTH:
        errors["baseline_ports"] = _("At most %(n)d characters.", n=BASELINE_LENGTH)
        return None
    ranges = _parsed(errors, "baseline_ports", ports.parse_baseline, value)
    return None if ranges is None else ports.format_baseline(ranges)


def server_values(data, partial=False):
    """Clean values for a server from `data` (see `system_values`). A host is only for a virtual
    server: when both kind and host are given this checks them together; the services check the
    stored kind on partial updates and that the host is a physical server."""
    out, errors = check_server(data, partial)
    if errors:
        raise invalid(errors)
    return out


def check_server(data, partial=False):
    """(clean values, {field: message}) for `data`, as `check_system`."""
    errors, out = {}, {}
    _unknown(errors, data, SERVER_FIELDS)

    def present(key):
        return key in data or not partial

    if present("hostname"):
        raw = data.get("hostname")
        if raw in (None, "") or (isinstance(raw, str) and not raw.strip()):
            errors["hostname"] = _("This field is required.")
            out["hostname"] = ""
        elif isinstance(raw, str) and len(raw.strip()) > HOSTNAME_LENGTH:
            errors["hostname"] = _("At most %(n)d characters.", n=HOSTNAME_LENGTH)
        else:
            out["hostname"] = _parsed(errors, "hostname", addresses.parse_hostname, raw)
    if "agency_id" in data:
        out["agency_id"] = _id(errors, "agency_id", data.get("agency_id"))
    if present("addresses"):
        found = _parsed(errors, "addresses", addresses.parse_addresses, data.get("addresses"))
        if found is not None and not found and "addresses" not in errors:
            errors["addresses"] = _("Give at least one IP address.")
        out["addresses"] = found
    if present("kind"):
        out["kind"] = _choice(errors, "kind", data.get("kind"), SERVER_KINDS)
    if "host_id" in data:
        out["host_id"] = _id(errors, "host_id", data.get("host_id"))
        if out["host_id"] is not None and out.get("kind") == "physical":
            errors["host_id"] = _("Only a virtual server runs on a host.")
    for key, limit in SERVER_TEXT.items():
        if key in data:
            out[key] = _text(errors, key, data.get(key), limit)
    if "baseline_ports" in data:
        out["baseline_ports"] = _baseline(errors, data.get("baseline_ports"))
    if "system_ids" in data:
        out["system_ids"] = _ids(errors, "system_ids", data.get("system_ids"))
    return {k: v for k, v in out.items() if k not in errors}, errors
