"""Claiming due work items: never the same row twice, missed runs coalesced, runs left behind by
a killed scheduler recorded interrupted and retried once (both databases)."""
import threading
from datetime import timedelta

from csirt import clock
from csirt.checks import claims, runner
from csirt.checks.models import ServerCheck
from csirt.extensions import db as _db

from .engine_support import FakeKind, config, items, results, server, use_kinds


def _world(make, count):
    agency = make.agency()
    for n in range(count):
        server(agency, f"srv-{n:02d}", [f"127.0.3.{n + 1}"])
    return agency


def test_two_claimers_never_get_the_same_row(app, db, make):
    agency = _world(make, 20)
    config("agent", agency=agency, params={"mode": "heartbeat", "stale_minutes": 15})
    now = clock.utcnow()
    first = claims.claim_due("a", now, 7)
    second = claims.claim_due("b", now, 100)
    assert len(first.ids) == 7 and len(second.ids) == 13
    assert not set(first.ids) & set(second.ids)
    assert claims.claim_due("c", now, 100).ids == []
    rows = {row.id: row for row in items()}
    assert {rows[i].claimed_by for i in first.ids} == {"a"} and {rows[i].claimed_by for i in second.ids} == {"b"}


def test_claimers_in_parallel_threads_split_the_rows_between_them(app, db, make):
    agency = _world(make, 40)
    config("agent", agency=agency, params={"mode": "heartbeat", "stale_minutes": 15})
    now = clock.utcnow()
    taken, errors = {}, []

    def claimer(name):
        with app.app_context():
            try:
                while True:
                    claim = claims.claim_due(name, now, 3)
                    if not claim.ids:
                        return
                    taken.setdefault(name, []).extend(claim.ids)
            except Exception as err:  # pragma: no cover - shown by the assertion below
                errors.append(err)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=claimer, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    every = [i for ids in taken.values() for i in ids]
    assert len(every) == 40 and len(set(every)) == 40


def test_a_row_due_ten_intervals_ago_runs_once_and_next_runs_one_interval_from_now(app, db, make, monkeypatch):
    agency = make.agency()
    target = server(agency, "srv-late")
    cfg = config("agent", target, params={"mode": "heartbeat", "stale_minutes": 15}, interval=300)
    [item] = items(cfg)
    item.next_run_at = clock.utcnow() - timedelta(seconds=10 * 300)
    db.session.commit()
    fake = FakeKind()
    use_kinds(monkeypatch, agent=fake)
    now = clock.utcnow()
    report = runner.tick(now=now)
    assert report.claimed == 1 and len(fake.calls) == 1
    assert runner.tick(now=now + timedelta(seconds=299)).claimed == 0
    [item] = items(cfg)
    assert item.next_run_at == now + timedelta(seconds=300)
    assert item.claimed_by is None and item.run_started_at is None
    assert len(results(item.id)) == 1
    assert runner.tick(now=now + timedelta(seconds=300)).claimed == 1
    assert len(results(item.id)) == 2


def test_an_inactive_or_claimed_row_is_not_claimed(app, db, make):
    agency = make.agency()
    a, b = server(agency, "srv-a"), server(agency, "srv-b", ["127.0.0.6"])
    cfg_a = config("agent", a, params={"mode": "heartbeat"})
    config("agent", b, params={"mode": "heartbeat"})
    [item_a] = items(cfg_a)
    item_a.active = False
    db.session.commit()
    now = clock.utcnow()
    claim = claims.claim_due("x", now, 10)
    assert item_a.id not in claim.ids and len(claim.ids) == 1
    assert claims.claim_items("y", now, claim.ids).ids == []  # run now skips what is being run


def test_a_run_left_behind_is_recorded_interrupted_and_retried_once_then_not_again(app, db, make):
    agency = make.agency()
    target = server(agency, "srv-killed")
    cfg = config("agent", target, params={"mode": "heartbeat"}, interval=600, timeout=30)
    [item] = items(cfg)
    start = clock.utcnow()
    first = claims.claim_due("dead-1", start, 10)
    assert first.ids == [item.id]
    assert claims.recover_interrupted(first.until) == 0  # not before its claim ran out
    later = first.until + timedelta(seconds=1)
    assert claims.recover_interrupted(later) == 1
    assert claims.recover_interrupted(later) == 0  # recovered once, whoever asks again
    [item] = items(cfg)
    assert (item.retry, item.claimed_by, item.claimed_until, item.run_started_at) == (True, None, None, None)
    assert item.next_run_at == later  # the retry is due at once
    [interrupted] = results(item.id)
    assert interrupted.status == "interrupted" and interrupted.details["reason"] == "scheduler_stopped"
    assert interrupted.started_at == start and interrupted.changed is False
    assert item.state == "never"  # an interrupted run changes no state

    retry = claims.claim_due("dead-2", later, 10)  # the retry, killed as well
    assert retry.ids == [item.id]
    again = retry.until + timedelta(seconds=1)
    assert claims.recover_interrupted(again) == 1
    [item] = items(cfg)
    assert item.retry is False
    assert item.next_run_at == later + timedelta(seconds=600)  # not retried a second time
    assert [r.status for r in results(item.id)] == ["interrupted", "interrupted"]
    assert claims.claim_due("z", again, 10).ids == []


def test_a_result_whose_claim_was_taken_over_is_dropped(app, db, make, monkeypatch):
    agency = make.agency()
    target = server(agency, "srv-slow")
    cfg = config("agent", target, params={"mode": "heartbeat"})
    now = clock.utcnow()
    slow = claims.claim_due("slow", now, 10)
    claims.recover_interrupted(slow.until + timedelta(seconds=1))
    assert claims.release(slow, slow.ids) == []  # the slow scheduler's result is not stored
    db.session.commit()
    [item] = items(cfg)
    assert item.retry is True and db.session.get(ServerCheck, item.id).claimed_by is None


def test_a_completed_retry_clears_the_retry_mark(app, db, make, monkeypatch):
    agency = make.agency()
    target = server(agency, "srv-retry")
    cfg = config("agent", target, params={"mode": "heartbeat"})
    now = clock.utcnow()
    claim = claims.claim_due("dead", now, 10)
    later = claim.until + timedelta(seconds=1)
    use_kinds(monkeypatch, agent=FakeKind())
    report = runner.tick(now=later)  # recovers, then runs the retry at once
    assert report.recovered == 1 and report.claimed == 1
    [item] = items(cfg)
    assert item.retry is False and item.state == "pass"
    assert [r.status for r in results(item.id)] == ["interrupted", "pass"]
