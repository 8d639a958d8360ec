"""The compliance dashboard: layer statuses per system and agency, shares, overdue assessments,
open findings, filters, agency scoping, the CSV export, the JSON API and the monthly snapshot."""
import csv
import io
from datetime import date, datetime, timedelta

import pytest

from csirt.auth.tokens import create_token
from csirt.clock import freeze
from csirt.reports.compliance import figures, jobs
from csirt.systems import compliance as core
from csirt.systems.models import (
    Assessment,
    ComplianceSnapshot,
    Finding,
    InformationSystem,
    LayerRecord,
    Server,
)

TODAY = date(2026, 11, 20)  # a Friday; 2026 regime in force


@pytest.fixture(autouse=True)
def frozen_clock():
    freeze(datetime(2026, 11, 20, 3, 0))  # 10:00 in the province
    yield
    freeze(None)


def _system(db, agency, code, level=3, **kw):
    system = InformationSystem(code=code, name=kw.pop("name", f"Hệ thống {code}"), level=level,
                               owner_agency_id=agency.id, created_at=datetime(2025, 1, 1), **kw)
    db.session.add(system)
    db.session.commit()
    return system


def _layer(db, system, layer, valid_from, valid_to, author, provider="Công ty An ninh mạng A"):
    db.session.add(LayerRecord(system_id=system.id, layer=layer, provider=provider, valid_from=valid_from,
                               valid_to=valid_to, created_by_id=author.id))
    db.session.commit()


def _all_layers(db, system, author, valid_to=date(2027, 12, 31)):
    for n in (1, 2, 3, 4):
        _layer(db, system, n, date(2026, 1, 1), valid_to, author, provider=f"Đơn vị lớp {n}")


def _assess(db, system, author, performed_on, assessor="Trung tâm đánh giá độc lập", findings=()):
    assessment = Assessment(system_id=system.id, performed_on=performed_on, assessor=assessor,
                            created_by_id=author.id)
    db.session.add(assessment)
    db.session.flush()
    for title, due_on, closed_on in findings:
        db.session.add(Finding(assessment_id=assessment.id, title=title, due_on=due_on, closed_on=closed_on))
    db.session.commit()
    return assessment


@pytest.fixture
def province(db, make):
    """Two agencies: A with four systems in each layer state, B with one fully valid system."""
    a, b = make.agency(name="Sở A"), make.agency(name="Sở B")
    author = make.user("coordinator", agency_obj=a)
    s = {}
    s["valid"] = _system(db, a, "VALID")
    _all_layers(db, s["valid"], author)
    s["mixed"] = _system(db, a, "MIXED", level=4)
    _layer(db, s["mixed"], 1, date(2026, 1, 1), None, author)                        # open-ended: valid
    _layer(db, s["mixed"], 2, date(2026, 1, 1), TODAY + timedelta(days=30), author)  # last day of window
    _layer(db, s["mixed"], 3, date(2025, 1, 1), TODAY - timedelta(days=1), author,   # ended yesterday
           provider="Trung tâm kiểm định B")
    _layer(db, s["mixed"], 4, TODAY + timedelta(days=1), None, author)               # starts tomorrow: missing
    s["renewed"] = _system(db, a, "RENEWED")
    _all_layers(db, s["renewed"], author)
    _layer(db, s["renewed"], 2, date(2025, 1, 1), date(2025, 12, 31), author)  # older record: history
    _layer(db, s["renewed"], 1, date(2026, 6, 1), TODAY, author)              # newer record ends today
    s["empty"] = _system(db, a, "EMPTY", level=2)
    s["other"] = _system(db, b, "OTHER")
    _all_layers(db, s["other"], author)
    return {"a": a, "b": b, "author": author, "systems": s}


def _rows(board):
    return {r.code: r for r in board.systems}


def test_each_layer_state_shows_in_the_matrix_with_its_boundaries(app, province, make):
    board = figures.compute(make.user("manager"))
    rows = _rows(board)
    assert rows["VALID"].statuses == ("valid",) * 4
    assert rows["MIXED"].statuses == ("valid", "expiring", "expired", "missing")
    assert rows["RENEWED"].statuses == ("expiring", "valid", "valid", "valid")
    assert rows["EMPTY"].statuses == ("missing",) * 4
    assert rows["VALID"].all_valid and not rows["MIXED"].all_valid


