"""Whether, where and when to notify: pure decisions, apart from sending (no database, no clock).

`should_notify` takes the person's contact methods, the channels an event asks for, their quiet
hours and the instant, and answers which addresses get a row and when it may leave.
"""
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Target:
    """One address to notify: a contact method's (its id) or the account's e-mail (id None)."""
    channel: str
    address: str
    method_id: int | None = None


@dataclass(frozen=True)
class Decision:
    targets: tuple  # of Target
    send_at: datetime  # naive UTC: now, or the end of the quiet hours
    deferred: bool  # True when quiet hours pushed it back


def in_quiet_hours(local_time, start, end):
    """True when the local wall-clock `local_time` lies in [start, end); a period whose end is not
    after its start runs across midnight (22:00–06:00). No start or end, or start == end: never."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local_time < end
    return local_time >= start or local_time < end


def quiet_until(now_utc, start, end, tz_name):
    """The end of the quiet period `now_utc` (naive UTC) lies in, as naive UTC; None when it is
    not quiet now. The end is the next local `end` after now, in the person's time zone."""
    zone = ZoneInfo(tz_name)
    local = now_utc.replace(tzinfo=timezone.utc).astimezone(zone)
    if not in_quiet_hours(local.time().replace(tzinfo=None), start, end):
        return None
    end_local = datetime.combine(local.date(), end, tzinfo=zone)
    if end_local <= local:
        end_local = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    return end_local.astimezone(timezone.utc).replace(tzinfo=None)


def choose_targets(methods, channels=None, fallback_email=None):
    """The targets for a person: each enabled method (objects with channel, address, enabled, id)
    whose channel is in `channels` (None: all). With no method at all, their account's e-mail,
    if e-mail is wanted and they have one."""
    wanted = None if channels is None else set(channels)
    methods = list(methods)
    targets = tuple(Target(m.channel, m.address, m.id) for m in methods
                    if m.enabled and (wanted is None or m.channel in wanted))
    if not methods and fallback_email and (wanted is None or "email" in wanted):
        return (Target("email", fallback_email),)
    return targets


def should_notify(now_utc, methods, *, channels=None, fallback_email=None, quiet_start=None, quiet_end=None,
                  time_zone="Asia/Ho_Chi_Minh", serious=False):
    """Which addresses get a notification and when it may leave: now, unless `now_utc` falls in
    the person's quiet hours and the event is not serious; then at the end of the quiet hours."""
    targets = choose_targets(methods, channels, fallback_email)
    until = None if serious else quiet_until(now_utc, quiet_start, quiet_end, time_zone)
    return Decision(targets=targets, send_at=until or now_utc, deferred=until is not None)


def parse_time(text):
    """'HH:MM' as a time, or None when blank; ValueError if not a time of day."""
    text = (text or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"\d{2}:\d{2}", text):  # "08:00Z" or "08+07" would be read, offset dropped
        raise ValueError("not HH:MM")
    return time.fromisoformat(text)
