"""Every figure of the manager dashboard against the hand-computed province of conftest.py."""
from datetime import date, datetime, timedelta

import pytest

from csirt.reports.manager import figures, policy, rollup
from csirt.reports.manager.models import AlertDayRollup, IncidentTimeRollup
from csirt.reports.manager.percentiles import nearest_rank, summary
from csirt.reports.manager.views import compute

from .conftest import NOW, add_incident

NOV, DEC = 10, 11  # rows of November and December in the month tables (January is row 0)


def test_nearest_rank_picks_the_value_at_rank_ceil_p_n_over_100():
    assert nearest_rank([], 50) is None
    assert nearest_rank([7], 50) == 7 and nearest_rank([7], 90) == 7
    assert nearest_rank([5, 1, 3, 2, 4], 50) == 3  # rank ceil(2.5) = 3
    assert nearest_rank([5, 1, 3, 2, 4], 90) == 5  # rank ceil(4.5) = 5
    assert nearest_rank(list(range(1, 11)), 50) == 5 and nearest_rank(list(range(1, 11)), 90) == 9
    assert nearest_rank([10, 20], 50) == 10 and nearest_rank([10, 20], 90) == 20
    assert summary([3600, 7200, 10800]) == (3, 7200, 10800)
    with pytest.raises(ValueError):
        nearest_rank([1], 0)


@pytest.fixture
def manager(province, make):
    return make.user("manager", agency_obj=province.unit)


@pytest.fixture
def liaison_a(province, make):
    return make.user("member", agency_obj=province.a)


def _figures(app, user):
    with app.test_request_context():
        return compute(user)


def test_open_incidents_by_severity_and_agency(app, province, manager):
    rollup.refresh()
    f = _figures(app, manager)["open"]
    assert f.rows == [["Sở A", 1, 1, 2], ["Sở B", 1, 1, 2], [f.rows[-1][0], 2, 2, 4]]
    assert f.chart["labels"] == ["Sở A", "Sở B"]
    assert [d["data"] for d in f.chart["datasets"]] == [[1, 1], [1, 1]]


def test_unacknowledged_lists_the_oldest_first_and_counts_the_escalating(app, province, manager):
    f = _figures(app, manager)["unacknowledged"]
    assert (f.extra["total"], f.extra["escalating"]) == (2, 1)
    assert [(r[0], r[4], r[6]) for r in f.rows] == [("LC-T-001", 76.0, 1), ("LC-T-009", 2.0, 0)]


def test_times_by_month_use_the_hanoi_month_and_nearest_rank(app, province, manager):
    rollup.refresh()
    f = _figures(app, manager)["times_month"]
    assert len(f.rows) == 12 and f.rows[0][0] == "01/2026" and f.rows[-1][0] == "12/2026"
    # November: incidents 4, 5, 7; acknowledged after 4, 1, 6 h; closed 4 (20 h) and 7 (30 h); 5 was rejected
    assert f.rows[NOV][1:] == [3, 3, 4.0, 6.0, 2, 20.0, 30.0]
    # December: 1, 2, 3 (created 30/11 18:00 UTC = 01/12 in Hanoi), 6, 9; acknowledged 1, 2, 3 h; 3 closed in 10 h
    assert f.rows[DEC][1:] == [5, 3, 2.0, 3.0, 1, 10.0, 10.0]
    assert f.rows[0][1:] == [0, 0, None, None, 0, None, None]  # incident 8 (12/2025) is outside the window
    assert [d["data"][DEC] for d in f.chart["datasets"]] == [2.0, 3.0, 10.0, 10.0]


def test_times_by_category_follow_the_form_05_order(app, province, manager):
    rollup.refresh()
    f = _figures(app, manager)["times_category"]
    assert [r[1:] for r in f.rows] == [
        [1, 1, 6.0, 6.0, 1, 30.0, 30.0],     # denial of service: 7
        [2, 2, 1.0, 2.0, 1, 10.0, 10.0],     # spoofing: 3, 5
        [4, 3, 3.0, 4.0, 1, 20.0, 20.0],     # malware: 1, 2, 4, 6
        [1, 0, None, None, 0, None, None],   # other: 9
    ]


