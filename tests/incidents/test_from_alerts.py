"""Incidents opened, joined and closed by alerts through a playbook (csirt/incidents/from_alerts.py)."""
from datetime import datetime, timedelta

import pytest

from csirt import clock
from csirt.errors import ValidationError
from csirt.incidents import from_alerts, services, tasks
from csirt.incidents.models import Incident, IncidentClock, Task, TimelineEntry

NOW = datetime(2026, 11, 20, 3, 0, 0)


@pytest.fixture
def frozen():
    clock.freeze(NOW)
    yield NOW
    clock.freeze(None)


def _opening(agency_id, **kw):
    opening = {
        "title": "Trang portal.laocai.example bị thay đổi giao diện", "description": "Wazuh rule 31151",
        "category": "defacement", "sub_type": "", "severity": "serious", "priority": "P1", "tlp": "AMBER",
        "agency_id": agency_id, "discovered_at": NOW - timedelta(minutes=5), "assignee_id": None,
        "playbook_id": "web-defacement", "playbook_version": "a" * 64, "system_ids": [], "server_ids": [],
        "tasks": [{"key": "isolate", "title": "Cô lập máy chủ", "detail": "Ngắt **kết nối**", "owner_role": "responder",
                   "due_at": NOW + timedelta(hours=1), "required": True},
                  {"key": "report", "title": "Báo cáo", "detail": "", "owner_role": None, "due_at": None,
                   "required": False}],
        "clocks": [{"key": "incident.notice", "due_at": NOW + timedelta(days=1)},
                   {"key": "incident.notice", "due_at": NOW}],  # named twice: started once
        "notes": ["Mở bởi playbook"],
        "alerts": [{"alert_id": 7, "status": "firing", "title": "Web defaced", "severity": "critical",
                    "host": "portal.laocai.example", "at": NOW - timedelta(minutes=5)}],
    }
    opening.update(kw)
    return opening


def test_opening_writes_the_incident_its_steps_clocks_and_first_entries(app, db, make, frozen):
    agency = make.agency()
    responder = make.user("responder", agency)
    actor = from_alerts.system_actor()
    incident = from_alerts.open_from_playbook(actor, _opening(agency.id, assignee_id=responder.id))
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(Incident, incident.id)
    assert (row.source, row.playbook_id, row.status) == ("alert", "web-defacement", "new")
    assert row.assignee_id == responder.id
    assert row.reporter.username == "csirt-system" and not row.reporter.active
    steps = db.session.execute(db.select(Task).where(Task.incident_id == row.id).order_by(Task.id)).scalars().all()
    assert [(t.step_key, t.required, t.owner_role) for t in steps] == [
        ("isolate", True, "responder"), ("report", False, None)]
    assert steps[0].detail == "Ngắt **kết nối**" and steps[0].due_at == NOW + timedelta(hours=1)
    clocks = db.session.execute(db.select(IncidentClock).where(IncidentClock.incident_id == row.id)).scalars().all()
    # the playbook's clock takes the rules' deadline (24 h from discovery under the 2026 regime, the
    # incident is serious); the rules add the 72-hour report the playbook did not name
    assert sorted((c.key, c.due_at, c.started_by, c.regime) for c in clocks) == [
        ("incident.notice", NOW - timedelta(minutes=5) + timedelta(hours=24), "playbook:web-defacement", "2026"),
        ("incident.report", NOW - timedelta(minutes=5) + timedelta(hours=72), "rules", "2026")]
    kinds = [e.kind for e in row.timeline]
    assert kinds == ["created", "assignment", "alert", "note"]
    assert row.timeline[2].data["alert"] == 7 and row.timeline[2].data["host"] == "portal.laocai.example"


def test_the_system_actor_cannot_sign_in(app, db, client):
    actor = from_alerts.system_actor()
    db.session.commit()
    assert from_alerts.system_actor().id == actor.id  # found again, not created twice
    assert not actor.check_password("!") and not actor.check_password("")
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    answer = client.post("/login", data={"username": "csirt-system", "password": "!", "csrf_token": token})
    assert answer.status_code != 302 or "/login" in answer.headers.get("Location", "")


