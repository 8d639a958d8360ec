"""The antivirus kind: every reason, and the day and freshness boundaries with the clock moved."""
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from csirt.checks import antivirus
from csirt.checks.kinds import Job, RunContext

NOW = datetime(2026, 12, 10, 1, 0, 0)


def beat(product="ClamAV 1.4.1", enabled=True, signature=date(2026, 12, 9), minutes_ago=5):
    return SimpleNamespace(received_at=NOW - timedelta(minutes=minutes_ago), antivirus_product=product,
                           antivirus_enabled=enabled, signature_date=signature)


def reason(b, now=NOW, max_days=7, stale=1440, expected=""):
    return antivirus.verdict(b, now, max_days, stale, expected)


def test_a_current_enabled_antivirus_passes():
    status, details = reason(beat())
    assert (status, details["reason"], details["signature_age_days"]) == ("pass", "ok", 1)
    assert details["product"] == "ClamAV 1.4.1" and details["enabled"] is True


def test_no_heartbeat_and_a_stale_one_fail():
    assert reason(None) == ("fail", {"reason": "no_report"})
    assert reason(beat(minutes_ago=1440))[0] == "pass"  # exactly stale_minutes old still counts
    assert reason(beat(minutes_ago=1441))[1]["reason"] == "stale_report"


def test_a_missing_or_wrong_or_disabled_product_fails():
    assert reason(beat(product=""))[1]["reason"] == "missing"
    assert reason(beat(product="  "))[1]["reason"] == "missing"
    assert reason(beat(product="Windows Defender"), expected="Kaspersky")[1]["reason"] == "wrong_product"
    assert reason(beat(product="Kaspersky Endpoint Security 12"), expected="kaspersky")[0] == "pass"
    assert reason(beat(enabled=False))[1]["reason"] == "disabled"
    assert reason(beat(enabled=None))[0] == "pass"  # not reported is not "disabled"


def test_signatures_exactly_max_days_old_pass_one_day_more_fails():
    b = beat(signature=date(2026, 12, 3))
    status, details = reason(b)
    assert (status, details["signature_age_days"]) == ("pass", 7)
    later = NOW + timedelta(days=1)
    status, details = reason(SimpleNamespace(**{**vars(b), "received_at": later}), now=later)
    assert (status, details["reason"], details["signature_age_days"]) == ("fail", "old_signatures", 8)
    assert reason(beat(signature=None))[1]["reason"] == "old_signatures"


def test_the_day_changes_at_midnight_utc_not_after_24_hours():
    b = beat(signature=date(2026, 12, 3), minutes_ago=0)
    late = datetime(2026, 12, 10, 23, 59, 59)
    assert reason(SimpleNamespace(**{**vars(b), "received_at": late}), now=late)[0] == "pass"
    midnight = datetime(2026, 12, 11, 0, 0, 0)
    assert reason(SimpleNamespace(**{**vars(b), "received_at": midnight}), now=midnight)[0] == "fail"


def test_the_runner_gives_one_result_per_job_with_its_parameters():
    jobs = [Job(item_id=i, config_id=1, kind="antivirus", server_id=i, hostname=f"s{i}", addresses=(),
                params={"max_signature_days": 0, "stale_minutes": 60}, timeout=5, antivirus_expected="clamav")
            for i in (1, 2)]
    ctx = RunContext(now=NOW, config={}, heartbeats={1: beat(signature=NOW.date())})
    results = antivirus.run(jobs, ctx)
    assert [(r.item_id, r.status, r.details["reason"]) for r in results] == [
        (1, "pass", "ok"), (2, "fail", "no_report")]