def test_incidents_per_agency_and_month(app, province, manager):
    rollup.refresh()
    f = _figures(app, manager)["per_agency"]
    assert [(r[0], r[1 + NOV], r[1 + DEC], r[-1]) for r in f.rows] == [
        ("Sở A", 2, 3, 5), ("Sở B", 1, 2, 3), (f.rows[-1][0], 3, 5, 8)]
    assert sum(f.rows[-1][1:NOV + 1]) == 0


def test_overdue_clocks_list_running_clocks_past_due_most_late_first(app, province, manager):
    f = _figures(app, manager)["clocks"]
    assert f.extra["total"] == 2
    assert [(r[0], r[2], r[4]) for r in f.rows] == [("LC-T-002", "Sở A", 24.0), ("LC-T-006", "Sở B", 0.5)]
    assert f.rows[0][3] == "03/12/2026 12:00"  # due time in Hanoi


def test_compliance_summary_is_the_compliance_dashboards_own(app, province, manager):
    f = _figures(app, manager)["compliance"]
    assert [r[1:] for r in f.rows] == [[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 1]]
    assert (f.extra["systems"], f.extra["share"], f.extra["servers"]) == (1, 0.0, 0)
    assert [r[1:] for r in f.extra["controls"]] == [[0, None], [0, None], [0, None]]


def test_alert_volume_per_hanoi_day_and_source_over_thirty_days(app, province, manager):
    rollup.refresh()
    f = _figures(app, manager)["alerts"]
    assert f.columns[1:4] == ["wazuh", "check", "generic"]  # most alerts first, then by name
    assert len(f.rows) == 30 and f.rows[0][0] == "05/11" and f.rows[-1][0] == "04/12"
    by_day = {r[0]: r[1:] for r in f.rows if r[-1]}
    assert by_day == {"05/11": [0, 0, 1, 1], "02/12": [1, 0, 0, 1], "03/12": [0, 1, 0, 1], "04/12": [3, 0, 0, 3]}
    assert f.extra["total"] == 6


def test_a_liaison_sees_only_their_agency_in_every_figure(app, province, liaison_a):
    rollup.refresh()
    found = _figures(app, liaison_a)
    assert found["open"].rows == [["Sở A", 1, 1, 2], [found["open"].rows[-1][0], 1, 1, 2]]
    assert [r[0] for r in found["unacknowledged"].rows] == ["LC-T-001"]
    assert (found["unacknowledged"].extra["total"], found["unacknowledged"].extra["escalating"]) == (1, 1)
    # A alone: December 1, 2, 3 (acknowledged 1 h, 2 h; 3 closed in 10 h); November 4, 5
    assert found["times_month"].rows[DEC][1:] == [3, 2, 1.0, 2.0, 1, 10.0, 10.0]
    assert found["times_month"].rows[NOV][1:] == [2, 2, 1.0, 4.0, 1, 20.0, 20.0]
    assert [r[1] for r in found["times_category"].rows] == [2, 3]  # spoofing 3, 5; malware 1, 2, 4
    assert [r[0] for r in found["per_agency"].rows[:-1]] == ["Sở A"]
    assert [r[0] for r in found["clocks"].rows] == ["LC-T-002"] and found["clocks"].extra["total"] == 1
    assert found["compliance"].extra["systems"] == 1
    assert found["alerts"].columns[1:3] == ["wazuh", "generic"] and found["alerts"].extra["total"] == 4


def test_a_liaison_of_another_agency_sees_none_of_it(app, province, make):
    rollup.refresh()
    other = make.user("member", agency_obj=make.agency(name="Sở C"))
    found = _figures(app, other)
    assert all(found[k].empty for k in ("open", "unacknowledged", "per_agency", "clocks", "compliance", "alerts"))
    assert found["times_month"].empty and found["times_category"].rows == []


def _direct(app, user, monkeypatch, incident_ids, alert_ids):
    """The figures computed from the records (no rollup slice fits the slices forced here)."""
    with monkeypatch.context() as patch:
        patch.setattr(policy, "incident_slice", lambda _user: incident_ids)
        patch.setattr(policy, "alert_slice", lambda _user: alert_ids)
        found = _figures(app, user)
    return {k: found[k].rows for k in ("times_month", "times_category", "per_agency", "alerts")}


