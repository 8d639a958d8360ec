"""Several delivery workers, a delivery killed mid-way, and the wake-up of the delivery loop.

- Two workers at once never send one notification twice (PostgreSQL: `FOR UPDATE SKIP LOCKED`;
  SQLite: compare-and-set).
- A process killed with SIGKILL in the middle of sending: after its claim runs out, delivery
  again sends what was left, and the receiver (counting by Message-ID) got each one exactly once.
- A committed notification wakes a running delivery loop whose polling interval is an hour.
"""
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import text

from csirt.clock import freeze, utcnow
from csirt.notify import delivery, outbox, wake
from csirt.notify.jobs import DeliveryLoop
from csirt.notify.models import Notification

from .support import Inbox, start_smtp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _smtp(app, inbox):
    controller = start_smtp(inbox)
    app.config.update(CSIRT_SMTP_HOST="127.0.0.1", CSIRT_SMTP_PORT=controller.port)
    return controller


def _enqueue_many(db, make, count):
    people = [make.user(email=f"p{i}@x.vn") for i in range(count)]
    rows = [outbox.enqueue("incident.opened", p, {"reference": f"LC-{i}"})[0] for i, p in enumerate(people)]
    db.session.commit()
    return [r.id for r in rows]


def _statuses(db):
    db.session.expire_all()
    return db.session.execute(db.select(Notification.id, Notification.status, Notification.attempts)
                              .order_by(Notification.id)).all()


def test_two_workers_at_once_send_each_notification_exactly_once(app, db, make):
    inbox = Inbox(delay=0.01)
    controller = _smtp(app, inbox)
    ids = _enqueue_many(db, make, 24)
    barrier = threading.Barrier(2)
    counts = []

    def worker():
        with app.app_context():
            barrier.wait()
            counts.append(delivery.deliver_due(limit=4))
            db.session.remove()

    try:
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        messages = inbox.wait_for(24)
    finally:
        controller.stop()
    assert sum(counts) == 24
    per_id = Counter(m["Message-ID"] for m in messages)
    assert len(messages) == 24 and set(per_id.values()) == {1}
    assert _statuses(db) == [(i, "sent", 1) for i in ids]


def test_a_row_locked_by_another_worker_is_skipped_not_waited_for(app, db, make, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises writers")
    ids = _enqueue_many(db, make, 3)
    other = db.engine.connect()
    try:
        other.begin()
        other.execute(text("SELECT id FROM notification WHERE id = :id FOR UPDATE"), {"id": ids[0]})
        claimed, _mark = delivery.claim(limit=10)  # would block here without SKIP LOCKED
        assert claimed == ids[1:]
    finally:
        other.rollback()
        other.close()


KILLED_WORKER = """
import sys
from csirt import create_app
from csirt.config import TestConfig
app = create_app(TestConfig(sys.argv[1], sys.argv[2]))
app.config.update(CSIRT_SMTP_HOST="127.0.0.1", CSIRT_SMTP_PORT=int(sys.argv[3]))
with app.app_context():
    from csirt.notify import delivery
    delivery.deliver_due(limit=2)
"""


def test_a_delivery_killed_mid_way_then_run_again_delivers_each_notification_once(app, db, make, database_url,
                                                                                   tmp_path):
    inbox = Inbox(delay=0.4)
    controller = _smtp(app, inbox)
    ids = _enqueue_many(db, make, 6)
    try:
        worker = subprocess.Popen([sys.executable, "-c", KILLED_WORKER, database_url, str(tmp_path / "w"),
                                   str(controller.port)], cwd=ROOT)
        try:
            assert len(inbox.wait_for(2, timeout=60)) == 2
            deadline = time.monotonic() + 30
            while inbox.started_count < 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert inbox.started_count >= 3, "the third message never began"
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(30)
        time.sleep(0.6)  # let the server finish (and refuse) the message whose client died
        assert len(inbox.messages) == 2
        states = Counter(status for _id, status, _n in _statuses(db))
        assert states["sent"] == 2 and states["sending"] >= 1  # the one in flight stays claimed
        freeze(utcnow() + timedelta(seconds=app.config["CSIRT_NOTIFY_CLAIM_SECONDS"] + 1))
        assert delivery.deliver_due() == 4
        messages = inbox.wait_for(6)
    finally:
        controller.stop()
    per_id = Counter(m["Message-ID"] for m in messages)
    assert sorted(per_id) == sorted(f"<csirt-notification-{i}@localhost>" for i in ids)
    assert set(per_id.values()) == {1}
    assert [status for _id, status, _n in _statuses(db)] == ["sent"] * 6


def test_a_committed_notification_wakes_the_delivery_loop_long_before_it_would_poll(app, db, make, database_url,
                                                                                   monkeypatch):
    if database_url.startswith("postgresql"):
        # only PostgreSQL's NOTIFY may wake it: the in-process signal is switched off
        monkeypatch.setattr(wake, "signal", lambda: None)
    inbox = Inbox()
    controller = _smtp(app, inbox)
    person = make.user(email="on.call@x.vn")
    wake._event.clear()  # nothing earlier may have left it set
    loop = DeliveryLoop(app, poll_seconds=3600)
    loop.start()
    try:
        deadline = time.monotonic() + 30
        while loop.rounds < 1 and time.monotonic() < deadline:  # listening, first (empty) round done
            time.sleep(0.01)
        assert loop.rounds == 1
        outbox.enqueue("incident.opened", person, {"reference": "LC-1"}, serious=True)
        db.session.commit()
        messages = inbox.wait_for(1, timeout=30)  # generous; the poll would come after an hour
        assert len(messages) == 1
    finally:
        loop._stop_event.set()
        wake._event.set()
        loop.join(10)
        controller.stop()
    assert not loop.is_alive()


def test_a_rolled_back_notification_does_not_wake_the_loop(app, db, make):
    wake._event.clear()
    person = make.user(email="x@x.vn")
    outbox.enqueue("incident.opened", person, {})
    db.session.rollback()
    assert not wake.wait(0)
    outbox.enqueue("incident.opened", person, {})
    db.session.commit()
    assert wake.wait(0)


def test_the_scheduler_job_delivers_and_keeps_one_licensed_loop_per_app(app, db, make):
    from csirt.notify import jobs

    inbox = Inbox()
    controller = _smtp(app, inbox)
    person = make.user(email="x@x.vn")
    outbox.enqueue("incident.opened", person, {})
    db.session.commit()
    try:
        jobs.deliver_job()  # what the scheduler runs under its lease
        assert len(inbox.wait_for(1)) == 1
        loop = jobs._loops[id(app)]
        assert loop.is_alive() and loop.licensed_until > time.monotonic()
        assert jobs.ensure_loop(app, 60) is loop  # re-licensed, not a second loop
    finally:
        loop = jobs._loops.pop(id(app), None)
        if loop is not None:
            loop.stop()
        controller.stop()
    assert not loop.is_alive()
