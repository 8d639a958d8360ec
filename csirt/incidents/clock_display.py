"""How a regulatory clock reads on a page: its state, what is left (or how late), and the data the
countdown script (`static/countdown.js`) needs to keep counting without a reload."""
import json

from ..catalogue import gettext as _
from ..catalogue import lazy_gettext as _l
from ..clock import iso_utc, utcnow
from ..rules.keys import label as rule_label
from . import clocks

STATE_LABELS = {
    clocks.RUNNING: _l("Running"), clocks.SOON: _l("Due soon"), clocks.OVERDUE: _l("Overdue"),
    clocks.MET: _l("Met"), clocks.MET_LATE: _l("Met late"), clocks.NO_DEADLINE: _l("No deadline yet"),
}
STATE_BADGES = {
    clocks.RUNNING: "text-bg-secondary", clocks.SOON: "text-bg-warning", clocks.OVERDUE: "text-bg-danger",
    clocks.MET: "text-bg-success", clocks.MET_LATE: "text-bg-success", clocks.NO_DEADLINE: "text-bg-light",
}


def span(seconds):
    """A duration as "2 d 3 h", "3 h 12 min", "12 min" (the largest two units; under a minute: "< 1 min")."""
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)s d %(h)s h", d=days, h=hours)
    if hours:
        return _("%(h)s h %(m)s min", h=hours, m=minutes)
    if minutes:
        return _("%(m)s min", m=minutes)
    return _("< 1 min")


def remaining(clock, now):
    """"3 h 12 min left" / "2 h late" for a running clock with a deadline, else ""."""
    if clock.stopped_at is not None or clock.due_at is None:
        return ""
    seconds = (clock.due_at - now).total_seconds()
    if seconds > 0:
        return _("%(span)s left", span=span(seconds))
    return _("%(span)s late", span=span(seconds))


def row(clock, now=None, fraction=None):
    """What the templates show of `clock`."""
    now = now or utcnow()
    fraction = clocks.soon_fraction() if fraction is None else fraction
    state = clocks.state(clock, now, fraction)
    soon = clocks.soon_from(clock, fraction)
    return {"clock": clock, "key": clock.key, "label": rule_label(clock.key), "state": state,
            "state_label": STATE_LABELS[state], "badge": STATE_BADGES[state], "remaining": remaining(clock, now),
            "running": clock.stopped_at is None and clock.due_at is not None,
            "due_iso": iso_utc(clock.due_at) if clock.due_at else "",
            "soon_iso": iso_utc(soon) if soon else ""}


def countdown_json():
    """The countdown's words as JSON, for an attribute (the template escapes it)."""
    return json.dumps(countdown_words(), ensure_ascii=False)


def countdown_words():
    """The words the countdown script puts together, in the reader's language."""
    return {"left": _("%(span)s left", span="{span}"), "late": _("%(span)s late", span="{span}"),
            "dh": _("%(d)s d %(h)s h", d="{d}", h="{h}"), "hm": _("%(h)s h %(m)s min", h="{h}", m="{m}"),
            "m": _("%(m)s min", m="{m}"), "lt": _("< 1 min"),
            "soon": str(STATE_LABELS[clocks.SOON]), "overdue": str(STATE_LABELS[clocks.OVERDUE])}
