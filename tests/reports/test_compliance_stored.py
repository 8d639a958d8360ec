"""The compliance figures stored by the scheduler (job `dashboard-rollups`) equal the figures
computed from the records, for every system and for each agency filter; until the job runs again
after a change they stay as they were and say when they were stored; the matrix is always live."""
from datetime import date, datetime

from csirt.reports.compliance import figures, jobs, stored
from csirt.reports.manager import rollup
from csirt.systems.models import Server

from . import test_compliance as base
from .test_compliance import _assess, _layer

frozen_clock, province = base.frozen_clock, base.province  # the dashboard tests' fixtures


def _tally(t):
    return (t.id, t.name, t.systems, t.all_valid, t.share, t.counts, t.overdue_assessments, t.open_findings,
            t.late_findings, t.not_independent)


def _servers(servers):
    return (servers["total"], {c: (f["expected"], f["verified"], f["coverage"] and f["coverage"].as_dict())
                               for c, f in servers["controls"].items()})


def _rows(rows):
    return [(r.id, r.code, r.agency_name, r.codes, r.independent, r.last_assessed, r.assessment_due,
             r.assessment_overdue, r.open_findings, r.late_findings) for r in rows]


def _figures(board):
    return (_tally(board.overall), [_tally(a) for a in board.agencies], _servers(board.servers),
            [(p.month, p.systems, p.all_valid, p.live) for p in board.trend],
            _rows(board.rows(0, 1000)), board.count())


def _assert_stored_equals_computed(user, agencies):
    for filters in [figures.Filters(), *(figures.Filters(agency_id=a.id) for a in agencies)]:
        found = stored.board(user, filters)
        assert found is not None and found.as_of is not None, filters
        overall, listed, servers, trend, rows, count = _figures(found)
        computed = _figures(figures.compute(user, filters))
        # the overall tally of the stored board carries no id or name, like the computed one
        assert (overall, listed, servers, trend, rows, count) == computed, filters


def test_the_stored_figures_equal_the_computed_ones_for_everyone_and_each_agency(app, db, province, make):
    manager = make.user("manager")
    s, author = province["systems"], province["author"]
    _assess(db, s["valid"], author, date(2025, 12, 1), findings=[("Cổng mở", date(2026, 11, 1), None)])
    _assess(db, s["mixed"], author, date(2025, 10, 1))
    _layer(db, s["valid"], 3, date(2026, 2, 1), date(2027, 6, 1), author, provider="ĐƠN VỊ LỚP 2.")
    db.session.add_all([Server(hostname="srv-1", agency_id=province["a"].id, baseline_ports="443/tcp",
                               antivirus_expected="AV"),
                        Server(hostname="srv-2", agency_id=province["b"].id, agent_expected="Agent")])
    db.session.commit()
    jobs.take_snapshot(date(2026, 9, 1))
    jobs.take_snapshot()
    empty = make.agency(name="Sở C")  # no system, no server
    assert stored.board(manager, figures.Filters()) is None  # before the job first ran
    rollup.refresh()
    _assert_stored_equals_computed(manager, [province["a"], province["b"], empty])
    board = stored.board(manager, figures.Filters())
    assert [a.name for a in board.agencies] == ["Sở A", "Sở B"]
    assert [(p.month, p.systems, p.live) for p in board.trend] == [
        (date(2026, 9, 1), 5, False), (date(2026, 10, 1), 5, False), (date(2026, 11, 1), 5, True)]


def test_stored_figures_stay_as_of_the_last_run_until_the_job_runs_again(app, db, client, auth, province, make):
    manager = make.user("manager")
    rollup.refresh()
    before = _figures(stored.board(manager, figures.Filters()))
    for n in (1, 2, 3, 4):  # EMPTY gets all its layers
        _layer(db, province["systems"]["empty"], n, date(2025, 1, 1), date(2028, 1, 1), province["author"])
    board = stored.board(manager, figures.Filters())
    assert _tally(board.overall) == before[0] and board.overall.all_valid == 2  # as of the last run
    empty = next(r for r in board.rows(0, 100) if r.code == "EMPTY")
    assert empty.all_valid  # the matrix is live
    assert board.as_of == datetime(2026, 11, 20, 3, 0)
    auth.login(manager)
    page = client.get("/compliance").get_data(as_text=True)
    assert 'id="compliance-as-of"' in page
    data = client.get("/api/v1/compliance", headers=_token(manager)).get_json()
    assert data["as_of"] == "2026-11-20T03:00:00Z" and data["overall"]["all_valid"] == 2
    rollup.refresh()
    assert stored.board(manager, figures.Filters()).overall.all_valid == 3
    _assert_stored_equals_computed(manager, [province["a"], province["b"]])


def test_a_level_filter_or_a_liaison_gets_the_figures_computed_now(app, client, auth, province, make):
    rollup.refresh()
    manager, liaison = make.user("manager"), make.user("member", agency_obj=province["b"])
    assert stored.board(manager, figures.Filters(level=4)) is None
    assert stored.board(liaison, figures.Filters()) is None
    assert stored.dashboard(liaison).as_of is None
    auth.login(liaison)
    page = client.get("/compliance").get_data(as_text=True)
    assert 'id="compliance-as-of"' not in page and 'data-system="OTHER"' in page and "Sở A" not in page


def test_a_summary_stored_by_the_previous_version_is_not_read(app, db, province, make):
    from csirt.reports.manager.models import RollupState

    manager = make.user("manager")
    rollup.refresh()
    state = db.session.get(RollupState, stored.agency_state(province["a"].id))
    state.data = {k: v for k, v in state.data.items() if k not in ("counts", "trend")}
    db.session.commit()
    assert stored.board(manager, figures.Filters(agency_id=province["a"].id)) is None
    assert stored.dashboard(manager, figures.Filters(agency_id=province["a"].id)).overall.systems == 4


def test_the_matrix_pages_through_every_system_in_order(app, db, client, auth, province, make, monkeypatch):
    from csirt.reports.compliance import views

    manager = make.user("manager")
    rollup.refresh()
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    auth.login(manager)
    seen = []
    for page in (1, 2, 3):
        text = client.get(f"/compliance?page={page}").get_data(as_text=True)
        seen += [code for code in ("EMPTY", "MIXED", "RENEWED", "VALID", "OTHER") if f'data-system="{code}"' in text]
    assert seen == ["EMPTY", "MIXED", "RENEWED", "VALID", "OTHER"]
    assert [r.code for r in figures.compute(manager).systems] == seen


def _token(user):
    from csirt.auth.tokens import create_token

    _row, token = create_token(None, user, "compliance", ["systems:read"], 30)
    return {"Authorization": f"Bearer {token}"}
