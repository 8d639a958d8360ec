"""The scheduler runs its jobs in one process at a time, under a lease held in the database and
renewed while its holder lives; each job runs once per interval across all processes."""
import os
from datetime import timedelta

import pytest

from csirt import clock, scheduler
from csirt.auth.models import UserSession

LEASE = scheduler.LEASE_SECONDS


def _later(seconds):
    clock.freeze(clock.utcnow() + timedelta(seconds=seconds))


def _runner(app, **kwargs):
    """A runner that is not started: the tests call its heartbeat and jobs themselves."""
    return scheduler.Runner(app, jobs=[], **kwargs)


def test_only_one_holder_gets_the_lease_until_it_expires(app):
    assert scheduler.acquire_lease("web-1") is True
    assert scheduler.acquire_lease("web-2") is False
    assert scheduler.acquire_lease("web-1") is True  # renewal
    _later(LEASE + 1)
    assert scheduler.acquire_lease("web-2") is True  # the first one died
    assert scheduler.acquire_lease("web-1") is False


def test_the_holder_keeps_the_lease_as_long_as_its_heartbeat_renews_it(app):
    holder, standby = _runner(app), _runner(app)
    assert holder.heartbeat() is True and standby.heartbeat() is False
    for _ in range(10):  # far longer than one lease period in all
        _later(holder.heartbeat_seconds)
        assert holder.heartbeat() is True
        assert standby.heartbeat() is False


def test_a_standby_takes_the_lease_at_its_first_heartbeat_after_the_holder_died(app):
    holder, standby = _runner(app), _runner(app)
    holder.heartbeat()
    _later(holder.lease_seconds - 1)
    assert standby.heartbeat() is False
    _later(2)
    assert standby.heartbeat() is True


def test_a_released_lease_is_taken_by_a_standby_at_once(app):
    holder, standby = _runner(app), _runner(app)
    holder.heartbeat()
    holder.shutdown()
    assert standby.heartbeat() is True
    assert holder.holding is False


def test_a_job_runs_only_while_the_process_holds_the_lease(app):
    calls = []
    holder, standby = _runner(app), _runner(app)
    holder.heartbeat()
    standby.heartbeat()
    assert standby.run_job("probe", lambda: calls.append("standby"), 60) is False
    standby.holding = True  # even if it believed it held the lease, the claim checks it again
    assert standby.run_job("probe", lambda: calls.append("standby"), 60) is False
    assert calls == []
    _later(holder.lease_seconds + 1)  # the holder stalled: its lease ran out
    assert holder.holding is True
    assert holder.run_job("probe", lambda: calls.append("old holder"), 60) is False
    assert standby.heartbeat() is True
    assert standby.run_job("probe", lambda: calls.append("standby"), 60) is True
    assert calls == ["standby"]


def test_a_job_that_ran_on_the_old_holder_does_not_run_again_on_the_new_one(app):
    calls = []
    holder, standby = _runner(app), _runner(app)
    holder.heartbeat()
    assert holder.run_job("hourly", lambda: calls.append("old"), 3600) is True
    _later(holder.lease_seconds + 1)
    assert standby.heartbeat() is True
    assert standby.run_job("hourly", lambda: calls.append("new"), 3600) is False
    _later(3600)
    standby.heartbeat()
    assert standby.run_job("hourly", lambda: calls.append("new"), 3600) is True
    assert standby.run_job("hourly", lambda: calls.append("new"), 3600) is False
    assert calls == ["old", "new"]


def test_a_scheduler_that_was_down_runs_a_missed_job_once_then_keeps_its_interval(app, db):
    calls = []
    runner = _runner(app)
    runner.heartbeat()
    runner.run_job("hourly", lambda: calls.append(1), 3600)
    first = db.session.get(scheduler.SchedulerJob, "hourly").last_run_at
    _later(5 * 3600 + 600)  # five intervals missed
    runner.heartbeat()
    assert runner.run_job("hourly", lambda: calls.append(1), 3600) is True
    assert runner.run_job("hourly", lambda: calls.append(1), 3600) is False
    assert calls == [1, 1]
    db.session.expire_all()
    assert db.session.get(scheduler.SchedulerJob, "hourly").last_run_at == first + timedelta(hours=5)


def test_a_failing_job_is_logged_and_does_not_stop_the_scheduler(app, caplog):
    def boom():
        raise RuntimeError("job failed")

    runner = _runner(app)
    runner.heartbeat()
    assert runner.run_job("boom", boom, 60) is False
    assert "scheduled job boom failed" in caplog.text
    assert runner.heartbeat() is True


def test_the_session_purge_job_removes_expired_sessions(app, db, make):
    user = make.user("responder")
    now = clock.utcnow()
    db.session.add_all([
        UserSession(token_hash="a" * 64, user_id=user.id, expires_at=now - timedelta(minutes=1)),
        UserSession(token_hash="b" * 64, user_id=user.id, expires_at=now + timedelta(hours=1)),
    ])
    db.session.commit()
    runner = _runner(app)
    runner.heartbeat()
    job_id, func, seconds = scheduler.JOBS[0]
    assert runner.run_job(job_id, func, seconds) is True
    left = db.session.execute(db.select(UserSession.token_hash)).scalars().all()
    assert left == ["b" * 64]


def test_job_ids_are_unique_and_stable():
    ids = [job_id for job_id, _func, _seconds in scheduler.JOBS]
    assert len(ids) == len(set(ids)) and "purge-sessions" in ids


