"""Translated names of the on-call vocabulary (layers, kinds of shift, reasons for an override) and
the template helpers of the on-call pages."""
from datetime import timezone
from zoneinfo import ZoneInfo

from flask_babel import format_date

from ..catalogue import gettext as _


def layer_label(name):
    """'primary' -> 'Primary' (translated); a layer with a name of its own keeps it."""
    return {"primary": _("Primary"), "secondary": _("Secondary"), "tertiary": _("Third layer")}.get(name, name)


def shift_kind_label(kind, hours=None):
    if kind == "daily":
        return _("Daily")
    if kind == "weekly":
        return _("Weekly")
    return _("Every %(n)d hours", n=hours or 0)


def reason_label(reason):
    return {"leave": _("Leave"), "swap": _("Swap"), "training": _("Training"), "other": _("Other")}.get(reason, reason)


def reason_choices():
    from .models import OVERRIDE_REASONS

    return [(reason, reason_label(reason)) for reason in OVERRIDE_REASONS]


def day_label(day):
    """'Th 2 07/12' / 'Mon 07/12': a calendar row's day in the reader's language."""
    return format_date(day, "EEE dd/MM")


def zoned(value, zone):
    """A naive-UTC datetime as local "dd/MM/yyyy HH:mm" in `zone` (a rotation's own zone)."""
    if value is None:
        return "—"
    return value.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(zone)).strftime("%d/%m/%Y %H:%M")


def oncall_now():
    """Who is on call now in every active rotation (for the "On call now" block)."""
    from ..clock import utcnow
    from .resolve import on_call_now

    return on_call_now(utcnow())


def register(app):
    app.jinja_env.globals.update(layer_label=layer_label, shift_kind_label=shift_kind_label,
                                 reason_label=reason_label, oncall_now=oncall_now)
    app.jinja_env.filters["day_label"] = day_label
    app.jinja_env.filters["zoned"] = zoned
