"""The regulatory clocks through the API: read them, record a report sent (which stops its clock),
bad input is a 400 naming the field and changes nothing, scoping and scopes hold."""
from datetime import datetime, timedelta

import pytest

from csirt import clock
from csirt.incidents.duty_models import SentReport

from .test_incidents_api import Api

DISCOVERED = datetime(2026, 9, 1, 1, 0)  # 08:00 Hanoi, 2026 regime


@pytest.fixture
def world(app, db, make):
    clock.freeze(DISCOVERED + timedelta(hours=20))
    agency = make.agency()
    coordinator = make.user("coordinator", agency)
    incident = make.incident(coordinator, agency_obj=agency, discovered_at=DISCOVERED + timedelta(hours=7),
                             severity="serious")
    yield coordinator, incident
    clock.freeze(None)


def test_clocks_are_read_and_a_report_stops_one(client, db, world):
    coordinator, incident = world
    api = Api(client, coordinator)
    body = api.get(f"/incidents/{incident.id}/clocks").get_json()
    assert [(c["key"], c["due_at"], c["state"], c["regime"]) for c in body["clocks"]] == [
        ("incident.notice", "2026-09-02T01:00:00Z", "soon", "2026"),
        ("incident.report", "2026-09-04T01:00:00Z", "running", "2026")]
    answer = api.post(f"/incidents/{incident.id}/reports", json={
        "duty": "incident.notice", "kind": "notice", "channel": "email", "sent_at": "2026-09-01T20:30:00Z",
        "recipient": "Cục A05 – Bộ Công an", "reference": "15/BC-STTTT"})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["sent_at"] == "2026-09-01T20:30:00Z" and answer.get_json()["file"] is None
    body = api.get(f"/incidents/{incident.id}/clocks").get_json()
    assert body["clocks"][0]["state"] == "met" and body["clocks"][0]["stopped_at"] == "2026-09-01T20:30:00Z"
    assert [r["reference"] for r in body["reports"]] == ["15/BC-STTTT"]


@pytest.mark.parametrize("change, field", [
    ({"sent_at": "yesterday"}, "sent_at"),
    ({"sent_at": "2026-09-09T00:00:00Z"}, "sent_at"),  # in the future
    ({"duty": "incident.closing_report"}, "duty"),  # not a duty of this incident
    ({"channel": "pigeon"}, "channel"),
    ({"recipient": ""}, "recipient"),
    ({"extra": 1}, "extra"),
])
def test_bad_reports_are_400_and_change_nothing(client, db, world, change, field):
    coordinator, incident = world
    body = {"duty": "incident.notice", "kind": "notice", "channel": "email", "sent_at": "2026-09-01T10:00:00Z",
            "recipient": "A05", **change}
    answer = Api(client, coordinator).post(f"/incidents/{incident.id}/reports", json=body)
    assert answer.status_code == 400 and field in answer.get_json()["errors"], answer.get_json()
    assert db.session.execute(db.select(db.func.count()).select_from(SentReport)).scalar() == 0


def test_scoping_and_scopes(client, db, make, world):
    _coordinator, incident = world
    other = make.user("member", make.agency())
    assert Api(client, other).get(f"/incidents/{incident.id}/clocks").status_code == 404
    reader = make.user("coordinator")
    body = {"kind": "update", "channel": "email", "sent_at": "2026-09-01T10:00:00Z", "recipient": "A05"}
    answer = Api(client, reader, ["incidents:read"]).post(f"/incidents/{incident.id}/reports", json=body)
    assert answer.status_code == 403
    assert db.session.execute(db.select(db.func.count()).select_from(SentReport)).scalar() == 0
