"""The province's playbooks as shipped in playbooks/: they load through the real loader without an
error, are written in both languages, keep their order (serious twins first, the catch-all last),
and route the alerts they were written for to the right playbook with the right incident."""
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from csirt.alerts.canonical import Alert, Context
from csirt.alerts.playbooks.registry import load_dir
from csirt.alerts.playbooks.templates import variables
from csirt.alerts.routing import route
from csirt.rules import keys

from . import intake_support

frozen, inventory = intake_support.frozen, intake_support.inventory  # fixtures

FOLDER = Path(__file__).resolve().parents[2] / "playbooks"
REQUIRED = ("web-defacement", "malware-server", "ransomware", "ddos-portal", "phishing", "unauthorized-access",
            "data-leak", "check-firewall-drift", "check-antivirus", "check-agent-silent",
            "check-certificate-expiring", "check-portal-down", "triage-catch-all")
CHECKS = {"check-firewall-drift": "firewall", "check-antivirus": "antivirus", "check-agent-silent": "agent",
          "check-certificate-expiring": "tls", "check-portal-down": "portal"}
REPORT_CLOCKS = {keys.INCIDENT_NOTICE, keys.INCIDENT_INITIAL_REPORT, keys.INCIDENT_REPORT}


@pytest.fixture(scope="module")
def shipped():
    return load_dir(FOLDER)


def _actions(book, name):
    return [action.value for action in book.actions if action.name == name]


def _steps(book):
    return [step for steps in _actions(book, "tasks") for step in steps]


def _both_languages(text):
    return bool(text.vi.strip()) and bool(text.en.strip()) and text.vi != text.en


def test_the_shipped_folder_loads_without_an_error(shipped):
    assert [str(error) for error in shipped.errors] == []
    files = sorted(p for p in FOLDER.iterdir() if p.suffix == ".yaml")
    assert len(shipped.playbooks) == len(files)


def test_every_required_playbook_is_shipped(shipped):
    missing = [playbook_id for playbook_id in REQUIRED if shipped.get(playbook_id) is None]
    assert missing == []


def test_every_playbook_is_written_in_vietnamese_and_english(shipped):
    for book in shipped.playbooks:
        assert _both_languages(book.title), book.id
        assert _both_languages(book.description), book.id
        assert _both_languages(book.incident.title.source), book.id
        steps = _steps(book)
        assert steps, book.id
        for step in steps:
            assert _both_languages(step.title), (book.id, step.key)
            assert _both_languages(step.detail), (book.id, step.key)


def test_every_playbook_but_the_catch_all_gives_four_to_eight_steps_with_owners_and_due_times(shipped):
    for book in shipped.playbooks[:-1]:
        steps = _steps(book)
        assert 4 <= len(steps) <= 8, book.id
        assert all(step.owner_role and step.due for step in steps), book.id
        assert len({step.key for step in steps}) == len(steps), book.id


def test_security_playbooks_have_required_steps(shipped):
    for book in shipped.playbooks:
        if book.id not in CHECKS and book.id != "portal-outage":
            assert any(step.required for step in _steps(book)), book.id


def test_the_catch_all_is_last_matches_everything_and_goes_to_the_coordinator(shipped):
    last = shipped.playbooks[-1]
    assert last.id == "triage-catch-all" and last.order == 10000
    assert all(book.order < last.order for book in shipped.playbooks[:-1])
    assert last.match.sources is None
    assert (last.incident.category, last.incident.priority.pick("critical")) == ("other", "P4")
    assert [(c.kind, c.value) for c in _actions(last, "assign")[0]] == [("role", "coordinator")]
    assert [step.key for step in _steps(last)] == ["triage"]


def test_at_most_one_playbook_continues(shipped):
    assert sum(1 for book in shipped.playbooks if book.cont) <= 1


def test_serious_twins_are_tried_before_their_ordinary_playbook(shipped):
    for book in shipped.playbooks:
        if book.id.endswith("-serious"):
            ordinary = shipped.get(book.id[:-len("-serious")])
            assert ordinary is not None and book.order < ordinary.order, book.id


def test_serious_incidents_start_the_report_clocks_and_escalate_to_the_manager(shipped):
    for book in shipped.playbooks:
        clocks = {key for value in _actions(book, "clocks") for key in value}
        assert clocks <= set(keys.ALL), book.id
        serious = book.incident.severity.default == "serious" and not book.incident.severity.by_severity
        if not serious:
            assert not clocks, book.id
            continue
        assert clocks == REPORT_CLOCKS, book.id
        ladder = [target for value in _actions(book, "escalate") for step in value for target in step.to]
        assert ("role", "manager") in [(t.kind, t.value) for t in ladder], book.id
        assert "report" in [step.key for step in _steps(book)], book.id


def test_every_playbook_assigns_the_primary_rotation_first_except_the_catch_all(shipped):
    for book in shipped.playbooks[:-1]:
        candidates = _actions(book, "assign")[0]
        first = candidates[0]
        assert (first.kind, first.value, first.layer) == ("rotation", "responders", None), book.id
        assert candidates[-1].kind == "role", book.id


