"""Regulatory clocks: which duties run on an incident under the regime in force at its discovery
(2017 until 18/8/2026, 2026 from 19/8/2026, Hanoi days), their deadlines at the boundaries, how they
follow the incident's changes, and how a report sent stops them."""
import io
from datetime import datetime, timedelta

import pytest

from csirt import clock
from csirt.errors import ValidationError
from csirt.incidents import clocks, sent_reports, services
from csirt.incidents.duty_models import IncidentFacts, SentReport
from csirt.incidents.models import Evidence, IncidentClock

# 23:59 and 00:00 in Hanoi (UTC+7) on either side of the 2026 regime's first day
LAST_2017 = datetime(2026, 8, 18, 16, 59)
FIRST_2026 = datetime(2026, 8, 18, 17, 0)
NOW = datetime(2026, 8, 25, 3, 0)
HANOI = timedelta(hours=7)  # the services read the times people type as Hanoi time


@pytest.fixture
def frozen():
    clock.freeze(NOW)
    yield NOW
    clock.freeze(None)


def _plan(discovered_at, **facts):
    facts.setdefault("status", "new")
    facts.setdefault("severity", "ordinary")
    planned = clocks.plan(clocks.ruleset(), discovered_at=discovered_at, **facts)
    return {key: (p.due_at, p.regime) for key, p in planned.items()}


def test_2017_regime_up_to_the_last_minute_of_18_august(app):
    # every incident: the notice within 5 days; the closing report waits for the end of the response
    assert _plan(LAST_2017) == {"incident.notice": (LAST_2017 + timedelta(days=5), "2017")}
    # serious changes nothing under 2017 (the 24-hour notice is a 2026 duty)
    assert _plan(LAST_2017, severity="serious") == {"incident.notice": (LAST_2017 + timedelta(days=5), "2017")}
    # beyond the operator's capacity: the initial report (Form 03) immediately
    assert _plan(LAST_2017, beyond_capacity=True) == {
        "incident.notice": (LAST_2017 + timedelta(days=5), "2017"),
        "incident.initial_report": (LAST_2017, "2017")}
    # closed on 1/9/2026 (under the 2026 regime): the closing report keeps the 2017 rule, 5 days
    closed = datetime(2026, 9, 1, 2, 0)
    assert _plan(LAST_2017, status="closed", closed_at=closed)["incident.closing_report"] == (
        closed + timedelta(days=5), "2017")


def test_2026_regime_from_the_first_minute_of_19_august(app):
    # an ordinary incident has no national duty under 2026
    assert _plan(FIRST_2026) == {}
    assert _plan(FIRST_2026, severity="serious") == {
        "incident.notice": (FIRST_2026 + timedelta(hours=24), "2026"),
        "incident.report": (FIRST_2026 + timedelta(hours=72), "2026")}
    assert _plan(FIRST_2026, national_security=True) == {
        "incident.security_immediate": (FIRST_2026, "2026")}
    # 2017's closing report and initial report do not exist under 2026
    assert _plan(FIRST_2026, status="closed", closed_at=NOW, beyond_capacity=True) == {}
    # rejected: no duty at all
    assert _plan(LAST_2017, status="rejected") == {}


def test_state_at_its_boundaries():
    start = datetime(2026, 9, 1, 0, 0)
    running = IncidentClock(key="incident.notice", started_at=start, due_at=start + timedelta(hours=24))
    # a quarter of 24 h before the deadline (6 h) it becomes "due soon"; at the deadline "overdue"
    assert clocks.state(running, start + timedelta(hours=17, minutes=59), 0.25) == clocks.RUNNING
    assert clocks.state(running, start + timedelta(hours=18), 0.25) == clocks.SOON
    assert clocks.state(running, start + timedelta(hours=23, minutes=59), 0.25) == clocks.SOON
    assert clocks.state(running, start + timedelta(hours=24), 0.25) == clocks.OVERDUE
    # a short period is "soon" at least an hour before
    short = IncidentClock(key="k", started_at=start, due_at=start + timedelta(hours=2))
    assert clocks.state(short, start + timedelta(minutes=59), 0.25) == clocks.RUNNING
    assert clocks.state(short, start + timedelta(hours=1), 0.25) == clocks.SOON
    running.stopped_at = start + timedelta(hours=24)
    assert clocks.state(running, start + timedelta(days=3), 0.25) == clocks.MET
    running.stopped_at = start + timedelta(hours=24, minutes=1)
    assert clocks.state(running, start + timedelta(days=3), 0.25) == clocks.MET_LATE
    assert clocks.state(IncidentClock(key="k", started_at=start), start, 0.25) == clocks.NO_DEADLINE