def test_an_incident_does_not_close_while_required_steps_are_open(app, db, make, frozen):
    agency = make.agency()
    coordinator = make.user("coordinator")
    incident = from_alerts.open_from_playbook(from_alerts.system_actor(), _opening(agency.id))
    db.session.commit()
    for target in ("triaged", "contained", "eradicated", "recovered"):
        services.change_status(coordinator, incident, target)
    with pytest.raises(ValidationError) as refused:
        services.change_status(coordinator, incident, "closed", note="Đã khắc phục")
    assert "Cô lập máy chủ" in str(refused.value)
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).status == "recovered"
    required = db.session.execute(db.select(Task).where(Task.step_key == "isolate")).scalar_one()
    tasks.set_task_done(coordinator, incident, required.id)
    services.change_status(coordinator, db.session.get(Incident, incident.id), "closed", note="Đã khắc phục")
    assert db.session.get(Incident, incident.id).status == "closed"


def test_rejecting_needs_no_steps(app, db, make, frozen):
    agency = make.agency()
    coordinator = make.user("coordinator")
    incident = from_alerts.open_from_playbook(from_alerts.system_actor(), _opening(agency.id))
    db.session.commit()
    services.change_status(coordinator, incident, "rejected", reason="false_positive")
    assert db.session.get(Incident, incident.id).status == "rejected"


def test_close_resolved_closes_or_waits_for_required_steps(app, db, make, frozen):
    agency = make.agency()
    actor = from_alerts.system_actor()
    waiting = from_alerts.open_from_playbook(actor, _opening(agency.id))
    free = from_alerts.open_from_playbook(actor, _opening(agency.id, tasks=[]))
    db.session.commit()
    assert from_alerts.close_resolved(actor, waiting.id, "Mọi cảnh báo đã hết") is False
    assert from_alerts.close_resolved(actor, free.id, "Mọi cảnh báo đã hết") is True
    assert from_alerts.close_resolved(actor, free.id, "again") is False  # already closed
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Incident, waiting.id).status == "new"
    note = db.session.execute(db.select(TimelineEntry).where(TimelineEntry.incident_id == waiting.id)
                              .order_by(TimelineEntry.id.desc())).scalars().first()
    assert note.kind == "note" and note.data == {"resolved": True, "required_open": 1}
    closed = db.session.get(Incident, free.id)
    assert (closed.status, closed.resolution) == ("closed", "Mọi cảnh báo đã hết") and closed.closed_at == NOW
    assert closed.version == 2


def test_joining_alerts_are_written_on_the_timeline(app, db, make, frozen):
    agency = make.agency()
    actor = from_alerts.system_actor()
    incident = from_alerts.open_from_playbook(actor, _opening(agency.id))
    db.session.commit()
    from_alerts.add_alerts(actor, incident.id, [
        {"alert_id": 8, "status": "firing", "title": "again", "severity": "high", "host": "h", "at": NOW},
        {"alert_id": 9, "status": "resolved", "title": "gone", "severity": "high", "host": "h", "at": NOW}])
    db.session.commit()
    entries = db.session.execute(db.select(TimelineEntry).where(TimelineEntry.incident_id == incident.id,
                                                                TimelineEntry.kind == "alert")
                                 .order_by(TimelineEntry.id)).scalars().all()
    assert [(e.data["alert"], e.data["status"]) for e in entries] == [(7, "firing"), (8, "firing"), (9, "resolved")]


def test_the_incident_page_shows_the_checklist_and_clocks(app, db, make, client, auth, frozen):
    agency = make.agency()
    coordinator = make.user("coordinator")
    incident = from_alerts.open_from_playbook(from_alerts.system_actor(), _opening(agency.id))
    db.session.commit()
    auth.login(coordinator)
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert 'id="steps-progress"' in page and "task-required" in page
    assert "<strong>kết nối</strong>" in page  # the step's Markdown detail, rendered
    assert 'id="clock-incident.notice"' in page
