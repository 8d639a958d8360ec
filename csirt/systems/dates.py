"""Days for the layer records and assessments: the province's today, the expiring window, and
dates typed by people (YYYY-MM-DD) checked into field errors."""
from datetime import date, datetime

from flask import current_app

from ..catalogue import gettext as _
from ..clock import utc_to_local, utcnow
from .compliance import DEFAULT_WINDOW_DAYS

# A plausible range for contract, decision and assessment dates: a typo such as 0202 or 20255
# is refused instead of stored.
EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)


def today():
    """Today in the province (`CSIRT_TIMEZONE`), from the app's one clock."""
    return utc_to_local(utcnow()).date()


def window_days():
    """How many days before its end a layer record counts as expiring (CSIRT_COMPLIANCE_EXPIRING_DAYS)."""
    value = current_app.config.get("CSIRT_COMPLIANCE_EXPIRING_DAYS", DEFAULT_WINDOW_DAYS)
    return value if isinstance(value, int) and value >= 0 else DEFAULT_WINDOW_DAYS


def parse_day(errors, name, value, required=False):
    """`value` (a date, a datetime or YYYY-MM-DD text) as a date; None when empty. A bad value
    puts a translated message on `errors[name]` and returns None."""
    if isinstance(value, str):
        value = value.strip()
    if value in (None, ""):
        if required:
            errors[name] = _("This field is required.")
        return None
    if isinstance(value, datetime):
        value = value.date()
    elif isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            errors[name] = _("Not a valid date (YYYY-MM-DD).")
            return None
    elif not isinstance(value, date):
        errors[name] = _("Not a valid date (YYYY-MM-DD).")
        return None
    if not EARLIEST <= value <= LATEST:
        errors[name] = _("Must lie between %(first)s and %(last)s.", first=EARLIEST.strftime("%d/%m/%Y"),
                         last=LATEST.strftime("%d/%m/%Y"))
        return None
    return value