def _clocks(db, incident):
    incident_id = getattr(incident, "id", incident)
    db.session.expire_all()
    rows = db.session.execute(db.select(IncidentClock).where(IncidentClock.incident_id == incident_id)
                              .order_by(IncidentClock.key)).scalars().all()
    return {c.key: (c.due_at, c.stopped_at, c.regime) for c in rows}


def test_clocks_follow_the_incident_from_opening_to_closing(app, db, make, frozen):
    coordinator = make.user("coordinator")
    incident = make.incident(coordinator, discovered_at=LAST_2017 + HANOI, severity="ordinary")
    assert _clocks(db, incident) == {"incident.notice": (LAST_2017 + timedelta(days=5), None, "2017")}
    for target in ("triaged", "contained", "eradicated", "recovered"):
        services.change_status(coordinator, incident, target)
    services.change_status(coordinator, incident, "closed", note="Đã khắc phục, rút kinh nghiệm")
    assert _clocks(db, incident)["incident.closing_report"] == (NOW + timedelta(days=5), None, "2017")
    services.change_status(coordinator, incident, "triaged")  # reopened: the response goes on
    assert "incident.closing_report" not in _clocks(db, incident)


def test_severity_and_rejection_start_and_drop_2026_duties(app, db, make, frozen):
    coordinator = make.user("coordinator")
    incident = make.incident(coordinator, discovered_at=FIRST_2026 + HANOI, severity="ordinary")
    assert _clocks(db, incident) == {}
    services.update_incident(coordinator, incident, {"severity": "serious"})
    assert _clocks(db, incident) == {"incident.notice": (FIRST_2026 + timedelta(hours=24), None, "2026"),
                                     "incident.report": (FIRST_2026 + timedelta(hours=72), None, "2026")}
    # the discovery is corrected (five hours later): the deadlines move with it
    corrected = FIRST_2026 + timedelta(hours=5)
    services.update_incident(coordinator, incident, {"discovered_at": corrected + HANOI})
    assert _clocks(db, incident)["incident.notice"][0] == corrected + timedelta(hours=24)
    services.change_status(coordinator, incident, "rejected", reason="false_positive")
    assert _clocks(db, incident) == {}


def test_a_report_sent_stops_its_clock_and_keeps_the_file(app, db, make, frozen):
    coordinator = make.user("coordinator")
    incident = make.incident(coordinator, discovered_at=FIRST_2026 + HANOI, severity="serious")
    sent = FIRST_2026 + timedelta(hours=20)
    report = sent_reports.record_sent(
        coordinator, incident,
        {"duty": "incident.notice", "kind": "notice", "channel": "email", "sent_at": sent,
         "recipient": "Cục An ninh mạng (A05)", "reference": "123/BC-STTTT", "note": "Gửi kèm nhật ký"},
        io.BytesIO(b"%PDF-1.4 bao cao"), "bao-cao-ban-dau.pdf", "application/pdf")
    state = _clocks(db, incident)
    assert state["incident.notice"] == (FIRST_2026 + timedelta(hours=24), sent, "2026")
    assert state["incident.report"][1] is None  # the other duty still runs
    row = db.session.get(SentReport, report.id)
    assert (row.recipient, row.reference, row.channel, row.kind) == (
        "Cục An ninh mạng (A05)", "123/BC-STTTT", "email", "notice")
    evidence = db.session.get(Evidence, row.evidence_id)
    assert evidence.original_name == "bao-cao-ban-dau.pdf" and len(evidence.sha256) == 64
    assert [e.kind for e in incident.timeline][-1] == "report"
    # a second report for the same duty (an update) does not move the stop
    sent_reports.record_sent(coordinator, incident, {"duty": "incident.notice", "kind": "update", "channel": "portal",
                                                     "sent_at": sent + timedelta(hours=30), "recipient": "A05"})
    assert _clocks(db, incident)["incident.notice"][1] == sent
    # later changes never move a met clock
    services.update_incident(coordinator, incident, {"discovered_at": FIRST_2026 + timedelta(hours=1) + HANOI})
    assert _clocks(db, incident)["incident.notice"] == (FIRST_2026 + timedelta(hours=24), sent, "2026")


