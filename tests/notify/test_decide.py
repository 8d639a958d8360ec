"""The pure decision: which addresses, and when (quiet hours), apart from sending."""
from datetime import datetime, time
from types import SimpleNamespace

import pytest

from csirt.notify import decide

ZONE = "Asia/Ho_Chi_Minh"  # UTC+7, no summer time


def m(channel, address, enabled=True, id=1):
    return SimpleNamespace(channel=channel, address=address, enabled=enabled, id=id)


@pytest.mark.parametrize("local, quiet", [
    (time(21, 59), False), (time(22, 0), True), (time(23, 30), True), (time(0, 0), True),
    (time(5, 59), True), (time(6, 0), False), (time(12, 0), False)])
def test_quiet_hours_that_cross_midnight_cover_the_late_evening_and_the_early_morning(local, quiet):
    assert decide.in_quiet_hours(local, time(22, 0), time(6, 0)) is quiet


@pytest.mark.parametrize("local, quiet", [(time(12, 59), False), (time(13, 0), True), (time(13, 59), True),
                                          (time(14, 0), False)])
def test_quiet_hours_within_a_day_cover_only_that_span(local, quiet):
    assert decide.in_quiet_hours(local, time(13, 0), time(14, 0)) is quiet


def test_no_quiet_hours_or_an_empty_span_is_never_quiet():
    assert not decide.in_quiet_hours(time(3, 0), None, None)
    assert not decide.in_quiet_hours(time(3, 0), time(3, 0), time(3, 0))


def test_a_notification_at_3_am_local_waits_until_the_quiet_hours_end_the_same_morning():
    now = datetime(2026, 12, 3, 20, 0)  # 03:00 on the 4th in Hà Nội
    decision = decide.should_notify(now, [m("email", "a@x.vn")], quiet_start=time(22, 0), quiet_end=time(6, 0),
                                    time_zone=ZONE)
    assert decision.deferred
    assert decision.send_at == datetime(2026, 12, 3, 23, 0)  # 06:00 local on the 4th


def test_a_notification_at_11_pm_local_waits_until_6_am_the_next_day():
    now = datetime(2026, 12, 3, 16, 0)  # 23:00 local on the 3rd
    decision = decide.should_notify(now, [m("email", "a@x.vn")], quiet_start=time(22, 0), quiet_end=time(6, 0),
                                    time_zone=ZONE)
    assert decision.send_at == datetime(2026, 12, 3, 23, 0)


def test_a_serious_event_ignores_quiet_hours():
    now = datetime(2026, 12, 3, 20, 0)
    decision = decide.should_notify(now, [m("email", "a@x.vn")], quiet_start=time(22, 0), quiet_end=time(6, 0),
                                    time_zone=ZONE, serious=True)
    assert not decision.deferred and decision.send_at == now


def test_outside_quiet_hours_it_leaves_now():
    now = datetime(2026, 12, 3, 5, 0)  # 12:00 local
    decision = decide.should_notify(now, [m("email", "a@x.vn")], quiet_start=time(22, 0), quiet_end=time(6, 0),
                                    time_zone=ZONE)
    assert not decision.deferred and decision.send_at == now


def test_only_enabled_methods_of_the_asked_channels_are_chosen():
    methods = [m("email", "a@x.vn", id=1), m("webhook", "https://h.example/x", id=2),
               m("telegram", "-100", enabled=False, id=3)]
    assert [t.method_id for t in decide.choose_targets(methods)] == [1, 2]
    assert [t.channel for t in decide.choose_targets(methods, channels=["webhook", "telegram"])] == ["webhook"]


def test_without_any_method_the_account_email_is_used_when_email_is_wanted():
    assert decide.choose_targets([], None, "me@x.vn") == (decide.Target("email", "me@x.vn"),)
    assert decide.choose_targets([], ["telegram"], "me@x.vn") == ()
    assert decide.choose_targets([], None, None) == ()


def test_a_person_whose_methods_are_all_off_gets_nothing_not_the_fallback():
    assert decide.choose_targets([m("email", "a@x.vn", enabled=False)], None, "me@x.vn") == ()


def test_times_are_read_as_hh_mm():
    assert decide.parse_time("22:30") == time(22, 30)
    assert decide.parse_time("  ") is None
    with pytest.raises(ValueError):
        decide.parse_time("25:00")
