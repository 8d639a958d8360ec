"""Storing a tick's results (`runner._Storer`; on PostgreSQL `checks/storing.py`, one statement):
what lands in check_result and server_check is the same on both databases, a result whose claim
was taken over is dropped without touching the row, and on PostgreSQL one batch is one statement
however many results it holds."""
from datetime import timedelta

import pytest

from csirt import clock
from csirt.checks import claims, kinds, runner
from csirt.checks.models import ServerCheck
from csirt.extensions import on_postgres

from ..conftest import recorded_statements
from .engine_support import config, items, results, server


def _setup(make, count):
    agency = make.agency()
    for n in range(count):
        server(agency, f"store-{n}", [f"127.0.9.{n + 1}"])
    return config("firewall", agency=agency, params={"ports": "22/tcp"}, interval=600)


def _storer(holder="me"):
    now = clock.utcnow()
    claim = claims.claim_due(holder, now, 10_000)
    loaded, _beats = runner._load(claim.ids)
    return runner._Storer(claim, loaded), now


def _result(item_id, now, status, details=None, command=None):
    return kinds.Result(item_id=item_id, status=status, started_at=now,
                        finished_at=now + timedelta(microseconds=123_457), details=details or {}, command=command)


def test_results_and_states_are_stored_with_their_details_and_times(app, db, make):
    cfg = _setup(make, 3)
    storer, now = _storer()
    first, second, third = (item.id for item in items(cfg))
    argv = ["nmap", "--", "127.0.9.1", "127.0.9.2"]
    details = {"open": ["22/tcp"], "note": "Cổng mở ngoài danh sách \"đã duyệt\" \\ 100%", "hosts": {"a": 1}}
    stored = storer.store([_result(first, now, "fail", details, argv), _result(second, now, "pass", None, argv),
                           _result(third, now, "warn")])
    assert [one.result.item_id for one in stored] == [first, second, third]
    assert all(one.changed and one.before == "never" for one in stored)
    rows = {row.server_check_id: row for row in results()}
    assert rows[first].details == details
    assert rows[first].finished_at == now + timedelta(microseconds=123_457)
    assert rows[first].duration_ms == 123 and rows[first].changed is True
    assert rows[first].scan_id is not None and rows[first].scan_id == rows[second].scan_id
    assert rows[first].scan.argv == argv and rows[first].scan.hosts == 2
    assert rows[third].scan_id is None and rows[third].details == {}
    for item in items(cfg):
        assert item.claimed_by is None and item.claimed_until is None and item.run_started_at is None
        assert item.last_result_id == rows[item.id].id == {one.result.item_id: one.result_id for one in stored}[item.id]
        assert item.state == rows[item.id].status and item.state_since == rows[item.id].finished_at
        assert item.last_run_at == rows[item.id].finished_at


def test_an_unchanged_state_keeps_its_since(app, db, make):
    cfg = _setup(make, 1)
    storer, now = _storer()
    [item] = items(cfg)
    storer.store([_result(item.id, now, "pass")])
    since = items(cfg)[0].state_since
    db.session.execute(db.update(ServerCheck).values(next_run_at=now))
    db.session.commit()
    storer, later = _storer()
    [again] = storer.store([_result(item.id, later + timedelta(seconds=5), "pass")])
    assert again.changed is False and again.before == "pass"
    [item] = items(cfg)
    assert item.state_since == since and item.last_run_at > since
    assert [r.changed for r in results(item.id)] == [True, False]


def test_a_result_whose_claim_was_taken_over_is_dropped_and_the_rest_stored(app, db, make):
    cfg = _setup(make, 3)
    storer, now = _storer("slow")
    first, second, third = (item.id for item in items(cfg))
    # the claim of `second` ran out: another scheduler recovered it and claimed it again
    db.session.execute(db.update(ServerCheck).where(ServerCheck.id == second)
                       .values(claimed_by="other", claimed_until=now + timedelta(minutes=5)))
    db.session.commit()
    stored = storer.store([_result(i, now, "fail") for i in (first, second, third)])
    assert [one.result.item_id for one in stored] == [first, third]
    assert {row.server_check_id for row in results()} == {first, third}
    taken = db.session.get(ServerCheck, second)
    assert taken.claimed_by == "other" and taken.state == "never" and taken.last_result_id is None
    assert storer.store([_result(second, now, "pass")]) == []  # each item once: dropped stays dropped


def test_nothing_is_stored_when_every_claim_was_taken_over(app, db, make):
    cfg = _setup(make, 2)
    storer, now = _storer("slow")
    db.session.execute(db.update(ServerCheck).values(claimed_by="other"))
    db.session.commit()
    assert storer.store([_result(item.id, now, "fail") for item in items(cfg)]) == []
    assert results() == []
    assert {item.claimed_by for item in items(cfg)} == {"other"}


def test_on_postgresql_a_batch_of_results_is_one_statement(app, db, make):
    if not on_postgres():
        pytest.skip("SQLite stores with the statements of runner._Storer")
    cfg = _setup(make, 40)
    storer, now = _storer()
    batch = [_result(item.id, now, "warn", {"n": item.id}) for item in items(cfg)]
    with recorded_statements(db.engine) as seen:
        stored = storer.store(batch)
    assert len(stored) == 40
    assert [s.split()[0] for s in seen if not s.startswith(("BEGIN", "COMMIT"))] == ["WITH"]
    assert len(results()) == 40