@pytest.mark.parametrize("change, field", [
    ({"sent_at": NOW + timedelta(hours=1)}, "sent_at"),
    ({"sent_at": FIRST_2026 - timedelta(minutes=1)}, "sent_at"),
    ({"sent_at": None}, "sent_at"),
    ({"duty": "incident.closing_report"}, "duty"),
    ({"channel": "pigeon"}, "channel"),
    ({"kind": "final"}, "kind"),
    ({"recipient": "  "}, "recipient"),
    ({"recipient": "A05\x00"}, "recipient"),
    ({"reference": "x" * 101}, "reference"),
])
def test_a_bad_report_is_refused_and_changes_nothing(app, db, make, frozen, change, field):
    coordinator = make.user("coordinator")
    incident = make.incident(coordinator, discovered_at=FIRST_2026 + HANOI, severity="serious")
    data = {"duty": "incident.notice", "kind": "notice", "channel": "email",
            "sent_at": FIRST_2026 + timedelta(hours=1), "recipient": "A05", **change}
    files_before = db.session.execute(db.select(db.func.count()).select_from(Evidence)).scalar()
    with pytest.raises(ValidationError) as err:
        sent_reports.record_sent(coordinator, incident, data, io.BytesIO(b"x"), "a.pdf")
    assert field in err.value.errors
    db.session.rollback()
    assert db.session.execute(db.select(db.func.count()).select_from(SentReport)).scalar() == 0
    assert db.session.execute(db.select(db.func.count()).select_from(Evidence)).scalar() == files_before
    assert _clocks(db, incident)["incident.notice"][1] is None


def test_report_facts_start_the_flagged_duties(app, db, make, frozen):
    coordinator = make.user("coordinator")
    incident = make.incident(coordinator, discovered_at=LAST_2017 + HANOI)
    db.session.add(IncidentFacts(incident_id=incident.id, beyond_capacity=True))
    db.session.flush()
    clocks.sync(incident)
    db.session.commit()
    assert _clocks(db, incident)["incident.initial_report"] == (LAST_2017, None, "2017")


def test_a_liaison_may_not_record_a_report(app, db, make, frozen):
    from csirt.errors import Forbidden

    agency = make.agency()
    liaison = make.user("member", agency)
    incident = make.incident(make.user("coordinator"), agency_obj=agency, discovered_at=FIRST_2026 + HANOI,
                             severity="serious")
    with pytest.raises(Forbidden):
        sent_reports.record_sent(liaison, incident, {"duty": "incident.notice", "kind": "notice", "channel": "email",
                                                     "sent_at": NOW, "recipient": "A05"})


def test_rejecting_drops_a_playbooks_running_clock_too(app, db, make, frozen):
    coordinator = make.user("coordinator")
    incident = make.incident(coordinator, discovered_at=FIRST_2026 + HANOI, severity="ordinary")
    db.session.add(IncidentClock(incident_id=incident.id, key="incident.notice", started_at=FIRST_2026,
                                 due_at=FIRST_2026 + timedelta(hours=24), started_by="playbook:web-defacement"))
    db.session.commit()
    assert "incident.notice" in _clocks(db, incident)  # kept while the incident is worked (the playbook asked)
    services.change_status(coordinator, incident, "rejected", reason="false_positive")
    assert _clocks(db, incident) == {}


def test_clocks_sync_starts_the_open_incidents_clocks_only(app, db, make, runner, frozen):
    coordinator = make.user("coordinator")
    open_one = make.incident(coordinator, discovered_at=LAST_2017 + HANOI)
    closed = make.incident(coordinator, discovered_at=LAST_2017 + HANOI)
    for target in ("triaged", "contained", "eradicated", "recovered"):
        services.change_status(coordinator, closed, target)
    services.change_status(coordinator, closed, "closed", note="Xong")
    db.session.execute(db.delete(IncidentClock))  # as after an upgrade from a version without clocks
    db.session.commit()
    open_one, closed = open_one.id, closed.id  # the command empties the session
    result = runner.invoke(args=["clocks", "sync"])
    assert result.exit_code == 0, result.output
    assert "1 incidents checked, 1 with clocks changed" in result.output
    assert _clocks(db, open_one) == {"incident.notice": (LAST_2017 + timedelta(days=5), None, "2017")}
    assert _clocks(db, closed) == {}
    # already overdue at the upgrade (the notice was due on 23/8): marked as announced, no flood
    notice = db.session.execute(db.select(IncidentClock).where(IncidentClock.incident_id == open_one)).scalar_one()
    assert notice.overdue_warned_at == NOW
    result = runner.invoke(args=["clocks", "sync", "--include-closed"])
    assert "2 incidents checked" in result.output and set(_clocks(db, closed)) == {
        "incident.notice", "incident.closing_report"}
