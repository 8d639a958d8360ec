"""The clocks on the incident page (countdown, reports sent, the form) and the deadlines page."""
from datetime import datetime, timedelta

import pytest

from csirt import clock
from csirt.incidents.duty_models import SentReport
from csirt.incidents.models import IncidentClock
from tests.conftest import csrf_from

DISCOVERED = datetime(2026, 9, 1, 1, 0)  # 08:00 Hanoi, 2026 regime
HANOI = timedelta(hours=7)


def _form(token, **fields):
    values = {"duty": "incident.notice", "kind": "notice", "channel": "email", "reference": "", "note": "", **fields}
    return {"csrf_token": token, **{f"report-{key}": value for key, value in values.items()}}


@pytest.fixture
def world(app, db, make):
    clock.freeze(DISCOVERED + timedelta(hours=20))
    agency, other = make.agency(name="Sở Y tế"), make.agency(name="Sở Tài chính")
    coordinator = make.user("coordinator", agency, username="dieuphoi")
    mine = make.incident(coordinator, agency_obj=agency, discovered_at=DISCOVERED + HANOI, severity="serious",
                         title="Mã độc tống tiền tại Sở Y tế")
    theirs = make.incident(coordinator, agency_obj=other, discovered_at=DISCOVERED + HANOI, severity="serious",
                           title="Tấn công từ chối dịch vụ Sở Tài chính")
    liaison = make.user("member", agency, username="daumoi")
    yield coordinator, liaison, mine, theirs
    clock.freeze(None)


def test_the_incident_page_counts_down_and_records_a_report(app, db, client, auth, world):
    coordinator, _liaison, mine, _theirs = world
    auth.login(coordinator)
    page = client.get(f"/incidents/{mine.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # 24-hour notice at 20 h: due soon, 4 h left (Vietnamese is the default)
    assert 'id="clock-incident.notice" data-state="soon"' in html
    assert 'data-due="2026-09-02T01:00:00Z"' in html and "còn 4 giờ 0 phút" in html
    assert 'id="clock-incident.report" data-state="running"' in html
    token = csrf_from(html)
    bad = client.post(f"/incidents/{mine.id}/reports", data=_form(token, sent_at="2026-09-03T10:00",
                                                                  recipient="Cục A05"))
    assert bad.status_code == 400 and "trong tương lai" in bad.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count()).select_from(SentReport)).scalar() == 0
    done = client.post(f"/incidents/{mine.id}/reports", data=_form(
        token, sent_at="2026-09-02T03:30", recipient="Cục A05 – Bộ Công an", reference="15/BC-SYT"))
    assert done.status_code == 302
    notice = db.session.execute(db.select(IncidentClock).where(IncidentClock.incident_id == mine.id,
                                                               IncidentClock.key == "incident.notice")).scalar_one()
    assert notice.stopped_at == datetime(2026, 9, 1, 20, 30)  # 03:30 Hanoi on 2/9
    html = client.get(f"/incidents/{mine.id}").get_data(as_text=True)
    assert 'id="clock-incident.notice" data-state="met"' in html and "15/BC-SYT" in html
    assert "Cục A05 – Bộ Công an" in html


def test_without_the_token_nothing_is_recorded(app, db, client, auth, world):
    coordinator, _liaison, mine, _theirs = world
    app.config["WTF_CSRF_ENABLED"] = True
    auth.login(coordinator)
    form = _form(None, sent_at="2026-09-01T10:00", recipient="A05")
    del form["csrf_token"]
    answer = client.post(f"/incidents/{mine.id}/reports", data=form)
    assert answer.status_code == 400
    assert db.session.execute(db.select(db.func.count()).select_from(SentReport)).scalar() == 0


def test_the_deadlines_page_lists_what_the_reader_may_see(app, db, client, auth, world):
    coordinator, liaison, mine, theirs = world
    auth.login(coordinator)
    html = client.get("/deadlines").get_data(as_text=True)
    assert mine.reference in html and theirs.reference in html
    import re
    dues = re.findall(r'<tr class="clock" data-state="\w+" data-due="([^"]+)"', html)
    assert dues == sorted(dues) and len(dues) == 4  # two notices (24 h) first, then two reports (72 h)
    clock.freeze(DISCOVERED + timedelta(hours=25))
    overdue = client.get("/deadlines?show=overdue").get_data(as_text=True)
    assert overdue.count('data-state="overdue"') == 2  # the two 24-hour notices
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/team/").get_data(as_text=True))})
    auth.login(liaison)
    html = client.get("/deadlines").get_data(as_text=True)
    assert mine.reference in html and theirs.reference not in html
    assert client.get("/deadlines?show=<script>").status_code == 200


def test_the_incident_list_flags_incidents_with_reports_overdue(app, db, client, auth, world):
    coordinator, _liaison, mine, theirs = world
    from csirt.incidents import sent_reports

    sent_reports.record_sent(coordinator, theirs, {"duty": "incident.notice", "kind": "notice", "channel": "email",
                                                   "sent_at": DISCOVERED + timedelta(hours=2), "recipient": "A05"})
    clock.freeze(DISCOVERED + timedelta(hours=80))  # both 24 h notices and 72 h reports are past
    auth.login(coordinator)
    html = client.get("/incidents").get_data(as_text=True)
    assert html.count("overdue-clocks") == 2
    assert "2 báo cáo quá hạn" in html and "1 báo cáo quá hạn" in html  # theirs: its notice was sent


def test_the_deadline_counts_cover_more_than_the_rows_shown(app, db, client, auth, world, monkeypatch):
    coordinator, _liaison, mine, theirs = world
    from csirt.incidents import clock_views

    monkeypatch.setattr(clock_views, "PAGE_LIMIT", 1)
    clock.freeze(DISCOVERED + timedelta(hours=60))  # both notices overdue; both 72 h reports due soon
    auth.login(coordinator)
    html = client.get("/deadlines").get_data(as_text=True)
    assert html.count('<tr class="clock"') == 1
    assert "Quá hạn: 2" in html and "Sắp đến hạn: 2" in html
    soon = client.get("/deadlines?show=soon").get_data(as_text=True)
    assert soon.count('data-state="soon"') == 1  # the first of the two, within the limit


def test_the_deadlines_page_shows_the_periodic_reports_of_the_regime_in_force(app, db, client, auth, world):
    coordinator = world[0]
    clock.freeze(datetime(2026, 12, 4, 3, 0))  # 4/12/2026 in Hanoi: the 2026 regime (no Form 05 dates)
    auth.login(coordinator)
    html = client.get("/deadlines").get_data(as_text=True)
    assert 'id="periodic-annual_report.internal"' in html and "20/12/2026" in html and "16 ngày" in html
    assert 'id="periodic-annual_report.ministry"' in html and "25/12/2026" in html
    assert "periodic-summary.year" not in html
    clock.freeze(datetime(2026, 6, 1, 3, 0))  # 2017 regime: Form 05 before 20 June and 15 December
    html = client.get("/deadlines").get_data(as_text=True)
    assert 'id="periodic-summary.half_year"' in html and "20/06/2026" in html
    assert 'id="periodic-summary.year"' in html and "15/12/2026" in html
    assert "periodic-annual_report.internal" not in html
