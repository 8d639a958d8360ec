"""The pure arithmetic of a rule's period and the choice of row: no database."""
from datetime import date, datetime
from types import SimpleNamespace

import pytest

from csirt.rules.lookup import in_force, pick
from csirt.rules.periods import add_months, add_period, next_day_of_year, parse_value


@pytest.mark.parametrize("start, months, expected", [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),    # clamped to the end of February
    (date(2028, 1, 31), 1, date(2028, 2, 29)),    # a leap year keeps the 29th
    (date(2026, 1, 31), 13, date(2027, 2, 28)),
    (date(2026, 3, 31), 6, date(2026, 9, 30)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),   # across the year end
    (date(2026, 8, 19), 24, date(2028, 8, 19)),
    (date(2028, 2, 29), 12, date(2029, 2, 28)),
])
def test_calendar_months_clamp_to_the_end_of_the_month(start, months, expected):
    assert add_months(start, months) == expected
    assert add_period(start, str(months), "months") == expected


def test_months_keep_the_time_of_day_of_a_datetime():
    assert add_period(datetime(2026, 1, 31, 9, 30), "1", "months") == datetime(2026, 2, 28, 9, 30)


def test_hours_count_from_a_datetime_or_from_the_midnight_of_a_date():
    assert add_period(datetime(2026, 8, 19, 22, 0), "24", "hours") == datetime(2026, 8, 20, 22, 0)
    assert add_period(datetime(2026, 8, 19, 22, 0), "72", "hours") == datetime(2026, 8, 22, 22, 0)
    assert add_period(date(2026, 8, 19), "24", "hours") == datetime(2026, 8, 20, 0, 0)


def test_zero_hours_means_immediately():
    assert add_period(datetime(2026, 8, 19, 10, 5), "0", "hours") == datetime(2026, 8, 19, 10, 5)


def test_days_keep_the_type_of_the_start():
    assert add_period(date(2026, 8, 14), "5", "days") == date(2026, 8, 19)
    assert add_period(datetime(2026, 8, 14, 8, 0), "5", "days") == datetime(2026, 8, 19, 8, 0)


@pytest.mark.parametrize("start, value, expected", [
    (date(2026, 3, 1), "06-20", date(2026, 6, 20)),
    (date(2026, 6, 20), "06-20", date(2026, 6, 20)),   # on the day itself: that day
    (date(2026, 6, 21), "06-20", date(2027, 6, 20)),   # after it: next year
    (datetime(2026, 12, 15, 23, 0), "12-15", date(2026, 12, 15)),
    (date(2026, 12, 26), "12-25", date(2027, 12, 25)),
    (date(2027, 3, 1), "02-29", date(2028, 2, 29)),
    (date(2026, 2, 1), "02-29", date(2026, 2, 28)),    # no 29 February that year: the 28th
])
def test_a_day_of_the_year_is_the_next_one_on_or_after_the_start(start, value, expected):
    assert add_period(start, value, "date") == expected


def test_next_day_of_year_takes_plain_month_and_day():
    assert next_day_of_year(date(2026, 12, 21), 12, 20) == date(2027, 12, 20)


@pytest.mark.parametrize("value, unit", [
    ("-1", "days"), ("1.5", "days"), ("abc", "hours"), ("", "days"), ("٣", "days"), (" ", "hours"),
    ("0", "months"), ("1201", "months"), ("100001", "hours"),
    ("13-01", "date"), ("04-31", "date"), ("6-20", "date"), ("06/20", "date"), ("5", "date"),
    ("5", "weeks"),
])
def test_values_a_rule_cannot_hold_are_refused(value, unit):
    with pytest.raises(ValueError):
        parse_value(value, unit)


@pytest.mark.parametrize("value, unit, parsed", [
    ("0", "hours", 0), ("5", "days", 5), (" 24 ", "hours", 24), ("6", "months", 6), ("02-29", "date", (2, 29)),
])
def test_values_a_rule_can_hold_are_read(value, unit, parsed):
    assert parse_value(value, unit) == parsed


def _rule(key="k", level=None, start=date(2017, 11, 1), end=None, value="1"):
    return SimpleNamespace(key=key, level=level, effective_from=start, effective_to=end, value=value)


def test_in_force_includes_the_first_day_and_excludes_the_end_day():
    rule = _rule(start=date(2017, 11, 1), end=date(2026, 8, 19))
    assert not in_force(rule, date(2017, 10, 31))
    assert in_force(rule, date(2017, 11, 1))
    assert in_force(rule, date(2026, 8, 18))
    assert not in_force(rule, date(2026, 8, 19))
    assert in_force(_rule(end=None), date(2999, 1, 1))


def test_a_level_specific_row_wins_over_the_row_for_every_level():
    generic, level5 = _rule(value="generic"), _rule(level=5, value="five")
    rules = [level5, generic]
    assert pick(rules, "k", date(2026, 1, 1), level=5) is level5
    assert pick(rules, "k", date(2026, 1, 1), level=3) is generic
    assert pick(rules, "k", date(2026, 1, 1)) is generic


def test_without_a_generic_row_another_level_or_no_level_finds_nothing():
    rules = [_rule(level=3)]
    assert pick(rules, "k", date(2026, 1, 1), level=4) is None
    assert pick(rules, "k", date(2026, 1, 1)) is None
    assert pick(rules, "other", date(2026, 1, 1), level=3) is None


def test_a_row_not_in_force_is_never_picked_even_if_level_specific():
    old_specific = _rule(level=5, end=date(2026, 8, 19), value="old")
    generic = _rule(start=date(2026, 8, 19), value="new")
    assert pick([old_specific, generic], "k", date(2026, 8, 19), level=5) is generic
    assert pick([old_specific, generic], "k", date(2026, 8, 18), level=5) is old_specific
