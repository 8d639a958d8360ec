"""Alert intake (csirt/alerts/intake.py): each alert stored once, only new alerts routed, the
host looked up once per batch, one audit entry per call, and only the response team may send."""
import pytest

from csirt.alerts import intake
from csirt.alerts.models import Alert
from csirt.audit.models import AuditLog
from csirt.errors import Forbidden
from csirt.incidents.models import Incident
from tests.conftest import recorded_statements

from . import intake_support
from .intake_support import alert

# the shared fixtures, made this module's
frozen, inventory, playbooks = intake_support.frozen, intake_support.inventory, intake_support.playbooks


@pytest.fixture
def responder(make):
    return make.user("responder")


def _count(db, model):
    db.session.expire_all()
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar()


def test_the_same_alert_sent_twice_is_stored_once_and_answers_duplicate(db, playbooks, frozen, responder):
    first = intake.ingest(responder, [alert()])
    again = intake.ingest(responder, [alert()])
    assert [o.status for o in first] == ["opened"] and first[0].created
    assert again[0].status == "duplicate" and not again[0].created
    assert (again[0].alert_id, again[0].incident_id, again[0].incident_reference) == \
        (first[0].alert_id, first[0].incident_id, first[0].incident_reference)
    assert _count(db, Alert) == 1 and _count(db, Incident) == 1


def test_an_alert_repeated_inside_one_batch_is_one_row(db, playbooks, frozen, responder):
    outcomes = intake.ingest(responder, [alert(), alert(), alert(fingerprint="fp-2")])
    assert [o.status for o in outcomes] == ["opened", "duplicate", "joined"]
    assert outcomes[0].alert_id == outcomes[1].alert_id != outcomes[2].alert_id
    assert _count(db, Alert) == 2


def test_a_resolution_and_a_new_firing_time_are_new_alerts_not_duplicates(db, playbooks, frozen, responder):
    from datetime import timedelta

    intake.ingest(responder, [alert()])
    outcomes = intake.ingest(responder, [alert(status="resolved"), alert(occurred_at=frozen + timedelta(minutes=5))])
    assert [o.created for o in outcomes] == [True, True]
    assert _count(db, Alert) == 3


def test_an_alert_no_playbook_matches_is_stored_without_an_incident(db, playbooks, frozen, responder):
    [outcome] = intake.ingest(responder, [alert(source="nobody-knows", format="generic")])
    assert outcome.status == "unmatched" and outcome.incident_id is None
    row = db.session.get(Alert, outcome.alert_id)
    assert row.playbook_id is None and row.incident_id is None and row.route["playbook"] is None


def test_stored_alert_keeps_its_fields_the_playbook_and_the_decision_summary(db, playbooks, frozen, responder,
                                                                           inventory):
    [outcome] = intake.ingest(responder, [alert(raw={"rule": {"id": "31106"}})])
    row = db.session.get(Alert, outcome.alert_id)
    assert (row.source, row.severity, row.status, row.host, row.labels) == \
        ("wazuh", "high", "firing", "portal-web01", {"rule_id": "31106"})
    assert row.raw == {"rule": {"id": "31106"}} and row.reporter_id == responder.id
    assert (row.server_id, row.agency_id) == (inventory["server"].id, inventory["agency"].id)
    assert row.playbook_id == "web-attack" and row.playbook_version == playbooks.get("web-attack").version
    route = row.route
    assert route["outcome"] == "opened" and len(route["group_key"]) == 64
    assert route["actions"] == ["assign", "tasks", "clocks", "note", "link_affected", "notify", "escalate"]
    assert route["notify"] == [{"playbook": "web-attack", "to": [{"kind": "assignee", "value": None},
                                                                 {"kind": "role", "value": "manager"}],
                                "channels": ["email", "telegram"], "on": ["opened", "resolved"]}]
    assert route["escalate"] == [{"playbook": "web-attack", "after": 900, "to": [{"kind": "rotation",
                                                                                 "value": "secondary"}],
                                  "channels": ["telegram"]}]
    assert ["rotation_nobody", "primary"] in route["notes"]


def test_hosts_are_found_by_name_in_any_case_and_by_address(db, playbooks, frozen, responder, inventory):
    outcomes = intake.ingest(responder, [alert(host="PORTAL-Web01", fingerprint="a"),
                                         alert(host="2001:DB8:0::5", fingerprint="b", labels={"rule_id": "2"}),
                                         alert(host="10.0.0.5", fingerprint="c", labels={"rule_id": "3"}),
                                         alert(host="unknown.example", fingerprint="d")])
    rows = [db.session.get(Alert, o.alert_id) for o in outcomes]
    assert [r.server_id for r in rows] == [inventory["server"].id] * 3 + [None]
    incident = db.session.get(Incident, outcomes[1].incident_id)
    assert incident.agency_id == inventory["agency"].id
    assert [s.code for s in incident.systems] == ["CONG-DVC"]
    assert [s.hostname for s in incident.servers] == ["portal-web01"]
    assert "CONG-DVC" in incident.description


