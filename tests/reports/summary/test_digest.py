"""The managers' weekly digest: once per week and person, Monday 07:00 Hanoi time, scoped."""
from datetime import datetime

import pytest

from csirt.clock import freeze
from csirt.extensions import db as _db
from csirt.incidents.models import Incident, IncidentClock
from csirt.notify import messages
from csirt.notify.models import Notification
from csirt.reports.summary import digest

MONDAY_0700 = datetime(2026, 7, 13, 0, 0)  # Monday 13/7/2026 07:00 in Hanoi; the week: 6/7–12/7


def _incident(dataset, ref, agency, created, status="new", closed=None):
    row = Incident(reference=ref, title=f"Sự cố {ref}", category="malware", status=status, agency_id=agency.id,
                   reporter_id=dataset.manager.id, discovered_at=created, reported_at=created, created_at=created,
                   updated_at=created, closed_at=closed)
    _db.session.add(row)
    _db.session.flush()
    return row


@pytest.fixture
def week(dataset, db, make):
    x1 = _incident(dataset, "X1", dataset.a, datetime(2026, 7, 6, 2, 0))  # opened
    x2 = _incident(dataset, "X2", dataset.b, datetime(2026, 7, 8, 2, 0), "closed", datetime(2026, 7, 10, 2, 0))
    x3 = _incident(dataset, "X3", dataset.a, datetime(2026, 6, 1, 2, 0), "closed",
                   datetime(2026, 7, 12, 16, 0))  # closed 12/7 23:00 Hanoi: in the week
    _incident(dataset, "X4", dataset.a, datetime(2026, 7, 12, 17, 0))  # 13/7 00:00 Hanoi: next week
    _incident(dataset, "X5", dataset.b, datetime(2026, 7, 7, 2, 0), "rejected")  # rejected: not counted
    clocks = [(x1, "incident.notice", datetime(2026, 7, 12, 0, 0), None),  # overdue
              (x3, "incident.notice", datetime(2026, 7, 1, 0, 0), datetime(2026, 6, 30, 0, 0)),  # met
              (x2, "incident.notice", datetime(2026, 7, 20, 0, 0), None)]  # not due yet
    for incident, key, due, stopped in clocks:
        db.session.add(IncidentClock(incident_id=incident.id, key=key, started_at=incident.discovered_at,
                                     due_at=due, stopped_at=stopped))
    admin = make.user("admin", agency_obj=dataset.manager.agency, email="admin@example.gov.vn", locale="en")
    make.user("manager", agency_obj=dataset.manager.agency, email="nghi@example.gov.vn", active=False)
    make.user("coordinator", agency_obj=dataset.manager.agency, email="dieuphoi@example.gov.vn")
    db.session.commit()
    return admin


def _sent(db):
    return db.session.execute(db.select(Notification).where(Notification.event == digest.EVENT)
                              .order_by(Notification.user_id)).scalars().all()


def test_week_due_is_the_last_monday_0700_in_hanoi(app):
    assert digest.week_due(datetime(2026, 7, 13, 0, 0)).isoformat() == "2026-07-13"
    assert digest.week_due(datetime(2026, 7, 12, 23, 59)).isoformat() == "2026-07-06"  # Monday 06:59 Hanoi
    assert digest.week_due(datetime(2026, 7, 19, 16, 0)).isoformat() == "2026-07-13"  # Sunday 23:00 Hanoi


def test_digest_is_enqueued_once_per_week_to_active_managers_and_admins(dataset, week, db):
    freeze(datetime(2026, 7, 12, 23, 59))  # Monday 06:59 Hanoi: the 6/7 digest is a week old, not sent
    assert digest.run() == 0
    freeze(MONDAY_0700)
    assert digest.run() == 2
    db.session.commit()
    assert digest.run() == 0  # the job runs again: nothing new
    freeze(datetime(2026, 7, 14, 2, 0))
    assert digest.run() == 0
    rows = _sent(db)
    assert [(r.user_id, r.address, r.digest_key) for r in rows] == [
        (dataset.manager.id, "quanly@example.gov.vn", "digest:2026-07-13"),
        (week.id, "admin@example.gov.vn", "digest:2026-07-13")]


def test_digest_says_what_opened_closed_and_is_overdue(dataset, week, db, app):
    freeze(MONDAY_0700)
    digest.run()
    db.session.commit()
    manager, admin = _sent(db)
    c = manager.context
    assert (c["week_from"], c["week_to"]) == ("06/07/2026", "12/07/2026")
    assert (c["opened"], [i["reference"] for i in c["opened_items"]]) == (2, ["X1", "X2"])
    assert (c["closed"], [i["reference"] for i in c["closed_items"]]) == (2, ["X2", "X3"])
    assert c["overdue"] == 1
    assert c["overdue_items"] == [{"reference": "X1", "title": "Sự cố X1", "duty": "Thông báo sự cố",
                                   "due": "12/07/2026 07:00"}]
    assert (c["systems"], c["share"]) == (0, None)
    assert admin.context["overdue_items"][0]["duty"] == "Incident notice"  # the admin reads English
    message = messages.render(manager, app.config)
    assert message.subject == "[CSIRT] Tổng hợp tuần 06/07/2026 – 12/07/2026"
    assert "Sự cố mới: 2" in message.text and "X1 Sự cố X1: Thông báo sự cố, hạn 12/07/2026 07:00" in message.text
    assert "/reports/summary" in message.text
    english = messages.render(admin, app.config)
    assert "Opened: 2" in english.text and "Closed: 2" in english.text


def test_digest_figures_follow_the_incidents_policy(dataset, week):
    freeze(MONDAY_0700)
    from datetime import date

    scoped = digest.figures(dataset.liaison_a, date(2026, 7, 13), MONDAY_0700)
    assert [i["reference"] for i in scoped["opened_items"]] == ["X1"]
    assert [i["reference"] for i in scoped["closed_items"]] == ["X3"]
    assert scoped["overdue"] == 1
    other = digest.figures(dataset.liaison_b, date(2026, 7, 13), MONDAY_0700)
    assert (other["opened"], other["closed"], other["overdue"]) == (1, 1, 0)


def test_digest_job_is_in_the_scheduler_list(app):
    from csirt.scheduler import JOBS

    assert any(job_id == "summary-digest" for job_id, _func, _seconds in JOBS)