def test_check_playbooks_group_by_server_and_close_when_the_check_passes(shipped):
    for playbook_id, check in CHECKS.items():
        book = shipped.get(playbook_id)
        assert book.match.sources == frozenset({"check"})
        assert book.group.by == ("labels.check", "labels.server")
        assert book.group.on_resolved == "close" and book.group.window.days >= 7
        assert book.incident.severity.pick("critical") == "ordinary"
        assert not any(step.required for step in _steps(book)), playbook_id  # nothing holds it open


def _alert(source, severity, title, host="", **labels):
    return Alert(source=source, severity=severity, status="firing", title=title, fingerprint="f" * 64,
                 occurred_at=datetime(2026, 12, 3, 8, 0), host=host, labels=labels, description="log line")


PORTAL3 = Context(agency="VPUBND", system=("PORTAL",), system_level=3, server="dc-web-01")
SUBPORTALS2 = Context(agency="STTTT", system=("SUBPORTALS",), system_level=2, server="dc-web-02")
DATABASE4 = Context(agency="STTTT", system=("CSDLDC",), system_level=4, server="dc-db-01")
UNKNOWN = Context()
SYSCHECK = "ossec,syscheck,syscheck_entry_modified,syscheck_file"

ROUTED = [
    ("check-firewall-drift", _alert("check", "high", "Ports outside the baseline", "127.0.10.12", check="firewall",
                                    server="dc-web-01", ports="8080/tcp"), PORTAL3),
    ("check-antivirus", _alert("check", "medium", "Antivirus", "127.0.10.12", check="antivirus", server="dc-web-01"),
     PORTAL3),
    ("check-agent-silent", _alert("check", "medium", "Agent", "", check="agent", server="dc-vc-01"), UNKNOWN),
    ("check-certificate-expiring", _alert("check", "low", "TLS", "", check="tls", server="dc-web-01"), PORTAL3),
    ("check-portal-down", _alert("check", "critical", "Portal", "", check="portal", server="dc-igate-01"), PORTAL3),
    ("ransomware", _alert("wazuh", "critical", "File added to the system.", "127.0.10.5", rule_id="554",
                          rule_groups="ossec,syscheck,syscheck_entry_added,syscheck_file",
                          syscheck_path="D:\\Share\\HOW_TO_DECRYPT.txt"), DATABASE4),
    ("ransomware", _alert("kaspersky", "high", "Trojan-Ransom.Win32.Phobos", "127.0.10.6", kind="ransomware"),
     UNKNOWN),
    ("web-defacement-serious", _alert("wazuh", "high", "Defacement", "127.0.20.4", rule_id="100310",
                                      rule_groups="local,web,defacement"), PORTAL3),
    ("web-defacement", _alert("wazuh", "low", "Integrity checksum changed.", "127.0.20.4", rule_id="550",
                              rule_groups=SYSCHECK, syscheck_path="/var/www/html/index.php"), PORTAL3),
    ("web-defacement", _alert("alertmanager", "critical", "Content mismatch", "sotttt.laocai.example",
                              alertname="PortalContentCheckFailed"), SUBPORTALS2),
    ("malware-server-serious", _alert("wazuh", "high", "VirusTotal: Alert", "127.0.10.3", rule_id="87105",
                                      rule_groups="virustotal"), DATABASE4),
    ("malware-server", _alert("wazuh", "high", "VirusTotal: Alert", "127.0.10.3", rule_id="87105",
                              rule_groups="virustotal"), PORTAL3),
    ("malware-server", _alert("wazuh", "low", "Host-based anomaly detection event (rootcheck).", "127.0.10.3",
                              rule_id="510", rule_groups="ossec,rootcheck"), PORTAL3),
    ("ddos-portal-serious", _alert("alertmanager", "critical", "High request rate", "dichvucong.laocai.example",
                                   alertname="HighRequestRate"), PORTAL3),
    ("ddos-portal", _alert("alertmanager", "high", "High request rate", "sotttt.laocai.example",
                           alertname="HighRequestRate"), SUBPORTALS2),
    ("portal-outage", _alert("alertmanager", "critical", "Portal down", "dichvucong.laocai.example",
                             alertname="PortalDown"), PORTAL3),
    ("unauthorized-access-serious", _alert("wazuh", "high", "Administrators Group Changed", "127.0.10.6",
                                           rule_id="60154",
                                           rule_groups="windows,windows_security,group_changed,win_group_changed"),
     PORTAL3),
    ("unauthorized-access", _alert("wazuh", "medium", "Multiple authentication failures followed by a success.",
                                   "127.0.10.8", rule_id="40112", rule_groups="syslog,attack,authentication_success"),
     PORTAL3),
    ("unauthorized-access", _alert("wazuh", "medium", "sshd: brute force", "127.0.10.8", rule_id="5712",
                                   rule_groups="syslog,sshd,authentication_failures"), PORTAL3),
    ("data-leak-serious", _alert("manual", "high", "Hồ sơ bệnh nhân trên diễn đàn", kind="data_leak"), UNKNOWN),
    ("data-leak", _alert("dlp", "medium", "Policy CCCD matched", "127.0.30.5", kind="data_leak", policy="CCCD"),
     UNKNOWN),
    ("phishing", _alert("manual", "medium", "Thư giả mạo Kho bạc", kind="phishing", sender="kbnn@kbnn.example"),
     UNKNOWN),
    # Routine events stay out of the security playbooks and reach triage.
    ("triage-catch-all", _alert("wazuh", "info", "VirusTotal: Alert - No positives found", "127.0.10.3",
                                rule_id="87103", rule_groups="virustotal"), PORTAL3),
    ("triage-catch-all", _alert("wazuh", "info", "sshd: authentication success.", "127.0.10.8", rule_id="5715",
                                rule_groups="syslog,sshd,authentication_success"), PORTAL3),
    ("triage-catch-all", _alert("wazuh", "low", "Integrity checksum changed.", "127.0.20.4", rule_id="550",
                                rule_groups=SYSCHECK, syscheck_path="/etc/hosts"), PORTAL3),
    ("triage-catch-all", _alert("alertmanager", "medium", "Disk almost full", "dc-db-01",
                                alertname="HostOutOfDiskSpace"), DATABASE4),
]


