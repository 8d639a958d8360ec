"""The pure schedule: who is on call at an instant, and the shifts of a period (no database)."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfoNotFoundError

import pytest

from csirt.oncall.schedule import Layer, Override, Plan, Shift, next_handover, on_call, on_call_in_layer, shifts

SECOND = timedelta(seconds=1)
A, B, C, D = 11, 12, 13, 14


def plan(zone="Asia/Ho_Chi_Minh", hours=24, starts=date(2026, 12, 7), handover=time(8, 0), overrides=(), **kw):
    layers = kw.get("layers", (Layer(1, "primary", (A, B, C)), Layer(2, "secondary", (D, A))))
    return Plan(zone, handover, hours, starts, tuple(layers), tuple(overrides))


def test_daily_handover_in_ho_chi_minh_happens_at_0100_utc_one_second_before_at_and_after():
    p = plan()
    handover = datetime(2026, 12, 8, 1, 0)  # 08:00 on 8 December in Hà Nội (UTC+7)
    assert on_call(p, handover - SECOND) == {1: A, 2: D}
    assert on_call(p, handover) == {1: B, 2: A}
    assert on_call(p, handover + SECOND) == {1: B, 2: A}


def test_cycle_wraps_around_the_members():
    p = plan()
    day = datetime(2026, 12, 7, 1, 0)
    assert [on_call_in_layer(p, 1, day + timedelta(days=n)) for n in range(5)] == [A, B, C, A, B]
    assert [on_call_in_layer(p, 2, day + timedelta(days=n)) for n in range(3)] == [D, A, D]


def test_nobody_is_on_call_before_the_first_handover():
    p = plan()
    first = datetime(2026, 12, 7, 1, 0)
    assert on_call(p, first - SECOND) == {1: None, 2: None}
    assert on_call(p, first) == {1: A, 2: D}
    assert shifts(p, first - timedelta(days=2), first) == []


def test_local_midnight_is_not_a_handover_the_day_belongs_to_the_shift_that_began_at_0800():
    p = plan()
    # 23:30 on 7 December local = 16:30 UTC; 07:59:59 on 8 December local = 00:59:59 UTC
    assert on_call_in_layer(p, 1, datetime(2026, 12, 7, 16, 30)) == A
    assert on_call_in_layer(p, 1, datetime(2026, 12, 8, 0, 59, 59)) == A


def test_weekly_rotation_hands_over_on_the_weekday_of_its_start_date():
    p = plan(hours=168, starts=date(2026, 12, 7))  # a Monday
    monday = datetime(2026, 12, 14, 1, 0)
    assert on_call_in_layer(p, 1, monday - SECOND) == A
    assert on_call_in_layer(p, 1, monday) == B
    assert next_handover(p, monday) == datetime(2026, 12, 21, 1, 0)


def test_dst_zone_still_hands_over_at_0800_local_across_the_spring_change():
    # Europe/Berlin moves from UTC+1 to UTC+2 on 29 March 2026 at 02:00 local.
    p = plan(zone="Europe/Berlin", starts=date(2026, 3, 27))
    before = datetime(2026, 3, 28, 7, 0)  # 08:00 CET
    after = datetime(2026, 3, 29, 6, 0)  # 08:00 CEST
    assert on_call_in_layer(p, 1, before - SECOND) == A
    assert on_call_in_layer(p, 1, before) == B
    assert on_call_in_layer(p, 1, after - SECOND) == B
    assert on_call_in_layer(p, 1, after) == C
    short = shifts(p, before, after + SECOND, layer=1)[0]
    assert (short.user_id, short.ends_at - short.starts_at) == (B, timedelta(hours=23))


def test_dst_zone_autumn_change_makes_that_day_25_hours():
    # Europe/Berlin goes back from UTC+2 to UTC+1 on 25 October 2026 at 03:00 local.
    p = plan(zone="Europe/Berlin", starts=date(2026, 10, 24))
    found = shifts(p, datetime(2026, 10, 24, 6, 0), datetime(2026, 10, 26, 7, 0), layer=1)
    assert [(s.user_id, s.starts_at, s.ends_at) for s in found] == [
        (A, datetime(2026, 10, 24, 6, 0), datetime(2026, 10, 25, 7, 0)),  # 08:00 CEST -> 08:00 CET
        (B, datetime(2026, 10, 25, 7, 0), datetime(2026, 10, 26, 7, 0)),
    ]


def test_custom_twelve_hour_shifts_hand_over_at_0800_and_2000_local():
    p = plan(hours=12, layers=(Layer(1, "primary", (A, B)),))
    assert on_call_in_layer(p, 1, datetime(2026, 12, 7, 12, 59, 59)) == A  # 19:59:59 local
    assert on_call_in_layer(p, 1, datetime(2026, 12, 7, 13, 0)) == B  # 20:00 local
    assert on_call_in_layer(p, 1, datetime(2026, 12, 8, 1, 0)) == A


def test_custom_36_hour_shift_spans_two_days():
    p = plan(hours=36, layers=(Layer(1, "primary", (A, B)),))
    found = shifts(p, datetime(2026, 12, 7, 1, 0), datetime(2026, 12, 10, 1, 0), layer=1)
    assert [(s.user_id, s.starts_at, s.ends_at) for s in found] == [
        (A, datetime(2026, 12, 7, 1, 0), datetime(2026, 12, 8, 13, 0)),  # 08:00 Mon -> 20:00 Tue local
        (B, datetime(2026, 12, 8, 13, 0), datetime(2026, 12, 10, 1, 0)),
    ]


def test_override_cuts_a_shift_into_three_pieces():
    leave = Override(1, C, datetime(2026, 12, 7, 5, 0), datetime(2026, 12, 7, 9, 0))
    p = plan(overrides=[leave])
    found = shifts(p, datetime(2026, 12, 7, 1, 0), datetime(2026, 12, 8, 1, 0), layer=1)
    assert found == [
        Shift(1, A, datetime(2026, 12, 7, 1, 0), datetime(2026, 12, 7, 5, 0)),
        Shift(1, C, datetime(2026, 12, 7, 5, 0), datetime(2026, 12, 7, 9, 0), True),
        Shift(1, A, datetime(2026, 12, 7, 9, 0), datetime(2026, 12, 8, 1, 0)),
    ]
    assert on_call_in_layer(p, 1, leave.starts_at - SECOND) == A
    assert on_call_in_layer(p, 1, leave.starts_at) == C
    assert on_call_in_layer(p, 1, leave.ends_at - SECOND) == C
    assert on_call_in_layer(p, 1, leave.ends_at) == A
    assert on_call_in_layer(p, 2, leave.starts_at) == D  # the other layer is untouched


def test_override_across_a_handover_covers_the_end_of_one_shift_and_the_start_of_the_next():
    swap = Override(1, D, datetime(2026, 12, 7, 20, 0), datetime(2026, 12, 8, 6, 0))
    p = plan(overrides=[swap])
    found = shifts(p, datetime(2026, 12, 7, 1, 0), datetime(2026, 12, 9, 1, 0), layer=1)
    assert [(s.user_id, s.starts_at, s.ends_at, s.is_override) for s in found] == [
        (A, datetime(2026, 12, 7, 1, 0), datetime(2026, 12, 7, 20, 0), False),
        (D, datetime(2026, 12, 7, 20, 0), datetime(2026, 12, 8, 6, 0), True),
        (B, datetime(2026, 12, 8, 6, 0), datetime(2026, 12, 9, 1, 0), False),
    ]


def test_shifts_are_clipped_to_the_period_asked_for():
    p = plan()
    found = shifts(p, datetime(2026, 12, 7, 12, 0), datetime(2026, 12, 8, 3, 0), layer=1)
    assert [(s.user_id, s.starts_at, s.ends_at) for s in found] == [
        (A, datetime(2026, 12, 7, 12, 0), datetime(2026, 12, 8, 1, 0)),
        (B, datetime(2026, 12, 8, 1, 0), datetime(2026, 12, 8, 3, 0)),
    ]


def test_a_layer_without_members_has_nobody_unless_an_override_covers_it():
    p = plan(layers=(Layer(1, "primary", (A,)), Layer(2, "secondary", ())),
             overrides=[Override(2, B, datetime(2026, 12, 7, 2, 0), datetime(2026, 12, 7, 3, 0))])
    assert on_call(p, datetime(2026, 12, 7, 1, 30)) == {1: A, 2: None}
    assert on_call(p, datetime(2026, 12, 7, 2, 30)) == {1: A, 2: B}


def test_shifts_of_a_long_period_tile_it_without_gaps_or_overlaps():
    p = plan(zone="Europe/Berlin", hours=7, starts=date(2026, 3, 1),
             overrides=[Override(1, D, datetime(2026, 3, 29, 0, 30), datetime(2026, 3, 29, 4, 0))])
    start, end = datetime(2026, 3, 1, 7, 0), datetime(2026, 4, 5)
    found = shifts(p, start, end, layer=1)
    assert found[0].starts_at == start and found[-1].ends_at == end
    assert all(a.ends_at == b.starts_at for a, b in zip(found, found[1:]))
    assert all(s.starts_at < s.ends_at for s in found)


def test_plan_refuses_an_unknown_time_zone():
    with pytest.raises(ZoneInfoNotFoundError):
        plan(zone="Mars/Olympus_Mons")
