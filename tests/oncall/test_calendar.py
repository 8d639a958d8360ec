"""The calendar grid (pure): local days, hand-overs inside a day, the person on call now marked in
today's row only, a person who goes on past a hand-over shown once."""
from datetime import date, datetime, time
from types import SimpleNamespace

from csirt.oncall import calendar
from csirt.oncall.schedule import Layer, Override, Plan, shifts

ZONE = "Asia/Ho_Chi_Minh"
NOW = datetime(2026, 12, 8, 3, 0)  # Tuesday 10:00 local


def _grid(layers, overrides=(), days=3):
    plan = Plan(ZONE, time(8, 0), 24, date(2026, 12, 7), layers, tuple(overrides))
    first = date(2026, 12, 7)
    start, end = calendar.bounds(first, days, ZONE)
    entries = [SimpleNamespace(shift=s, layer=SimpleNamespace(position=s.layer), user=f"user-{s.user_id}")
               for s in shifts(plan, start, end)]
    return calendar.grid(entries, ZONE, first, days, NOW)


def _cell(day, position=1):
    return [(p.user_id, p.starts, p.ends, p.is_override, p.is_now) for p in day.cells.get(position, [])]


def test_days_show_the_morning_handover_and_mark_now_in_todays_row_only():
    monday, tuesday, wednesday = _grid((Layer(1, "primary", (1, 2, 3)),))
    assert (monday.is_today, tuesday.is_today, wednesday.is_today) == (False, True, False)
    assert _cell(monday) == [(1, "08:00", "", False, False)]  # nobody before the first hand-over
    assert _cell(tuesday) == [(1, "", "08:00", False, False), (2, "08:00", "", False, True)]
    assert _cell(wednesday) == [(2, "", "08:00", False, False), (3, "08:00", "", False, False)]


def test_a_person_on_call_across_the_handover_is_one_piece():
    _monday, tuesday, _wednesday = _grid((Layer(1, "primary", (1, 2)), Layer(2, "secondary", (7,))))
    assert _cell(tuesday, 2) == [(7, "", "", False, True)]


def test_an_override_is_its_own_marked_piece():
    leave = Override(1, 9, datetime(2026, 12, 8, 2, 0), datetime(2026, 12, 8, 5, 0))  # 09:00-12:00 local
    _monday, tuesday, _wednesday = _grid((Layer(1, "primary", (1, 2)),), [leave])
    assert _cell(tuesday) == [(1, "", "08:00", False, False), (2, "08:00", "09:00", False, False),
                              (9, "09:00", "12:00", True, True), (2, "12:00", "", False, False)]


def test_week_start_is_monday():
    assert calendar.week_start(date(2026, 12, 10)) == date(2026, 12, 7)
    assert calendar.week_start(date(2026, 12, 7)) == date(2026, 12, 7)