@pytest.mark.parametrize("expected, alert, context", ROUTED,
                         ids=[f"{i}-{case[0]}" for i, case in enumerate(ROUTED)])
def test_an_alert_reaches_the_playbook_written_for_it(shipped, expected, alert, context):
    decision = route(alert, shipped, context)
    assert decision.playbook is not None and decision.playbook.id == expected
    assert decision.extra == ()
    spec = decision.playbook.incident
    values = variables(alert, context)
    for locale in ("vi", "en"):
        title = spec.title.render(locale, values)
        assert title.strip() and "{{" not in title
    assert spec.severity.pick(alert.severity) == ("serious" if expected.endswith("-serious") or
                                                  expected == "ransomware" else "ordinary")


def test_a_wazuh_group_is_matched_as_a_whole_word(shipped):
    """A group name inside a longer one (`syscheck_file`, `defacement_test`) is not that group."""
    for groups in ("ossec,syscheck_file", "local,defacement_test"):
        alert = _alert("wazuh", "high", "Web root", "127.0.20.4", rule_id="100399", rule_groups=groups,
                       syscheck_path="/var/www/html/index.php")
        assert route(alert, shipped, PORTAL3).playbook.id == "triage-catch-all", groups


def test_a_serious_alert_through_the_intake_opens_the_incident_the_shipped_playbook_describes(
        app, db, make, frozen, inventory):
    """End to end with the shipped folder: a critical Wazuh defacement alert about a server of a
    level-3 system opens a serious defacement incident with its steps and the reporting clocks."""
    from csirt.alerts import intake
    from csirt.alerts.playbooks import registry
    from csirt.incidents.models import Incident, IncidentClock, Task

    app.config["CSIRT_PLAYBOOKS_DIR"] = str(FOLDER)
    assert not registry.current(app).errors
    responder = make.user("responder")
    make.user("coordinator")
    sent = _alert("wazuh", "critical", "Web page defaced", "portal-web01", rule_id="100310",
                  rule_groups="local,web,defacement")
    [outcome] = intake.ingest(responder, [sent])
    assert outcome.status == "opened"
    incident = db.session.get(Incident, outcome.incident_id)
    assert incident.playbook_id == "web-defacement-serious"
    assert (incident.category, incident.severity, incident.priority) == ("defacement", "serious", "P1")
    assert incident.agency_id == inventory["agency"].id
    assert incident.title == "Trang web hệ thống CONG-DVC trên portal-web01 bị thay đổi giao diện"
    tasks = db.session.execute(db.select(Task).where(Task.incident_id == incident.id)).scalars().all()
    book = registry.current(app).get("web-defacement-serious")
    assert sorted(t.step_key for t in tasks) == sorted(step.key for step in _steps(book))
    clocks = db.session.execute(db.select(IncidentClock.key).where(IncidentClock.incident_id == incident.id))
    # incident.initial_report exists only under the 2017 regime; the 2026 one (in force here) has none
    assert {keys.INCIDENT_NOTICE, keys.INCIDENT_REPORT} <= set(clocks.scalars()) <= REPORT_CLOCKS


def test_a_failed_check_opens_an_incident_that_closes_when_the_check_passes(app, db, make, frozen, inventory):
    from csirt.alerts import intake
    from csirt.incidents.models import Incident

    app.config["CSIRT_PLAYBOOKS_DIR"] = str(FOLDER)
    responder = make.user("responder")
    failed = _alert("check", "high", "Firewall drift", "portal-web01", check="firewall", server="portal-web01",
                    ports="8080/tcp")
    [opened] = intake.ingest(responder, [failed])
    incident = db.session.get(Incident, opened.incident_id)
    assert (incident.playbook_id, incident.severity, incident.status) == ("check-firewall-drift", "ordinary", "new")
    intake.ingest(responder, [replace(failed, status="resolved")])
    db.session.expire_all()
    assert db.session.get(Incident, opened.incident_id).status == "closed"
