"""The executor (csirt/alerts/executor.py) through the intake: grouping at the window's edges,
resolved alerts on the timeline and closing, the opened incident's texts, agency, assignee,
tasks, clocks, notes and links."""
from datetime import timedelta

import pytest

from csirt.alerts import assignees, intake
from csirt.alerts.models import Alert, AlertGroup
from csirt.incidents.models import Incident, IncidentClock, Task, TimelineEntry
from csirt.rules.periods import add_period

from . import intake_support
from .intake_support import NOW, UPTIME, WEB, alert, write_playbooks

# the shared fixtures, made this module's
frozen, inventory, playbooks = intake_support.frozen, intake_support.inventory, intake_support.playbooks

HOUR = timedelta(hours=1)


@pytest.fixture
def responder(make):
    return make.user("responder")


def _incident(db, ident):
    db.session.expire_all()
    return db.session.get(Incident, ident)


def _entries(db, incident_id, kind=None):
    query = db.select(TimelineEntry).where(TimelineEntry.incident_id == incident_id).order_by(TimelineEntry.id)
    if kind:
        query = query.where(TimelineEntry.kind == kind)
    return db.session.execute(query).scalars().all()


# --- grouping --------------------------------------------------------------------------------

def test_an_alert_exactly_at_the_window_joins_and_one_second_later_opens_a_new_incident(db, playbooks, frozen,
                                                                                        responder):
    [first] = intake.ingest(responder, [alert(fingerprint="a", occurred_at=NOW - 3 * HOUR)])
    [edge] = intake.ingest(responder, [alert(fingerprint="b", occurred_at=NOW - 2 * HOUR)])  # last + 1h
    [past] = intake.ingest(responder, [alert(fingerprint="c", occurred_at=NOW - HOUR + timedelta(seconds=1))])
    assert (first.status, edge.status, past.status) == ("opened", "joined", "opened")
    assert edge.incident_id == first.incident_id != past.incident_id
    assert [e.data["alert"] for e in _entries(db, first.incident_id, "alert")] == [first.alert_id, edge.alert_id]
    group = db.session.execute(db.select(AlertGroup)).scalar_one()
    assert group.incident_id == past.incident_id and group.firing == ["c"]


def test_the_window_runs_from_the_groups_last_alert_not_its_first(db, playbooks, frozen, responder):
    outcomes = [intake.ingest(responder, [alert(fingerprint=str(i), occurred_at=NOW - 3 * HOUR + i * 50 * timedelta(
        minutes=1))])[0] for i in range(4)]
    assert [o.status for o in outcomes] == ["opened", "joined", "joined", "joined"]


def test_other_group_values_open_their_own_incident(db, playbooks, frozen, responder):
    one, other = intake.ingest(responder, [alert(), alert(fingerprint="x", labels={"rule_id": "999"})])
    assert (one.status, other.status) == ("opened", "opened") and one.incident_id != other.incident_id


def test_a_closed_incident_is_not_joined_even_inside_the_window(db, make, playbooks, frozen, responder):
    from csirt.incidents import services

    [first] = intake.ingest(responder, [alert(fingerprint="a")])
    coordinator = make.user("coordinator")
    services.change_status(coordinator, _incident(db, first.incident_id), "rejected", reason="duplicate")
    [second] = intake.ingest(responder, [alert(fingerprint="b", occurred_at=NOW + timedelta(minutes=5))])
    assert second.status == "opened" and second.incident_id != first.incident_id


def test_two_alerts_of_one_group_in_one_batch_make_one_incident(db, playbooks, frozen, responder):
    outcomes = intake.ingest(responder, [alert(fingerprint="a"), alert(fingerprint="b")])
    assert [o.status for o in outcomes] == ["opened", "joined"]
    assert db.session.execute(db.select(db.func.count(Incident.id))).scalar() == 1
    assert len(_entries(db, outcomes[0].incident_id, "alert")) == 2