def test_the_sql_statuses_agree_with_the_pure_core_on_every_day_around_the_boundaries(app, db, province, make):
    manager = make.user("manager")
    records = db.session.execute(db.select(LayerRecord)).scalars().all()
    for offset in range(-3, 34):
        day = TODAY + timedelta(days=offset)
        for row in figures.compute(manager, day=day).systems:
            expected = tuple(core.layer_status([r for r in records if r.system_id == row.id and r.layer == n], day)
                             for n in (1, 2, 3, 4))
            assert row.statuses == expected, (row.code, day)


def test_shares_count_systems_with_all_four_layers_valid_per_agency_and_overall(app, province, make):
    board = figures.compute(make.user("manager"))
    agencies = {t.name: t for t in board.agencies}
    assert (agencies["Sở A"].systems, agencies["Sở A"].all_valid, agencies["Sở A"].share) == (4, 1, 25.0)
    assert (agencies["Sở B"].systems, agencies["Sở B"].all_valid, agencies["Sở B"].share) == (1, 1, 100.0)
    assert (board.overall.systems, board.overall.all_valid, board.overall.share) == (5, 2, 40.0)
    assert board.overall.layers[4] == {"valid": 3, "expiring": 0, "expired": 0, "missing": 2}


def test_overdue_assessments_follow_the_rules_table_by_level(app, db, province, make):
    s, author = province["systems"], province["author"]
    _assess(db, s["valid"], author, date(2025, 12, 1))   # level 3: 12 months -> due 2026-12-01, not overdue
    _assess(db, s["mixed"], author, date(2025, 10, 1))   # level 4: 12 months -> due 2026-10-01, overdue
    _assess(db, s["empty"], author, date(2025, 1, 10))   # level 2: 24 months -> due 2027-01-10
    rows = _rows(figures.compute(make.user("manager")))
    assert (rows["VALID"].assessment_due, rows["VALID"].assessment_overdue) == (date(2026, 12, 1), False)
    assert (rows["MIXED"].assessment_due, rows["MIXED"].assessment_overdue) == (date(2026, 10, 1), True)
    assert (rows["EMPTY"].assessment_due, rows["EMPTY"].assessment_overdue) == (date(2027, 1, 10), False)
    assert rows["OTHER"].assessment_overdue and rows["OTHER"].last_assessed is None  # never assessed


def test_open_findings_count_only_unclosed_ones_and_those_past_due(app, db, province, make):
    s, author = province["systems"], province["author"]
    _assess(db, s["valid"], author, date(2026, 3, 1), findings=[
        ("Cổng quản trị mở ra Internet", TODAY - timedelta(days=5), None),
        ("Mật khẩu mặc định", TODAY + timedelta(days=5), None),
        ("Thiếu nhật ký", TODAY - timedelta(days=30), TODAY - timedelta(days=10))])
    board = figures.compute(make.user("manager"))
    assert (_rows(board)["VALID"].open_findings, _rows(board)["VALID"].late_findings) == (2, 1)
    assert (board.overall.open_findings, board.overall.late_findings) == (2, 1)


def test_layer_three_is_flagged_when_its_assessor_is_the_layer_two_provider(app, db, province, make):
    s, author = province["systems"], province["author"]
    _layer(db, s["valid"], 3, date(2026, 2, 1), date(2027, 6, 1), author, provider="ĐƠN VỊ LỚP 2.")
    board = figures.compute(make.user("manager"))
    assert _rows(board)["VALID"].independent is False
    assert _rows(board)["OTHER"].independent is True
    assert _rows(board)["EMPTY"].independent is None
    assert board.overall.not_independent == 1


def test_filters_by_agency_and_level_narrow_every_figure(app, province, make):
    manager = make.user("manager")
    by_agency = figures.compute(manager, figures.Filters(agency_id=province["b"].id))
    assert [r.code for r in by_agency.systems] == ["OTHER"] and by_agency.overall.share == 100.0
    by_level = figures.compute(manager, figures.Filters(level=4))
    assert [r.code for r in by_level.systems] == ["MIXED"] and by_level.overall.all_valid == 0


