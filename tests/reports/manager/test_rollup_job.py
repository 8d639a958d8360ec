"""The rollup job's transaction: every read before the first write (SQLite's one write lock is
held for the writes alone), alerts counted by the database, and overlapping runs on PostgreSQL
taking turns instead of duplicating rows or failing."""
import os
import threading
import time

import pytest
from sqlalchemy import event

from csirt.reports.manager import rollup
from csirt.reports.manager.models import AlertDayRollup, IncidentTimeRollup, RollupState

WRITES = ("DELETE", "INSERT", "UPDATE")


def _statements_of_refresh(db):
    """[(statement, whether the SQLite connection was in a write transaction)] of one run."""
    seen = []

    def before(conn, _cursor, statement, _parameters, _context, _many):
        raw = conn.connection.dbapi_connection
        seen.append((" ".join(statement.split()), bool(getattr(raw, "in_transaction", False))
                     if conn.dialect.name == "sqlite" else None))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        rollup.refresh()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return seen


def test_the_job_reads_everything_before_its_first_write(app, db, province):
    seen = _statements_of_refresh(db)
    verbs = [s.split(" ", 1)[0].upper() for s, _writing in seen]
    first_write = min(n for n, verb in enumerate(verbs) if verb in WRITES)
    assert all(verb in WRITES for verb in verbs[first_write:]), seen[first_write:]
    reads = [s.lower() for s, _writing in seen[:first_write]]
    for table in ("from alert", "from incident", "from information_system", "from agency"):
        assert any(table in s for s in reads), table
    writes = [s.split(" (", 1)[0] for s, _writing in seen[first_write:]]
    assert [w for n, w in enumerate(writes) if n == 0 or w != writes[n - 1]] == [
        "DELETE FROM incident_time_rollup", "INSERT INTO incident_time_rollup",
        "DELETE FROM alert_day_rollup", "INSERT INTO alert_day_rollup", "INSERT INTO dashboard_rollup_state"]
    if db.engine.dialect.name == "sqlite":  # no write transaction (no lock) while reading
        assert not any(writing for _s, writing in seen[:first_write])


def test_the_job_counts_alerts_in_the_database(app, db, province):
    seen = _statements_of_refresh(db)
    counting = [s for s, _writing in seen if " FROM alert " in f"{s} " and "GROUP BY" in s]
    assert len(counting) == 1 and "count(*)" in counting[0].lower()
    assert not any(s.startswith("SELECT alert.received_at") for s, _writing in seen)  # no alert read row by row
    # the days as conftest.py computes them by hand (Hanoi days; 11-03 10:00 UTC is outside)
    rows = {(r.day.isoformat(), r.source, r.agency_id): r.alerts for r in db.session.query(AlertDayRollup)}
    a, b = province.a.id, province.b.id
    assert rows == {("2026-12-04", "wazuh", a): 3, ("2026-12-02", "wazuh", b): 1, ("2026-12-03", "check", None): 1,
                    ("2026-11-05", "generic", a): 1}


def test_a_run_stamps_each_rollup_once_and_updates_the_stamp(app, db, province):
    from datetime import timedelta

    from .conftest import NOW

    rollup.refresh()
    rollup.refresh(NOW + timedelta(minutes=10))
    names = db.session.execute(db.select(RollupState.name, RollupState.refreshed_at)).all()
    assert sorted(n for n, _at in names) == sorted(
        ["incidents", "alerts", "compliance", rollup.AGENCY_TABLE,
         *(f"compliance:{x.id}" for x in (province.unit, province.a, province.b))])
    assert {at for _n, at in names} == {NOW + timedelta(minutes=10)}


@pytest.mark.skipif(not os.environ.get("CSIRT_TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="overlapping runs on PostgreSQL (SQLite: the write lock serialises them)")
def test_two_overlapping_first_runs_take_turns_on_postgresql(app, db, province, monkeypatch):
    """The first run holds its transaction open after writing; the second, started then, waits on
    the advisory lock (not on rows it would then miss) and rewrites the tables after the first
    commits: no duplicate rows, no unique violation on the stamps of a first-ever run."""
    reached, go, errors = threading.Event(), threading.Event(), []
    real_stamp = rollup._stamp

    def stamp(states, now):
        real_stamp(states, now)
        if threading.current_thread().name == "first":
            reached.set()
            go.wait(60)

    def run():
        try:
            with app.app_context():
                rollup.refresh()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
            reached.set()

    monkeypatch.setattr(rollup, "_stamp", stamp)
    first = threading.Thread(target=run, name="first")
    second = threading.Thread(target=run, name="second")
    first.start()
    assert reached.wait(60) and not errors, errors
    second.start()
    waiting = 0
    with db.engine.connect() as watcher:  # until the second run waits on the advisory lock
        for _ in range(600):
            waiting = watcher.exec_driver_sql(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").scalar()
            if waiting:
                break
            time.sleep(0.05)
    go.set()
    first.join(60)
    second.join(60)
    assert waiting == 1 and not errors, errors
    db.session.expire_all()
    assert db.session.query(IncidentTimeRollup).count() == (2 + 4) + (2 + 2) + (2 + 3)  # as one run writes
    assert db.session.query(AlertDayRollup).count() == 4
    # incidents, alerts, compliance overall, its 3 agencies and the compliance agencies table
    assert db.session.query(RollupState).count() == 7