def _rolled(app, user):
    found = _figures(app, user)
    return {k: found[k].rows for k in ("times_month", "times_category", "per_agency", "alerts")}


def test_the_rollups_equal_the_direct_figures_after_changes(app, db, province, manager, monkeypatch):
    ids = tuple(a.id for a in (province.unit, province.a, province.b))
    rollup.refresh()
    assert _rolled(app, manager) == _direct(app, manager, monkeypatch, ids, ids)
    # changes: incident 9 acknowledged after 1 h and closed, a new one in B, an alert today
    nine = province.incidents[8]
    nine.acknowledged_at, nine.status, nine.closed_at = nine.created_at + timedelta(hours=1), "closed", NOW
    add_incident(db, province.b, province.reporter, 10, datetime(2026, 12, 4, 4), "dos", "serious", "new", None, None)
    from .conftest import add_alert
    add_alert(db, province.reporter, 99, "wazuh", province.b, datetime(2026, 12, 4, 4, 30))
    db.session.commit()
    assert _rolled(app, manager) != _direct(app, manager, monkeypatch, ids, ids)  # stale until the job runs
    rollup.refresh()
    assert _rolled(app, manager) == _direct(app, manager, monkeypatch, ids, ids)
    assert _rolled(app, manager)["times_month"][DEC][1:] == [6, 4, 1.0, 3.0, 2, 2.0, 10.0]


def test_the_stored_compliance_summary_equals_the_live_one_after_changes(app, db, province, manager, liaison_a, make,
                                                                       monkeypatch):
    from csirt.systems.models import LayerRecord

    def live_of(user):
        with monkeypatch.context() as patch:
            patch.setattr(policy, "compliance_slice", lambda _user: None)
            return summary(user)

    def summary(user):
        f = _figures(app, user)["compliance"]
        return f.rows, {k: v for k, v in f.extra.items() if k != "as_of"}, "as_of" in f.extra

    live = summary(manager)
    assert live[2] is False  # before the job first ran: computed for the reader
    rollup.refresh()
    stored = summary(manager)
    assert stored[2] is True and stored[:2] == live[:2]
    system_id = db.session.execute(db.select(LayerRecord.system_id)).scalar()
    db.session.add(LayerRecord(system_id=system_id, layer=2, provider="Công ty giám sát", valid_from=date(2026, 1, 1),
                               valid_to=date(2027, 6, 30), created_by_id=province.reporter.id))
    db.session.commit()
    assert summary(manager)[0] == stored[0] == summary(liaison_a)[0]  # as of the last run
    rollup.refresh()
    assert summary(manager)[0][1][1:] == [1, 0, 0, 0] and summary(liaison_a)[2] is True
    assert summary(manager)[:2] == summary(liaison_a)[:2] == live_of(manager)[:2] == live_of(liaison_a)[:2]
    other = make.user("member", agency_obj=province.b)
    assert summary(other)[1]["systems"] == 0 and live_of(other)[1]["systems"] == 0


def test_the_job_rewrites_the_rollups_without_duplicates(app, db, province):
    rollup.refresh()
    first = db.session.query(IncidentTimeRollup).count(), db.session.query(AlertDayRollup).count()
    rollup.refresh()
    assert (db.session.query(IncidentTimeRollup).count(), db.session.query(AlertDayRollup).count()) == first
    # every agency together: December and November, four categories; A and B: 2 months each, 2 and 3 categories
    assert first[0] == (2 + 4) + (2 + 2) + (2 + 3)
    assert db.session.query(AlertDayRollup).filter(AlertDayRollup.day == date(2026, 12, 4)).count() == 1


def test_figures_say_no_data_yet_until_their_source_exists(app, make):
    manager = make.user("manager")
    found = _figures(app, manager)
    assert all(f.empty for f in found.values())
    assert found["times_month"].note and found["alerts"].note  # the job has not run yet
    assert figures.FIGURES == tuple(found)