def test_each_start_makes_its_own_holder_id_none_is_made_at_import(app, db, monkeypatch):
    assert not hasattr(scheduler, "HOLDER")
    monkeypatch.setattr(os, "getpid", lambda: 4242)
    first = scheduler.start(app, jobs=[])
    monkeypatch.setattr(os, "getpid", lambda: 4343)  # as in a forked worker
    second = scheduler.start(app, jobs=[])
    try:
        assert ":4242:" in first.holder and ":4343:" in second.holder
        assert first.holding is True and second.holding is False
    finally:
        first.shutdown()
        second.shutdown()
    assert db.session.execute(db.select(scheduler.SchedulerLease)).first() is None  # released


@pytest.mark.parametrize("lease, heartbeat", [(10, 10), (10, 30), (10, -1)])
def test_a_heartbeat_that_cannot_keep_the_lease_is_refused(app, lease, heartbeat):
    with pytest.raises(ValueError, match="HEARTBEAT"):
        scheduler.Runner(app, lease_seconds=lease, heartbeat_seconds=heartbeat)


# --- two real scheduler processes on one database --------------------------------------------

JOB_SECONDS, LEASE_SECONDS, HEARTBEAT_SECONDS = 2, 3, 1
# Starts the scheduler as `csirt scheduler` does, with one probe job that writes its pid and the
# interval it claimed (scheduler_job.last_run_at) for each run.
WORKER = f"""
import logging, os, signal, sys, threading
from csirt import create_app, scheduler
from csirt.extensions import db

logging.basicConfig(level=logging.INFO)

def probe():
    slot = db.session.get(scheduler.SchedulerJob, "probe").last_run_at
    with open(sys.argv[1], "a") as out:
        out.write(f"{{os.getpid()}} {{slot.isoformat()}}\\n")

runner = scheduler.start(create_app(), jobs=[("probe", probe, {JOB_SECONDS})])
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_a: done.set())
done.wait()
runner.shutdown()
"""


def _wait(condition, seconds, what):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {what}")


def _runs(path):
    """[(pid, claimed interval start)] in the order the runs happened."""
    from datetime import datetime

    lines = path.read_text().splitlines()
    return [(int(pid), datetime.fromisoformat(slot)) for pid, slot in (line.split() for line in lines)]


def _lease_holder(db):
    holder = db.session.execute(db.select(scheduler.SchedulerLease.holder)).scalar()
    db.session.rollback()  # the next look sees what the processes committed since
    return holder


@pytest.mark.slow
def test_two_scheduler_processes_run_a_job_once_per_interval_and_a_standby_takes_over_a_killed_holder(
        app, db, database_url, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "runs.txt"
    out.touch()
    env = {**os.environ, "CSIRT_DATABASE_URL": database_url, "CSIRT_INSTANCE_PATH": str(tmp_path),
           "CSIRT_SCHEDULER_LEASE_SECONDS": str(LEASE_SECONDS),
           "CSIRT_SCHEDULER_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS)}
    env.pop("CSIRT_ENV", None)
    logs = [tmp_path / f"worker-{n}.log" for n in (1, 2)]
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(out)], env=env, stdout=log.open("w"),
                              stderr=subprocess.STDOUT) for log in logs]
    try:
        _wait(lambda: all("scheduler started" in log.read_text() for log in logs), 30, "both schedulers started")
        started, before = time.monotonic(), len(_runs(out))
        _wait(lambda: len(_runs(out)) >= before + 4, 30, "four runs while both processes run")
        elapsed = time.monotonic() - started
        runs = _runs(out)
        holder_pid = int(_lease_holder(db).split(":")[-2])
        standby = next(p for p in procs if p.pid != holder_pid)
        assert {pid for pid, _slot in runs} == {holder_pid}  # the standby ran nothing
        # once per interval: every claimed interval is a new one on the job's grid...
        slots = [slot for _pid, slot in runs]
        gaps = [(b - a).total_seconds() for a, b in zip(slots, slots[1:])]
        assert all(gap > 0 and gap % JOB_SECONDS == 0 for gap in gaps), gaps
        # ... and as many runs as intervals went by while both processes ran: a window of E seconds
        # holds at most floor(E / J) + 1 run starts (one at each end), and at least E / J - 1
        count = len(runs) - before
        assert elapsed / JOB_SECONDS - 1 <= count <= elapsed // JOB_SECONDS + 1, (count, elapsed)

        os.kill(holder_pid, signal.SIGKILL)
        killed = time.monotonic()
        # the standby takes the lease within one lease period (and one heartbeat to notice it)
        _wait(lambda: str(standby.pid) in (_lease_holder(db) or "").split(":"),
              LEASE_SECONDS + HEARTBEAT_SECONDS + 5, "the standby took the lease")
        takeover = time.monotonic() - killed
        _wait(lambda: sum(pid == standby.pid for pid, _slot in _runs(out)) >= 2, 30, "two runs on the standby")
        after = _runs(out)
        later = [slot for pid, slot in after if pid == standby.pid]
        assert min(later) > max(slots)  # nothing the old holder ran is run again
        every = [slot for _pid, slot in after]
        assert len(every) == len(set(every))
        assert all((b - a).total_seconds() % JOB_SECONDS == 0 for a, b in zip(every, every[1:]))
        print(f"runs with both up: {len(runs) - before} in {elapsed:.1f} s; takeover after {takeover:.1f} s")

        standby.send_signal(signal.SIGTERM)  # a clean stop gives the lease up at once
        assert standby.wait(timeout=30) == 0
        assert _lease_holder(db) is None
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