def test_a_batch_about_three_hosts_looks_the_inventory_up_once(app, db, playbooks, frozen, responder, inventory):
    from csirt.alerts.context import HostLookup

    hosts = ["portal-web01", "10.0.0.9", "unknown.example"]
    lookup = HostLookup()
    with recorded_statements(db.engine) as seen:
        lookup.prime(hosts * 34)
        contexts = [lookup.context(h) for h in hosts * 34]
    server_queries = [s for s in seen if "FROM server" in s]
    assert len(server_queries) == 1, seen
    assert len(seen) <= 2  # the servers, then the systems of those found
    assert contexts[0].server == "portal-web01" and contexts[0].system == ("CONG-DVC",)
    assert contexts[0].system_level == 3 and contexts[0].agency == "PORTAL"
    assert contexts[1].server == "mail01" and contexts[1].system == () and contexts[1].system_level == 0
    assert contexts[2].server == "" and contexts[2].agency == ""


def test_one_audit_entry_per_call_with_the_counts(db, playbooks, frozen, responder):
    intake.ingest(responder, [alert(), alert(fingerprint="fp-2"), alert(source="other", format="generic")],
                  via="api:wazuh")
    intake.ingest(responder, [alert()])
    entries = db.session.execute(db.select(AuditLog).where(AuditLog.action == "alerts.ingest")
                                 .order_by(AuditLog.id)).scalars().all()
    assert len(entries) == 2
    assert entries[0].after == {"received": 3, "new": 3, "via": "api:wazuh", "opened": 1, "joined": 1,
                                "unmatched": 1}
    assert entries[1].after == {"received": 1, "new": 0, "via": "api", "duplicate": 1}
    assert entries[0].actor_id == responder.id


@pytest.mark.parametrize("role", ["member", "manager"])
def test_only_the_response_team_may_send_alerts(db, make, playbooks, role):
    with pytest.raises(Forbidden):
        intake.ingest(make.user(role), [alert()])
    assert _count(db, Alert) == 0


def test_the_system_actor_can_send_alerts_of_csirts_own_checks(db, playbooks, frozen):
    from csirt.incidents.from_alerts import system_actor

    actor = system_actor()
    db.session.commit()
    # inactive on purpose (nobody signs in as it): in-process senders pass it to ingest all the same
    [outcome] = intake.ingest(actor, [alert()], via="check")
    assert outcome.status == "opened"


def test_a_race_on_insert_is_retried_once(db, playbooks, frozen, responder, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    real, calls = intake._ingest, []

    def flaky(*args):
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("INSERT", {}, Exception("duplicate key"))
        return real(*args)

    monkeypatch.setattr(intake, "_ingest", flaky)
    [outcome] = intake.ingest(responder, [alert()])
    assert len(calls) == 2 and outcome.status == "opened"


def test_joining_alerts_mark_their_incident_updated_once_a_minute(db, playbooks, frozen, responder):
    """In an alert storm each joining alert rewrote the incident's row (and its indexes): the
    timeline gets every alert, the incident's updated_at moves when it is a minute old or more."""
    from datetime import timedelta

    from csirt import clock
    from csirt.incidents.from_alerts import TOUCH_EVERY
    from csirt.incidents.models import TimelineEntry

    [opened] = intake.ingest(responder, [alert()])
    incident = db.session.get(Incident, opened.incident_id)
    created = incident.updated_at
    for seconds, fingerprint in ((30, "fp-2"), (59, "fp-3")):
        with clock.moved_to(frozen + timedelta(seconds=seconds)):
            assert intake.ingest(responder, [alert(fingerprint=fingerprint)])[0].status == "joined"
    db.session.expire_all()
    assert db.session.get(Incident, opened.incident_id).updated_at == created  # less than a minute old
    later = frozen + TOUCH_EVERY
    with clock.moved_to(later):
        assert intake.ingest(responder, [alert(fingerprint="fp-4")])[0].status == "joined"
    db.session.expire_all()
    assert db.session.get(Incident, opened.incident_id).updated_at == later
    entries = db.session.execute(db.select(TimelineEntry.data).where(
        TimelineEntry.incident_id == opened.incident_id, TimelineEntry.kind == "alert")).scalars().all()
    assert len(entries) == 4  # every alert on the timeline, touched or not


def test_a_joining_alert_is_written_in_few_statements(db, playbooks, frozen, responder):
    """Joining an open incident: the alert's INSERT, the group's lock, then the rest (its incident
    and summary, the timeline entry, the group, the audit entry) in one statement on PostgreSQL."""
    intake.ingest(responder, [alert()])
    intake.ingest(responder, [alert(fingerprint="fp-1")])
    assert responder.id  # loaded again after the commit, as an API request's user needs not be
    with recorded_statements(db.engine) as seen:
        [outcome] = intake.ingest(responder, [alert(fingerprint="fp-2")])
    assert outcome.status == "joined"
    sent = [s.split()[0] for s in seen if not s.lstrip().upper().startswith(("BEGIN", "COMMIT"))
            and "FROM server" not in s]  # the host's lookup: the tests keep no host cache (a worker does)
    if db.session.get_bind().dialect.name == "postgresql":
        assert sent == ["INSERT", "SELECT", "WITH"], seen
    else:  # the alert, the group, the timeline entry, the group's state, the alert's incident, the audit
        assert sent == ["INSERT", "SELECT", "INSERT", "UPDATE", "UPDATE", "INSERT"], seen
