"""One validator for incident input, shared by the HTML forms and the JSON API."""
from datetime import datetime

from flask_babel import format_date

from .. import fields
from ..catalogue import gettext as _
from ..clock import local_to_utc, parse_iso, utcnow
from ..errors import invalid
from ..extensions import db
from ..ids import MAX_ID, as_id
from ..team.models import Agency, User
from .policy import WORKERS
from .vocab import CATEGORIES, PRIORITIES, SEVERITIES, SUB_TYPES, TLPS

# Fields a request may set. Everything else (id, reference, status, reporter, version...) is
# owned by the services: mass assignment is refused by construction.
EDITABLE = ("title", "description", "category", "sub_type", "severity", "priority", "tlp",
            "agency_id", "affected_systems", "affected_servers", "discovered_at", "assignee_id",
            "system_ids", "server_ids")
# The lists of linked records: which records, visible to whom, is checked by the services.
ID_LISTS = ("system_ids", "server_ids")
MAX_LINKS = 200
LIMITS = {"title": 300, "description": 20000, "affected_systems": 2000, "affected_servers": 2000}
# The earliest plausible discovery time (province time): the province's IT systems and this
# team's records begin after it, so an earlier date is a typing slip (1900-01-01, a year "0226").
# A fixed date rather than "N years ago", so a record that was valid stays valid when edited later.
EARLIEST_DISCOVERY = datetime(2000, 1, 1)


def _text(name, value, errors, required=False):
    return fields.text(errors, name, value, LIMITS[name], required)


def _choice(name, value, vocab, errors):
    if value not in vocab:
        errors[name] = _("Choose one of the listed values.")
    return value


def _when(name, value, errors):
    """A moment in the past, not before EARLIEST_DISCOVERY: a datetime or ISO text, naive meaning
    province time; naive UTC out."""
    if value is None or value == "":
        errors[name] = _("This field is required.")
        return None
    try:
        moment = local_to_utc(value) if hasattr(value, "year") else parse_iso(value)
    except (ValueError, TypeError, OverflowError):  # OverflowError: year 1 or 9999 shifted to UTC
        errors[name] = _("Not a valid date and time.")
        return None
    if moment > utcnow():
        errors[name] = _("Cannot be in the future.")
        return None
    if moment < local_to_utc(EARLIEST_DISCOVERY):
        errors[name] = _("Cannot be before %(date)s.", date=format_date(EARLIEST_DISCOVERY, "dd/MM/yyyy"))
        return None
    return moment


def _int_or_none(name, value, errors):
    if value in (None, "", 0, "0"):
        return None
    if isinstance(value, bool):
        errors[name] = _("Not a valid choice.")
        return None
    try:
        number = int(value)
        if not 1 <= number <= MAX_ID:  # beyond the column's range SQLite raises OverflowError
            raise ValueError
        return number
    except (TypeError, ValueError):
        errors[name] = _("Not a valid choice.")
        return None


def _ids(name, value, errors):
    """A list of row ids (a list, or text with commas or spaces) as a sorted list, each once."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, (list, tuple)):
        errors[name] = _("Must be a list of ids.")
        return None
    if len(value) > MAX_LINKS:
        errors[name] = _("At most %(n)d records.", n=MAX_LINKS)
        return None
    out = set()
    for item in value:
        if item == "":  # an empty choice (a select with nothing chosen, as some clients send it)
            continue
        number = None if isinstance(item, bool) else as_id(item)
        if number is None:
            errors[name] = _("Not a valid choice.")
            return None
        out.add(number)
    return sorted(out)


def clean_incident(data, partial=False):
    """Validated, normalised values for the keys present in `data` (all required ones if not
    partial). Raises ValidationError with a message per field; unknown keys are an error."""
    errors = {}
    unknown = sorted(set(data) - set(EDITABLE))
    for key in unknown:
        errors[key] = _("This field cannot be set.")
    out = {}

    def present(key):
        return key in data or not partial

    if present("title"):
        out["title"] = _text("title", data.get("title"), errors, required=True)
    for key in ("description", "affected_systems", "affected_servers"):
        if key in data:
            out[key] = _text(key, data.get(key), errors)
    if present("category"):
        out["category"] = _choice("category", data.get("category"), CATEGORIES, errors)
    if "sub_type" in data:
        out["sub_type"] = _choice("sub_type", data.get("sub_type") or "", SUB_TYPES, errors)
    for key, vocab in (("severity", SEVERITIES), ("priority", PRIORITIES), ("tlp", TLPS)):
        if key in data:
            out[key] = _choice(key, data.get(key), vocab, errors)
    if present("discovered_at"):
        out["discovered_at"] = _when("discovered_at", data.get("discovered_at"), errors)
    for key in ID_LISTS:
        if key in data:
            out[key] = _ids(key, data.get(key), errors)
    if "agency_id" in data:
        agency_id = _int_or_none("agency_id", data.get("agency_id"), errors)
        if agency_id is not None:
            agency = db.session.get(Agency, agency_id)
            if agency is None or not agency.active:
                errors["agency_id"] = _("Unknown agency.")
        elif "agency_id" not in errors and not partial:
            pass  # defaulted by the service to the actor's agency
        out["agency_id"] = agency_id
    if "assignee_id" in data:
        assignee_id = _int_or_none("assignee_id", data.get("assignee_id"), errors)
        if assignee_id is not None:
            user = db.session.get(User, assignee_id)
            if user is None or not user.active or user.role not in WORKERS:
                errors["assignee_id"] = _("The assignee must be an active responder or coordinator.")
        out["assignee_id"] = assignee_id
    if errors:
        raise invalid(errors)
    return out
