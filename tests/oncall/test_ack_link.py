"""Acknowledging: the one-click link of a notification (valid, reused, forged, expired), the
button on the incident page, the API; and the whole path from an Alertmanager alert to an e-mail
received by a real SMTP server whose link stops the escalation."""
import re
from datetime import timedelta

import pytest

from csirt.auth import tokens
from csirt.clock import freeze
from csirt.incidents.models import Incident, TimelineEntry
from csirt.notify import ack_tokens, delivery
from csirt.notify.models import Notification
from csirt.oncall import escalation
from tests.notify.support import Inbox, start_smtp

from .conftest import NOW
from .escalation_support import minutes


@pytest.fixture
def inbox(app):
    box = Inbox()
    controller = start_smtp(box)
    app.config.update(CSIRT_SMTP_HOST="127.0.0.1", CSIRT_SMTP_PORT=controller.port,
                      CSIRT_BASE_URL="https://csirt.laocai.gov.vn")
    yield box
    controller.stop()


def _api(client, app, user, scopes):
    _row, secret = tokens.create_token(None, user, "test", scopes)
    return {"Authorization": f"Bearer {secret}"}


AM = {"version": "4", "status": "firing", "receiver": "csirt", "groupLabels": {}, "commonLabels": {},
      "commonAnnotations": {}, "externalURL": "http://am", "groupKey": "k", "truncatedAlerts": 0,
      "alerts": [{"status": "firing", "labels": {"alertname": "PortalDown", "instance": "portal-web01",
                                                  "severity": "critical"},
                  "annotations": {"summary": "Cổng thông tin không truy cập được"},
                  "startsAt": "2026-12-08T02:59:00Z", "endsAt": "0001-01-01T00:00:00Z",
                  "generatorURL": "http://prom", "fingerprint": "abc123"}]}


def _opened(db):
    return db.session.execute(db.select(Incident).order_by(Incident.id.desc()).limit(1)).scalar_one()


def _steps(db, incident):
    return db.session.execute(db.select(TimelineEntry).where(
        TimelineEntry.incident_id == incident.id, TimelineEntry.kind == "escalation")).scalars().all()


def test_alertmanager_alert_to_email_to_link_stops_the_escalation(app, db, client, people, paging, inbox):
    headers = _api(client, app, people.admin, ["alerts:write"])
    answer = client.post("/api/v1/alerts/alertmanager", json=AM, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    incident = _opened(db)
    assert incident.assignee_id == people.binh.id
    assert delivery.deliver_due() == 1
    (mail,) = inbox.wait_for(1)
    assert mail["To"] == "binh@so-tt.example"
    text = mail.get_body(("plain",)).get_content()
    assert incident.reference in mail["Subject"]
    link = re.search(r"https://csirt\.laocai\.gov\.vn(/ack/\S+)", text).group(1)

    freeze(minutes(NOW, 10))
    page = client.get(link)  # opening the link shows what it does: it does not acknowledge yet
    assert page.status_code == 200 and "ack-confirm" in page.get_data(as_text=True)
    assert db.session.get(Incident, incident.id).acknowledged_at is None
    done = client.post(link)
    assert done.status_code == 200 and 'id="ack-result"' in done.get_data(as_text=True)
    db.session.expire_all()
    incident = db.session.get(Incident, incident.id)
    assert (incident.acknowledged_by_id, incident.acknowledged_at) == (people.binh.id, minutes(NOW, 10))

    freeze(minutes(NOW, 600))  # every step's time has passed: none fires
    assert escalation.run_due() == 0
    assert _steps(db, incident) == []
    assert db.session.execute(db.select(Notification).where(Notification.event == "escalation.step")).first() is None


def _link_for(db, incident):
    row = db.session.execute(db.select(Notification).where(Notification.incident_id == incident.id,
                                                           Notification.event == "incident.opened")).scalar_one()
    return row, f"/ack/{ack_tokens.make(row.id, incident.id)}"


def _open(db, people):
    from csirt.alerts import intake

    from .escalation_support import page

    [outcome] = intake.ingest(people.admin, [page(NOW)])
    return db.session.get(Incident, outcome.incident_id)


def test_a_used_link_is_refused_and_changes_nothing(db, client, people, paging):
    incident = _open(db, people)
    _row, link = _link_for(db, incident)
    assert client.post(link).status_code == 200
    again = client.post(link, follow_redirects=True)
    assert "already been used" in again.get_data(as_text=True) or "đã được dùng" in again.get_data(as_text=True)
    acks = db.session.execute(db.select(TimelineEntry).where(TimelineEntry.incident_id == incident.id,
                                                             TimelineEntry.kind == "acknowledged")).scalars().all()
    assert len(acks) == 1


def test_a_forged_link_is_refused_with_400(db, client, people, paging):
    incident = _open(db, people)
    row, link = _link_for(db, incident)
    assert client.get(link[:-3] + "abc").status_code == 400
    other = f"/ack/{ack_tokens.make(row.id, incident.id + 1)}"  # signed, but not this notification's incident
    assert client.post(other).status_code == 400
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).acknowledged_at is None
    assert db.session.get(Notification, row.id).ack_used_at is None


def test_an_expired_link_asks_for_a_login(db, client, people, paging):
    incident = _open(db, people)
    _row, link = _link_for(db, incident)
    freeze(NOW + timedelta(hours=25))
    answer = client.post(link)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).acknowledged_at is None


def test_the_incident_page_button_and_the_api_acknowledge(app, db, client, auth, people, paging):
    incident = _open(db, people)
    auth.login(people.chi)
    body = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert 'id="acknowledge"' in body and 'id="escalation-next"' in body
    client.post(f"/incidents/{incident.id}/acknowledge", data={"csrf_token": _csrf(client, incident)})
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).acknowledged_by_id == people.chi.id

    second = _open_other(db, people)
    headers = _api(client, app, people.an, ["incidents:write"])
    answer = client.post(f"/api/v1/incidents/{second.id}/acknowledge", headers=headers)
    assert answer.status_code == 200 and answer.get_json()["first"] is True
    assert answer.get_json()["acknowledged_by"]["username"] == "an"
    assert client.post(f"/api/v1/incidents/{second.id}/acknowledge", headers=headers).get_json()["first"] is False
    liaison = _api(client, app, people.liaison, ["incidents:write"])
    assert client.post(f"/api/v1/incidents/{second.id}/acknowledge", headers=liaison).status_code == 404


def _open_other(db, people):
    from csirt.alerts import intake

    from .escalation_support import page

    [outcome] = intake.ingest(people.admin, [page(NOW, fingerprint="other", host="mail01")])
    return db.session.get(Incident, outcome.incident_id)


def _csrf(client, incident):
    body = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
