"""How a rule reads on screen: its period in words, its unit's name. Display only."""
from ..catalogue import gettext as _
from ..catalogue import lazy_gettext as _l
from ..catalogue import ngettext
from .periods import parse_value

UNIT_LABELS = {"hours": _l("hours"), "days": _l("days"), "months": _l("months"),
               "date": _l("day of the year (MM-DD)")}


def unit_choices():
    return [(unit, str(label)) for unit, label in UNIT_LABELS.items()]


def period_text(value, unit):
    """"5 days", "24 hours", "immediately", "every year by 20/06"; the raw value if unreadable."""
    try:
        parsed = parse_value(value, unit)
    except ValueError:
        return f"{value} {unit}"
    if unit == "date":
        month, day = parsed
        day_month = "%02d/%02d" % (day, month)
        return _("every year by %(date)s", date=day_month)
    if parsed == 0:
        return _("immediately")
    if unit == "hours":
        return ngettext("%(num)d hour", "%(num)d hours", parsed)
    if unit == "days":
        return ngettext("%(num)d day", "%(num)d days", parsed)
    return ngettext("%(num)d month", "%(num)d months", parsed)