def test_archived_systems_are_left_out(app, db, province, make):
    province["systems"]["empty"].archived_at = datetime(2026, 10, 1)
    db.session.commit()
    assert "EMPTY" not in _rows(figures.compute(make.user("manager")))


def test_a_liaison_sees_only_their_agency_on_the_page_and_in_every_figure(app, client, auth, province, make):
    liaison = make.user("member", agency_obj=province["b"])
    board = figures.compute(liaison)
    assert [r.code for r in board.systems] == ["OTHER"] and [t.name for t in board.agencies] == ["Sở B"]
    assert figures.compute(liaison, figures.Filters(agency_id=province["a"].id)).systems == []
    auth.login(liaison)
    page = client.get("/compliance").get_data(as_text=True)
    assert 'data-system="OTHER"' in page and 'data-system="VALID"' not in page and "Sở A" not in page


def test_servers_count_expected_controls_and_verification_is_not_checked_yet(app, db, province, make):
    db.session.add_all([
        Server(hostname="srv-1", agency_id=province["a"].id, baseline_ports="22/tcp, 443/tcp",
               antivirus_expected="Kaspersky", agent_expected="NCSC agent"),
        Server(hostname="srv-2", agency_id=province["a"].id, baseline_ports="443/tcp"),
        Server(hostname="srv-3", agency_id=province["b"].id)])
    db.session.commit()
    servers = figures.compute(make.user("manager")).servers
    assert servers["total"] == 3
    assert {c: f["expected"] for c, f in servers["controls"].items()} == {"firewall": 2, "antivirus": 1, "agent": 1}
    assert all(f["verified"] is None for f in servers["controls"].values())
    assert figures.compute(make.user("member", agency_obj=province["b"])).servers["total"] == 1


def test_the_page_shows_badges_filters_and_a_print_button(app, client, auth, province, make):
    auth.login(make.user("manager"))
    response = client.get(f"/compliance?agency={province['a'].id}&level=4")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-system="MIXED"' in page and 'data-system="VALID"' not in page
    for status in ("valid", "expiring", "expired", "missing"):
        assert f'data-status="{status}"' in page
    assert "data-print" in page and "print.js" in page


def test_the_page_is_in_vietnamese_by_default(app, client, auth, province, make):
    auth.login(make.user("manager"))
    page = client.get("/compliance").get_data(as_text=True)
    for word in ("Còn hiệu lực", "Sắp hết hạn", "Hết hạn", "Chưa có", "Chưa kiểm tra"):
        assert word in page


@pytest.mark.parametrize("query, field", [("agency=abc", "agency"), ("agency=0", "agency"),
                                          ("level=6", "level"), ("level=x", "level")])
def test_a_bad_filter_gets_a_400_naming_it(app, client, auth, province, make, query, field):
    auth.login(make.user("manager"))
    response = client.get(f"/compliance?{query}")
    assert response.status_code == 400
    assert 'class="invalid-feedback d-block"' in response.get_data(as_text=True)
    assert client.get(f"/compliance.csv?{query}").status_code == 400


def test_the_page_needs_a_signed_in_user(app, client):
    assert client.get("/compliance").status_code in (302, 401)
    assert client.get("/compliance.csv").status_code in (302, 401)


def test_csv_export_is_utf8_with_a_bom_one_row_per_visible_system_and_audited(app, db, client, auth, province,
                                                                              make):
    from csirt.audit.models import AuditLog

    liaison = make.user("member", agency_obj=province["a"])
    auth.login(liaison)
    response = client.get("/compliance.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["EMPTY", "MIXED", "RENEWED", "VALID"]
    mixed = next(r for r in rows if r[1] == "MIXED")
    assert mixed[4:8] == ["Còn hiệu lực", "Sắp hết hạn", "Hết hạn", "Chưa có"]
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "compliance.export")).scalar_one()
    assert entry.actor_id == liaison.id and entry.after["rows"] == 4


def test_csv_cells_that_start_a_formula_are_neutralised(app, db, client, auth, province, make):
    province["systems"]["other"].name = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    auth.login(make.user("manager"))
    text = client.get("/compliance.csv").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK" in text


