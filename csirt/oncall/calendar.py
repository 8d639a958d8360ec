"""The calendar page's grid: one row per local day, one cell per layer, each cell the people on
call during that day (with the hours when the day is shared). A pure function of the entries."""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

WEEKS = 4


@dataclass(frozen=True)
class Piece:
    user: object  # the User, or None (nobody, or a disabled account)
    user_id: int
    starts: str  # local "HH:MM", "" when the piece starts with the day
    ends: str  # local "HH:MM", "" when it lasts to the end of the day
    is_override: bool
    is_now: bool
    begin: datetime  # naive UTC, within the day
    finish: datetime


@dataclass
class Day:
    day: date
    is_today: bool
    cells: dict = field(default_factory=dict)  # layer position -> [Piece]


def local_day(now, zone):
    return now.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(zone)).date()


def week_start(day):
    return day - timedelta(days=day.weekday())


def _utc(day, zone):
    return datetime.combine(day, time(0)).replace(tzinfo=ZoneInfo(zone)).astimezone(timezone.utc).replace(tzinfo=None)


def bounds(first_day, days, zone):
    """[start, end) in naive UTC of `days` local days from `first_day`."""
    return _utc(first_day, zone), _utc(first_day + timedelta(days=days), zone)


def _clock(value, zone):
    return value.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(zone)).strftime("%H:%M")


def grid(entries, zone, first_day, days, now):
    """[Day] for `days` local days from `first_day` in `zone`; `now` (naive UTC) marks today and
    the piece on call at this moment (in today's row only, though the shift runs on into tomorrow)."""
    today = local_day(now, zone)
    out = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        start, end = _utc(day, zone), _utc(day + timedelta(days=1), zone)
        row = Day(day, day == today)
        for entry in entries:
            shift = entry.shift
            if shift.ends_at <= start or shift.starts_at >= end:
                continue
            begin, finish = max(start, shift.starts_at), min(end, shift.ends_at)
            cell = row.cells.setdefault(entry.layer.position, [])
            last = cell[-1] if cell else None
            if (last is not None and last.user_id == shift.user_id and not last.is_override
                    and not shift.is_override and last.finish == begin):
                begin, cell[:] = last.begin, cell[:-1]  # the same person goes on: one piece
            cell.append(Piece(entry.user, shift.user_id, _clock(begin, zone) if begin > start else "",
                              _clock(finish, zone) if finish < end else "", shift.is_override,
                              begin <= now < finish, begin, finish))
        out.append(row)
    return out
