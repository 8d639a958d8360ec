"""A clock close to its deadline or past it is said once through the outbox: due soon to the
assignee, overdue to the assignee and the coordinators."""
from datetime import datetime, timedelta

import pytest

from csirt import clock
from csirt.incidents import clock_notices, sent_reports
from csirt.notify.models import Notification

DISCOVERED = datetime(2026, 9, 1, 1, 0)  # 08:00 in Hanoi: 2026 regime
HANOI = timedelta(hours=7)


@pytest.fixture
def world(app, db, make):
    clock.freeze(DISCOVERED + timedelta(hours=1))
    agency = make.agency()
    coordinator = make.user("coordinator", agency, email="dieu.phoi@example.vn")
    responder = make.user("responder", agency, email="ung.cuu@example.vn")
    incident = make.incident(coordinator, agency_obj=agency, discovered_at=DISCOVERED + HANOI, severity="serious",
                             assignee_id=responder.id)
    yield coordinator, responder, incident
    clock.freeze(None)


def _sent(db):
    db.session.expire_all()
    return sorted((n.event, n.user_id, n.context.get("key")) for n in db.session.execute(
        db.select(Notification).where(Notification.event.like("incident.clock%"))).scalars())


def test_due_soon_once_to_the_assignee_then_overdue_to_everyone(app, db, world):
    coordinator, responder, incident = world
    clock.freeze(DISCOVERED + timedelta(hours=17, minutes=59))  # 24 h notice: soon from 18 h
    assert clock_notices.run() == 0
    clock.freeze(DISCOVERED + timedelta(hours=18))
    assert clock_notices.run() == 1
    db.session.commit()
    assert _sent(db) == [("incident.clock_due", responder.id, "incident.notice")]
    assert clock_notices.run() == 0  # said once
    clock.freeze(DISCOVERED + timedelta(hours=24))
    assert clock_notices.run() == 2
    db.session.commit()
    assert _sent(db) == sorted([("incident.clock_due", responder.id, "incident.notice"),
                                ("incident.clock_overdue", responder.id, "incident.notice"),
                                ("incident.clock_overdue", coordinator.id, "incident.notice")])
    assert clock_notices.run() == 0
    row = db.session.execute(db.select(Notification).where(Notification.event == "incident.clock_overdue")
                             .limit(1)).scalar()
    assert row.context["due_at"] == "02/09/2026 08:00" and row.serious  # Hanoi time


def test_a_met_clock_is_never_announced(app, db, world):
    coordinator, responder, incident = world
    sent_reports.record_sent(coordinator, incident, {"duty": "incident.notice", "kind": "notice", "channel": "email",
                                                     "sent_at": DISCOVERED + timedelta(minutes=30), "recipient": "A05"})
    clock.freeze(DISCOVERED + timedelta(hours=30))
    clock_notices.run()
    db.session.commit()
    assert [key for _e, _u, key in _sent(db)] == []


def test_without_an_assignee_the_coordinators_hear_of_it(app, db, make):
    clock.freeze(DISCOVERED + timedelta(hours=1))
    try:
        agency = make.agency()
        coordinator = make.user("coordinator", agency, email="dp@example.vn")
        make.incident(coordinator, agency_obj=agency, discovered_at=DISCOVERED + HANOI, severity="serious")
        clock.freeze(DISCOVERED + timedelta(hours=19))
        clock_notices.run()
        db.session.commit()
        assert _sent(db) == [("incident.clock_due", coordinator.id, "incident.notice")]
    finally:
        clock.freeze(None)