# --- resolved alerts ---------------------------------------------------------------------------

def _am(status, fingerprint="am-1", host="portal.example", at=NOW, alertname="PortalDown"):
    return alert(source="alertmanager", format="alertmanager", status=status, fingerprint=fingerprint, host=host,
                 occurred_at=at, labels={"alertname": alertname}, title="Portal down")


def test_resolved_alerts_are_written_on_the_timeline_and_the_last_one_closes_with_on_resolved_close(
        db, make, playbooks, frozen, responder):
    make.agency(code="PORTAL")
    opened, joined = intake.ingest(responder, [_am("firing", "a"), _am("firing", "b")])
    incident_id = opened.incident_id
    [one] = intake.ingest(responder, [_am("resolved", "a", at=NOW + HOUR)])
    assert one.status == "resolved" and one.incident_id == incident_id
    assert _incident(db, incident_id).status == "new"  # b still fires
    [last] = intake.ingest(responder, [_am("resolved", "b", at=NOW + 2 * HOUR)])
    incident = _incident(db, incident_id)
    assert last.incident_id == incident_id and incident.status == "closed" and incident.closed_at is not None
    statuses = [e.data["status"] for e in _entries(db, incident_id, "alert")]
    assert statuses == ["firing", "firing", "resolved", "resolved"]
    assert _entries(db, incident_id, "status")[-1].data["to"] == "closed"


def test_on_resolved_note_writes_the_resolution_and_leaves_the_incident_open(db, playbooks, frozen, responder):
    [opened] = intake.ingest(responder, [alert()])
    [resolved] = intake.ingest(responder, [alert(status="resolved", occurred_at=NOW + HOUR)])
    assert resolved.status == "resolved" and resolved.incident_id == opened.incident_id
    assert _incident(db, opened.incident_id).status == "new"
    assert [e.data["status"] for e in _entries(db, opened.incident_id, "alert")] == ["firing", "resolved"]


def test_required_steps_still_open_keep_the_incident_open_with_a_note(app, db, make, tmp_path, frozen, responder):
    required = UPTIME.replace('title: "Xem xét"', 'title: "Xem xét"\n        required: true')
    write_playbooks(app, tmp_path / "books", {"uptime.yaml": required})
    make.agency(code="PORTAL")
    [opened] = intake.ingest(responder, [_am("firing")])
    [resolved] = intake.ingest(responder, [_am("resolved", at=NOW + HOUR)])
    assert _incident(db, opened.incident_id).status == "new"
    assert _entries(db, opened.incident_id, "note")[-1].data == {"resolved": True, "required_open": 1}
    row = db.session.get(Alert, resolved.alert_id)
    assert ["not_closed", ""] in row.route["notes"]


def test_a_resolution_never_opens_an_incident(db, playbooks, frozen, responder):
    [outcome] = intake.ingest(responder, [alert(status="resolved")])
    assert outcome.status == "resolved" and outcome.incident_id is None
    assert db.session.execute(db.select(db.func.count(Incident.id))).scalar() == 0


def test_without_a_group_a_resolution_finds_the_incident_of_its_fingerprint(db, playbooks, frozen, responder):
    tool = dict(source="generic-tool", format="generic", fingerprint="g-1")
    [opened] = intake.ingest(responder, [alert(**tool)])
    [resolved] = intake.ingest(responder, [alert(status="resolved", occurred_at=NOW + HOUR, **tool)])
    assert resolved.incident_id == opened.incident_id
    assert [e.data["status"] for e in _entries(db, opened.incident_id, "alert")] == ["firing", "resolved"]
    [again] = intake.ingest(responder, [alert(occurred_at=NOW + 2 * HOUR, **tool)])
    assert again.status == "opened" and again.incident_id != opened.incident_id  # no group: one each


# --- the incident a playbook opens -------------------------------------------------------------

