"""Shifts as an iCalendar document (RFC 5545), through the `icalendar` package (the only import
of it). Each event's UID is stable, built from (rotation, layer, start), so a calendar app updates
a shift in place when the feed changes instead of adding a copy."""
from datetime import timedelta, timezone

from icalendar import Calendar, Event

from ..catalogue import gettext as _
from .labels import layer_label

PRODID = "-//csirt//on-call//VI"
DAYS_BACK = 30
DAYS_AHEAD = 90


def window(now):
    """The period a feed covers: from 30 days back to 90 days ahead of `now` (naive UTC)."""
    return now - timedelta(days=DAYS_BACK), now + timedelta(days=DAYS_AHEAD)


def _aware(value):
    return value.replace(tzinfo=timezone.utc)


def uid(entry):
    shift = entry.shift
    return f"rotation-{entry.rotation.id}-layer-{entry.layer.position}-{shift.starts_at:%Y%m%dT%H%M%SZ}@csirt"


def summary(entry, with_person):
    """The event's title in the current locale (the feed's owner's language)."""
    values = {"rotation": entry.rotation.name, "layer": layer_label(entry.layer.name)}
    if with_person:
        values["person"] = entry.user.full_name if entry.user is not None else _("nobody")
        text = _("%(person)s on call: %(rotation)s (%(layer)s)", **values)
    else:
        text = _("On call: %(rotation)s (%(layer)s)", **values)
    if entry.shift.is_override:
        text = _("%(summary)s, covering", summary=text)
    return text


def render(entries, name, now, with_person):
    """The calendar named `name` with one event per entry, as bytes."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for entry in entries:
        event = Event()
        event.add("uid", uid(entry))
        event.add("dtstamp", _aware(now))
        event.add("dtstart", _aware(entry.shift.starts_at))
        event.add("dtend", _aware(entry.shift.ends_at))
        event.add("summary", summary(entry, with_person))
        if entry.user is not None:
            event.add("description", _("On call: %(person)s", person=entry.user.full_name))
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()
