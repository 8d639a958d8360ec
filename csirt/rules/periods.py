"""Pure arithmetic of a rule's period: a value in hours, days, calendar months, or a day of the
year (MM-DD). No database, no app: `lookup.due` reads the rule and hands its value here."""
import calendar
import re
from datetime import date, datetime, timedelta

from .models import UNITS

DAY_OF_YEAR = re.compile(r"(\d{2})-(\d{2})")
MAX_AMOUNT = {"hours": 100_000, "days": 10_000, "months": 1_200}
MIN_AMOUNT = {"hours": 0, "days": 0, "months": 1}  # 0 hours or days: "immediately"
LEAP_YEAR = 2000  # MM-DD is valid when it names a day of a leap year


def parse_value(value, unit):
    """The rule's stored `value` (text) as a number of `unit`, or (month, day) for unit "date".
    ValueError when the pair is not one a rule may hold."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    text = (value or "").strip()
    if unit == "date":
        match = DAY_OF_YEAR.fullmatch(text)
        if not match:
            raise ValueError("not MM-DD")
        month, day = int(match.group(1)), int(match.group(2))
        date(LEAP_YEAR, month, day)  # ValueError for 13-01, 04-31 ...
        return month, day
    if not text.isascii() or not text.isdigit():
        raise ValueError("not a whole number")
    amount = int(text)
    if not MIN_AMOUNT[unit] <= amount <= MAX_AMOUNT[unit]:
        raise ValueError("out of range")
    return amount


def add_months(start, months):
    """`start` moved by calendar months, the day clamped to the month's end (31 Jan + 1 → 28/29 Feb).
    Keeps the type: a date gives a date, a datetime a datetime (same time of day)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def next_day_of_year(start, month, day):
    """The first date on or after `start` (a date) that falls on `month`-`day`; 29 February in a
    year without it counts as 28 February."""
    for year in (start.year, start.year + 1):
        candidate = date(year, month, min(day, calendar.monthrange(year, month)[1]))
        if candidate >= start:
            return candidate
    raise AssertionError("unreachable: next year's date is always after start")


def add_period(start, value, unit):
    """The deadline `value` `unit`s after `start`.

    hours: a datetime (a date start counts from its midnight); days: same type as `start`;
    months: calendar months, clamped to the month's end; date: the next MM-DD on or after
    `start`'s date, as a date."""
    parsed = parse_value(value, unit)
    if unit == "hours":
        if not isinstance(start, datetime):
            start = datetime.combine(start, datetime.min.time())
        return start + timedelta(hours=parsed)
    if unit == "days":
        return start + timedelta(days=parsed)
    if unit == "months":
        return add_months(start, parsed)
    day_start = start.date() if isinstance(start, datetime) else start
    return next_day_of_year(day_start, *parsed)
