"""What a figure says when its source holds records but none fits ("No incident is open.") as
against no record at all ("No data yet."), and the CSVs of the listed tables: every row, not
the page's first 20, and never cached."""
import csv
import io
import re
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from csirt.incidents.models import IncidentClock
from csirt.reports.manager import figures, policy, rollup
from csirt.reports.manager.views import compute

from .conftest import NOW, add_alert, add_incident

H = timedelta(hours=1)
NOT_COMPUTED = "The scheduler has not computed these figures yet."
TIMES = ("times_month", "times_category", "per_agency")


def _figures(app, user):
    with app.test_request_context(), force_locale("en"):
        return compute(user)


def _csv(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture
def quiet(app, db, make):
    """One agency whose only incident (11/2026, in the window) is closed and whose only alert is
    two months old: records exist, but none is open and none is in the last 30 days."""
    agency = make.agency(name="Sở Yên Tĩnh")
    reporter = make.user("coordinator", agency_obj=agency)
    add_incident(db, agency, reporter, 1, datetime(2026, 11, 10), "malware", "ordinary", "closed", 2, 10)
    add_alert(db, reporter, 1, "wazuh", agency, datetime(2026, 10, 1))
    db.session.commit()
    return SimpleNamespace(agency=agency, reporter=reporter,
                           manager=make.user("manager", agency_obj=agency, locale="en"))


def test_records_without_an_open_incident_or_a_recent_alert_say_so_not_no_data(app, quiet):
    rollup.refresh()
    found = _figures(app, quiet.manager)
    assert not found["open"].empty and found["open"].rows == [] and found["open"].none == "No incident is open."
    u = found["unacknowledged"]
    assert not u.empty and u.extra["total"] == 0 and u.none == "No incident is open."
    assert not found["alerts"].empty and found["alerts"].none == "No alert in the last 30 days."
    assert found["alerts"].extra["total"] == 0
    for key in TIMES:  # the closed incident is in the window: a table
        assert not found[key].empty and not found[key].none, key
    assert found["times_month"].rows[10][1:] == [1, 1, 2.0, 2.0, 1, 10.0, 10.0]  # November
    assert found["clocks"].empty and found["compliance"].empty  # no clock, no system at all: no data yet


def test_open_incidents_all_acknowledged_say_so(app, db, quiet):
    add_incident(db, quiet.agency, quiet.reporter, 2, NOW - 5 * H, "dos", "serious", "triaged", 1, None)
    db.session.commit()
    found = _figures(app, quiet.manager)
    assert found["open"].rows[0] == ["Sở Yên Tĩnh", 0, 1, 1] and not found["open"].none
    u = found["unacknowledged"]
    assert not u.empty and u.rows == [] and u.none == "Every open incident has been acknowledged."


def test_incidents_only_before_the_window_say_none_in_the_last_12_months(app, db, make, monkeypatch):
    agency = make.agency(name="Sở Cũ")
    reporter = make.user("coordinator", agency_obj=agency)
    manager = make.user("manager", agency_obj=agency, locale="en")
    add_incident(db, agency, reporter, 1, datetime(2025, 6, 1), "dos", "ordinary", "closed", 1, 3)
    db.session.commit()
    before = _figures(app, manager)  # the job never ran: records exist, so not "no data yet"
    assert all(not before[k].empty and before[k].none == NOT_COMPUTED for k in TIMES)
    rollup.refresh()
    found = _figures(app, manager)
    for key in TIMES:
        assert not found[key].empty and found[key].none == "No incident in the last 12 months.", key
    assert [r[1] for r in found["times_month"].rows] == [0] * 12
    with monkeypatch.context() as patch:  # the figures computed from the records say the same
        patch.setattr(policy, "incident_slice", lambda _user: (agency.id,) * 2)
        direct = _figures(app, manager)
    assert all(direct[k].none == "No incident in the last 12 months." for k in TIMES)


def test_another_agencys_records_are_no_data_yet_for_a_liaison(app, quiet, make):
    rollup.refresh()
    liaison = make.user("member", agency_obj=make.agency(name="Sở Khác"), locale="en")
    found = _figures(app, liaison)
    assert all(found[k].empty and not found[k].none for k in ("open", "unacknowledged", *TIMES, "alerts")), \
        {k: (f.empty, f.none) for k, f in found.items()}


def test_the_page_says_what_is_missing(client, auth, quiet):
    rollup.refresh()
    auth.login(quiet.manager)
    html = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'data-empty="open-none">No incident is open\.<', html)
    assert re.search(r'data-empty="unacknowledged-none">No incident is open\.<', html)
    assert re.search(r'data-empty="alerts-none">No alert in the last 30 days\.<', html)
    assert html.count('class="text-body-secondary no-data"') == 2  # the clocks and compliance only
    assert 'id="csv-open"' not in html and 'id="csv-alerts"' not in html and 'id="csv-times_month"' in html
    assert re.search(r'id="open-total">\s*0\s*<', html) and re.search(r'id="alerts-total">\s*0\s*<', html)


@pytest.fixture
def crowded(app, db, make):
    """25 open incidents nobody acknowledged, each with a running clock overdue."""
    agency = make.agency(name="Sở Đông")
    reporter = make.user("coordinator", agency_obj=agency)
    for n in range(1, 26):
        row = add_incident(db, agency, reporter, n, NOW - (30 - n) * H, "malware", "ordinary", "new", None, None)
        db.session.add(IncidentClock(incident_id=row.id, key="incident.notice", started_at=row.created_at,
                                     due_at=NOW - n * H, stopped_at=None))
    db.session.commit()
    return make.user("manager", agency_obj=agency, locale="en")


def test_the_page_lists_20_and_the_csvs_hold_all_25(client, auth, crowded):
    auth.login(crowded)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "The 20 oldest of 25." in html and "The 20 most late of 25." in html
    unacknowledged = _csv(client.get("/dashboard/unacknowledged.csv"))
    assert [r[0] for r in unacknowledged[1:]] == [f"LC-T-{n:03d}" for n in range(1, 26)]  # oldest first
    clocks = _csv(client.get("/dashboard/clocks.csv"))
    # most late first: clock n was due n hours ago
    assert [(r[0], r[4]) for r in clocks[1:]] == [(f"LC-T-{n:03d}", f"{n}.0") for n in range(25, 0, -1)]


def test_a_csv_cut_at_its_limit_ends_with_a_note(client, auth, crowded, monkeypatch):
    monkeypatch.setattr(figures, "EXPORTED", 22)
    auth.login(crowded)
    for key in ("unacknowledged", "clocks"):
        rows = _csv(client.get(f"/dashboard/{key}.csv"))
        assert len(rows) == 1 + 22 + 1, key
        assert rows[-1] == ["Only the first 22 of 25 rows are exported."], key


def test_the_dashboard_csvs_are_never_cached(client, auth, crowded):
    auth.login(crowded)
    for key in figures.FIGURES:
        response = client.get(f"/dashboard/{key}.csv")
        assert response.status_code == 200, key
        assert response.headers["Cache-Control"] == "no-store", key
        assert response.headers["X-Content-Type-Options"] == "nosniff", key
