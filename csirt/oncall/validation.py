"""Checking what a person typed for a rotation or an override: every problem named by field, in
the reader's language, before anything is written."""
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..catalogue import gettext as _
from ..extensions import db
from ..ids import as_id
from ..notify.decide import parse_time
from ..team.models import User
from . import policy
from .models import MAX_SHIFT_HOURS, OVERRIDE_REASONS, SHIFT_HOURS, SHIFT_KINDS

KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
LAYER_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
MAX_LAYERS = 3
LIMITS = {"name": 200, "description": 5000, "note": 300}
SEPARATORS = re.compile(r"[\s,;]+")
# Dates a rotation or an override may name: far enough for any real plan, and far from the limits
# of Python's datetime (a shift computed near year 9999 would overflow).
YEARS = (2000, 2100)


def _in_years(value):
    return YEARS[0] <= value.year <= YEARS[1]


def valid_time_zone(name):
    """True when `name` is an IANA zone this machine knows (never a path: ZoneInfo refuses those)."""
    if not isinstance(name, str) or not name or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _text(data, field, errors, required=False):
    value = data.get(field)
    value = "" if value is None else str(value).strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > LIMITS[field]:
        errors[field] = _("At most %(n)d characters.", n=LIMITS[field])
    return value


def _as_time(value):
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    parsed = parse_time(str(value or ""))  # HH:MM, a local wall-clock time: no offset, no seconds
    if parsed is None:
        raise ValueError("no time given")  # the caller names the field
    return parsed


def _as_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value or "").strip())


def member_names(text):
    """'a.b, c.d\\ne.f' -> ['a.b', 'c.d', 'e.f'] (what the form's members box holds)."""
    return [name for name in SEPARATORS.split(text or "") if name]


def _find_user(ref):
    """A user by id (an int, from code) or user name (text: forms send names, and a user name may
    be all digits, e.g. an employee number), or None."""
    if isinstance(ref, User):
        return ref
    if isinstance(ref, int) and not isinstance(ref, bool):  # an id from code; text is always a user name
        user_id = as_id(ref)
        return db.session.get(User, user_id) if user_id else None
    name = str(ref or "").strip().lower()
    return db.session.execute(db.select(User).where(User.username == name)).scalar_one_or_none() if name else None


def eligible_user(ref):
    """(user, None) when `ref` names someone who can be on call, else (None, message)."""
    user = _find_user(ref)
    if user is None:
        return None, _("Unknown user: %(name)s.", name=str(ref)[:64])
    if not policy.can_be_on_call(user):
        return None, _("%(name)s is not an active member of the response team and cannot be on call.",
                       name=user.full_name)
    return user, None


def _clean_layers(data, errors):
    layers = list(data.get("layers") or [])
    if len(layers) > MAX_LAYERS:
        errors["layers"] = _("A rotation has at most %(n)d layers.", n=MAX_LAYERS)
        layers = layers[:MAX_LAYERS]
    out, names = [], set()
    for position, layer in enumerate(layers, start=1):
        name_field, members_field = f"layer_{position}_name", f"layer_{position}_members"
        name = str(layer.get("name") or "").strip().lower()
        if not LAYER_NAME.fullmatch(name):
            errors[name_field] = _("A layer's name: lower-case letters, digits, dash or underscore, e.g. primary.")
        elif name in names:
            errors[name_field] = _("Two layers cannot have the same name.")
        names.add(name)
        members, seen, problems = [], set(), []
        for ref in layer.get("members") or []:
            user, problem = eligible_user(ref)
            if problem:
                problems.append(problem)
            elif user.id in seen:
                problems.append(_("%(name)s is listed twice in this layer.", name=user.full_name))
            else:
                seen.add(user.id)
                members.append(user.id)
        if problems:
            errors[members_field] = " ".join(problems)
        elif not members:
            errors[members_field] = (_("The first layer needs at least one member.") if position == 1
                                     else _("Each layer needs at least one member; remove the layer or add people."))
        out.append({"position": position, "name": name, "members": members})
    if not out:
        errors["layer_1_members"] = _("The first layer needs at least one member.")
    return out


def clean_rotation(data, rotation=None):
    """The validated values of a rotation form, or a dict of errors ({field: message})."""
    errors, out = {}, {}
    key = str(data.get("key") or "").strip().lower()
    if not KEY.fullmatch(key):
        errors["key"] = _("1–64 characters: lower-case letters, digits, dash or underscore, starting with a "
                          "letter or digit.")
    out["key"] = key
    out["name"] = _text(data, "name", errors, required=True)
    out["description"] = _text(data, "description", errors)
    zone = str(data.get("time_zone") or "").strip()
    if not valid_time_zone(zone):
        errors["time_zone"] = _("Unknown time zone; use an IANA name such as Asia/Ho_Chi_Minh.")
    out["time_zone"] = zone
    try:
        out["handover_time"] = _as_time(data.get("handover_time"))
    except ValueError:
        errors["handover_time"] = _("Enter the hand-over time as HH:MM, for example 08:00.")
    kind = data.get("shift_kind")
    if kind not in SHIFT_KINDS:
        errors["shift_kind"] = _("Not a valid choice.")
    out["shift_kind"] = kind
    if kind == "custom":
        hours = as_id(data.get("shift_hours"))
        if hours is None or hours > MAX_SHIFT_HOURS:
            errors["shift_hours"] = _("A shift lasts from 1 to %(n)d hours.", n=MAX_SHIFT_HOURS)
        out["shift_hours"] = hours
    else:
        out["shift_hours"] = SHIFT_HOURS.get(kind)
    try:
        out["starts_on"] = _as_date(data.get("starts_on"))
    except ValueError:
        errors["starts_on"] = _("Not a valid date.")
    else:
        if not _in_years(out["starts_on"]):
            errors["starts_on"] = _("Choose a date between %(first)d and %(last)d.", first=YEARS[0], last=YEARS[1])
    out["active"] = bool(data.get("active", True))
    out["layers"] = _clean_layers(data, errors)
    return out, errors


def clean_override(data, rotation):
    """The validated values of an override (times naive UTC), or a dict of errors."""
    errors, out = {}, {}
    positions = {layer.position for layer in rotation.layers}
    position = as_id(data.get("layer"))
    if position not in positions:
        errors["layer"] = _("Choose one of the rotation's layers.")
    out["layer_position"] = position
    user, problem = eligible_user(data.get("user"))
    if problem:
        errors["user"] = problem
    out["user_id"] = user.id if user else None
    for field in ("starts_at", "ends_at"):
        value = data.get(field)
        if not isinstance(value, datetime):
            errors[field] = _("Not a valid date and time.")
        elif not _in_years(value):
            errors[field] = _("Choose a date between %(first)d and %(last)d.", first=YEARS[0], last=YEARS[1])
        out[field] = value
    if "starts_at" not in errors and "ends_at" not in errors and out["ends_at"] <= out["starts_at"]:
        errors["ends_at"] = _("The end must be after the start.")
    reason = data.get("reason") or "other"
    if reason not in OVERRIDE_REASONS:
        errors["reason"] = _("Not a valid choice.")
    out["reason"] = reason
    out["note"] = _text(data, "note", errors)
    return out, errors