def test_the_opened_incident_follows_the_playbook(app, db, playbooks, frozen, responder, inventory):
    [outcome] = intake.ingest(responder, [alert(severity="critical")])
    incident = _incident(db, outcome.incident_id)
    assert incident.title == "Tấn công web vào portal-web01"  # the default locale (vi)
    assert (incident.category, incident.severity, incident.priority, incident.tlp) == \
        ("malware", "serious", "P1", "AMBER")
    assert incident.agency_id == inventory["agency"].id and incident.source == "alert"
    assert (incident.playbook_id, incident.reporter_id) == ("web-attack", responder.id)
    assert incident.discovered_at == NOW
    tasks = db.session.execute(db.select(Task).where(Task.incident_id == incident.id).order_by(Task.id)).scalars().all()
    assert [(t.step_key, t.title, t.detail, t.owner_role, t.required, t.due_at) for t in tasks] == [
        ("isolate", "Cô lập máy chủ", "Ngắt **mạng**", "responder", True, NOW + HOUR),
        ("check", "Kiểm tra nhật ký", "", None, False, NOW + timedelta(days=1))]
    notes = [e.body for e in _entries(db, incident.id, "note")]
    assert notes == ["Cảnh báo critical từ wazuh"]


def test_lower_severity_takes_the_graded_default(db, playbooks, frozen, responder):
    [outcome] = intake.ingest(responder, [alert(severity="medium")])
    incident = _incident(db, outcome.incident_id)
    assert (incident.severity, incident.priority) == ("ordinary", "P3")


def test_clocks_take_their_deadline_from_the_rules_in_force_and_a_missing_rule_is_noted(db, playbooks, frozen,
                                                                                      responder, inventory):
    from csirt.rules import lookup

    march = NOW.replace(month=3)  # the 2017 regime: a notice, but no "incident.report" yet
    [old] = intake.ingest(responder, [alert(occurred_at=march)])
    [new] = intake.ingest(responder, [alert(fingerprint="z", labels={"rule_id": "7"})])

    def clocks(incident_id):
        return {c.key: c.due_at for c in db.session.execute(
            db.select(IncidentClock).where(IncidentClock.incident_id == incident_id)).scalars()}

    notice_2017 = lookup.lookup("incident.notice", march, 3)
    assert clocks(old.incident_id) == {"incident.notice": add_period(march, notice_2017.value, notice_2017.unit)}
    assert ["clock_skipped", "incident.report"] in db.session.get(Alert, old.alert_id).route["notes"]
    assert clocks(new.incident_id) == {"incident.notice": lookup.due("incident.notice", NOW, 3),
                                       "incident.report": lookup.due("incident.report", NOW, 3)}


def test_an_unknown_host_sends_the_incident_to_the_triage_agency(app, db, make, playbooks, frozen, responder):
    triage = make.agency(code="TRIAGE")
    app.config["CSIRT_TRIAGE_AGENCY"] = "TRIAGE"
    [outcome] = intake.ingest(responder, [alert(host="nobody.example")])
    assert _incident(db, outcome.incident_id).agency_id == triage.id
    assert ["host_unknown", "nobody.example"] in db.session.get(Alert, outcome.alert_id).route["notes"]
    assert db.session.get(Alert, outcome.alert_id).agency_id == triage.id  # scoped like its incident


def test_an_agency_code_in_the_playbook_is_used_and_an_unknown_code_goes_to_triage(app, db, make, playbooks,
                                                                                 frozen, responder):
    app.config["CSIRT_TRIAGE_AGENCY"] = "TRIAGE"
    triage = make.agency(code="TRIAGE")
    [unknown] = intake.ingest(responder, [_am("firing", "a")])
    assert _incident(db, unknown.incident_id).agency_id == triage.id
    assert ["agency_unknown", "PORTAL"] in db.session.get(Alert, unknown.alert_id).route["notes"]
    portal = make.agency(code="PORTAL")
    [known] = intake.ingest(responder, [_am("firing", "b", alertname="Other")])
    assert _incident(db, known.incident_id).agency_id == portal.id


