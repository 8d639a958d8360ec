"""The scheduler runs its jobs in one process at a time, under a lease held in the database."""
from datetime import timedelta

from csirt import clock, scheduler
from csirt.auth.models import UserSession


def test_only_one_holder_gets_the_lease_until_it_expires(app):
    assert scheduler.acquire_lease(holder="web-1") is True
    assert scheduler.acquire_lease(holder="web-2") is False
    assert scheduler.acquire_lease(holder="web-1") is True  # renewal
    clock.freeze(clock.utcnow() + timedelta(seconds=scheduler.LEASE_SECONDS + 1))
    assert scheduler.acquire_lease(holder="web-2") is True  # the first one died
    assert scheduler.acquire_lease(holder="web-1") is False


def test_a_job_runs_only_while_the_process_holds_the_lease(app):
    calls = []
    assert scheduler.acquire_lease(holder="someone-else") is True
    scheduler.run_job(app, "probe", lambda: calls.append(1))
    assert calls == []
    clock.freeze(clock.utcnow() + timedelta(seconds=scheduler.LEASE_SECONDS + 1))
    scheduler.run_job(app, "probe", lambda: calls.append(1))
    assert calls == [1]


def test_a_failing_job_is_logged_and_does_not_stop_the_scheduler(app, caplog):
    def boom():
        raise RuntimeError("job failed")

    scheduler.run_job(app, "boom", boom)
    assert "scheduled job boom failed" in caplog.text


def test_the_session_purge_job_removes_expired_sessions(app, db, make):
    user = make.user("responder")
    now = clock.utcnow()
    db.session.add_all([
        UserSession(token_hash="a" * 64, user_id=user.id, expires_at=now - timedelta(minutes=1)),
        UserSession(token_hash="b" * 64, user_id=user.id, expires_at=now + timedelta(hours=1)),
    ])
    db.session.commit()
    scheduler.run_job(app, "purge-sessions", scheduler.JOBS[0][1])
    left = db.session.execute(db.select(UserSession.token_hash)).scalars().all()
    assert left == ["b" * 64]


def test_job_ids_are_unique_and_stable():
    ids = [job_id for job_id, _func, _seconds in scheduler.JOBS]
    assert len(ids) == len(set(ids)) and "purge-sessions" in ids