def _api_token(user, scopes=("systems:read",)):
    _row, token = create_token(None, user, "compliance", list(scopes), 30)
    return {"Authorization": f"Bearer {token}"}


def test_the_api_gives_the_same_figures_as_json(app, client, province, make):
    headers = _api_token(make.user("manager"))
    response = client.get("/api/v1/compliance", headers=headers)
    assert response.status_code == 200
    data = response.get_json()
    assert data["overall"]["systems"] == 5 and data["overall"]["share_all_valid"] == 40.0
    assert data["overall"]["layers"]["4"]["missing"] == 2
    mixed = next(s for s in data["systems"]["items"] if s["code"] == "MIXED")
    assert mixed["layers"] == {"1": "valid", "2": "expiring", "3": "expired", "4": "missing"}
    assert data["trend"][-1] == {"month": "2026-11", "systems": 5, "all_valid": 2, "share_all_valid": 40.0,
                                 "live": True}
    assert data["servers"]["controls"]["agent"]["verified_share"] is None
    page = client.get("/api/v1/compliance?limit=2&offset=1", headers=headers).get_json()["systems"]
    assert (page["total"], len(page["items"]), page["offset"]) == (5, 2, 1)


def test_the_api_is_scoped_and_needs_its_scope(app, client, province, make):
    liaison = make.user("member", agency_obj=province["b"])
    data = client.get("/api/v1/compliance", headers=_api_token(liaison)).get_json()
    assert [s["code"] for s in data["systems"]["items"]] == ["OTHER"]
    assert client.get("/api/v1/compliance", headers=_api_token(liaison, ["incidents:read"])).status_code == 403
    assert client.get("/api/v1/compliance").status_code == 401
    bad = client.get("/api/v1/compliance?level=9&limit=0", headers=_api_token(liaison))
    assert bad.status_code == 400 and set(bad.get_json()["errors"]) == {"level", "limit"}


# --- the monthly snapshot -------------------------------------------------------------------------

def test_the_snapshot_stores_the_month_just_ended_once(app, db, province):
    month, added = jobs.take_snapshot()
    assert month == date(2026, 10, 1) and added == 5 * 4
    assert jobs.take_snapshot() == (month, 0)  # idempotent
    # on 31 October MIXED's layer 3 (ending 19 November) was valid, its layer 2 expiring-free
    stored = {(r.layer, r.status) for r in db.session.execute(db.select(ComplianceSnapshot).where(
        ComplianceSnapshot.system_id == province["systems"]["mixed"].id)).scalars()}
    assert stored == {(1, "valid"), (2, "valid"), (3, "expiring"), (4, "missing")}


def test_a_past_months_trend_does_not_change_when_todays_records_do(app, db, province, make):
    manager = make.user("manager")
    jobs.take_snapshot()
    before = [(p.month, p.systems, p.all_valid) for p in figures.compute(manager).trend if not p.live]
    assert before == [(date(2026, 10, 1), 5, 2)]
    for n in (1, 2, 3, 4):  # EMPTY gets all its layers today
        _layer(db, province["systems"]["empty"], n, date(2025, 1, 1), date(2028, 1, 1), province["author"])
    board = figures.compute(manager)
    assert [(p.month, p.systems, p.all_valid) for p in board.trend if not p.live] == before
    assert board.trend[-1].live and board.trend[-1].all_valid == 3


def test_a_month_that_has_not_ended_cannot_be_snapshotted(app, province):
    with pytest.raises(ValueError):
        jobs.take_snapshot(date(2026, 11, 1))


def test_the_snapshot_command_writes_a_given_month(app, runner, province):
    result = runner.invoke(args=["compliance", "snapshot", "--month", "2026-09"])
    assert result.exit_code == 0, result.output
    assert "2026-09: 20 rows added" in result.output
    assert runner.invoke(args=["compliance", "snapshot", "--month", "2026-13"]).exit_code != 0


def test_the_snapshot_job_is_in_the_scheduler_list(app):
    from csirt import scheduler

    assert "compliance-snapshot" in [job_id for job_id, _f, _s in scheduler.JOBS]