# --- assignment -------------------------------------------------------------------------------

def test_a_role_gives_the_member_with_the_fewest_open_incidents_ties_by_id(db, make, playbooks, frozen, inventory):
    busy, idle, later = (make.user("responder") for _ in range(3))
    make.user("responder", active=False)
    make.incident(actor=make.user("coordinator"), assignee_id=busy.id)
    outcomes = intake.ingest(busy, [alert(fingerprint=str(i), labels={"rule_id": str(i)}) for i in range(3)])
    assignees_ = [_incident(db, o.incident_id).assignee_id for o in outcomes]
    assert assignees_ == [idle.id, later.id, busy.id]  # 0, 0 open each; then all at 1: the lowest id
    row = db.session.get(Alert, outcomes[0].alert_id)
    assert ["rotation_nobody", "primary"] in row.route["notes"]


def test_a_person_is_assigned_when_active_in_the_team_else_the_next_candidate(db, make, playbooks, frozen,
                                                                             responder):
    make.agency(code="PORTAL")
    lead = make.user("responder", username="ops-lead")
    [first] = intake.ingest(responder, [_am("firing", "a")])
    assert _incident(db, first.incident_id).assignee_id == lead.id
    lead.active = False
    coordinator = make.user("coordinator")
    db.session.commit()
    [second] = intake.ingest(responder, [_am("firing", "b", alertname="Other")])
    assert _incident(db, second.incident_id).assignee_id == coordinator.id
    assert ["person_nobody", "ops-lead"] in db.session.get(Alert, second.alert_id).route["notes"]


def test_a_rotation_resolver_of_the_on_call_package_is_asked_first(db, make, playbooks, frozen, responder,
                                                                  monkeypatch):
    on_call = make.user("responder")
    monkeypatch.setattr(assignees, "_on_call", lambda name, at, layer=None: on_call if name == "primary" else None)
    [outcome] = intake.ingest(responder, [alert()])
    assert _incident(db, outcome.incident_id).assignee_id == on_call.id


def test_nobody_found_leaves_the_incident_unassigned_and_says_so(db, make, playbooks, frozen):
    sender = make.user("admin")
    [outcome] = intake.ingest(sender, [alert()])
    assert _incident(db, outcome.incident_id).assignee_id is None
    notes = db.session.get(Alert, outcome.alert_id).route["notes"]
    assert ["role_nobody", "responder"] in notes and ["nobody_assigned", ""] in notes


def test_continue_adds_the_later_playbooks_actions_after_the_primarys(app, db, tmp_path, frozen, responder):
    first = WEB.replace("order: 10", "order: 10\ncontinue: true")
    extra = """
id: audit-trail
title: "Thêm bước"
order: 50
match: {all: ['source="wazuh"']}
incident: {title: "x", category: other, severity: ordinary, priority: P4, tlp: CLEAR, agency: host}
actions:
  - assign: [{role: responder}]
  - tasks:
      - {key: isolate, title: "Trùng khóa"}
      - {key: report, title: "Báo cáo"}
  - note: "Ghi chú thêm"
"""
    write_playbooks(app, tmp_path / "books", {"web.yaml": first, "extra.yaml": extra})
    [outcome] = intake.ingest(responder, [alert()])
    incident = _incident(db, outcome.incident_id)
    assert incident.playbook_id == "web-attack" and incident.category == "malware"
    keys = [t.step_key for t in db.session.execute(db.select(Task).where(Task.incident_id == incident.id)
                                                   .order_by(Task.id)).scalars()]
    assert keys == ["isolate", "check", "report"]
    assert [e.body for e in _entries(db, incident.id, "note")] == ["Cảnh báo high từ wazuh", "Ghi chú thêm"]
    route = db.session.get(Alert, outcome.alert_id).route
    assert route["extra"] == ["audit-trail"] and "audit-trail:assign" in route["actions"]
    assert ["already_assigned", "audit-trail"] in route["notes"]
