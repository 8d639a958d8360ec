"""The playbook pages: the list with its load errors, a playbook in readable form, and the
"try an alert" dry run, which must write nothing."""
import json
import re
import textwrap
from datetime import timedelta

import pytest

from csirt.extensions import db as _db
from tests.conftest import csrf_from

from . import intake_support, pages_support
from .pages_support import BOOKS, alert, store, write_playbooks

# the fixtures this module uses (assigned, not imported, so that test arguments do not shadow imports)
frozen, inventory = intake_support.frozen, intake_support.inventory
books, people = pages_support.books, pages_support.people

WAZUH = {
    "timestamp": "2026-12-03T14:55:00.000+0700",
    "rule": {"level": 12, "id": "31106", "description": "Web shell upload on <b>portal</b>",
             "groups": ["web", "attack"]},
    "agent": {"id": "003", "name": "portal-web01", "ip": "10.0.0.5"},
    "manager": {"name": "wazuh-manager"},
    "decoder": {"name": "web-accesslog"},
    "location": "/var/log/nginx/access.log",
    "full_log": "POST /upload.php HTTP/1.1",
}
ALERTMANAGER = {
    "version": "4", "status": "firing", "receiver": "csirt", "groupKey": "{}:{alertname=\"Down\"}",
    "alerts": [{"status": "firing", "labels": {"alertname": "Down", "instance": "portal-web01:443",
                                               "severity": "critical"},
                "annotations": {"summary": "portal-web01 is down"}, "startsAt": "2026-12-03T07:50:00Z",
                "fingerprint": "abc123"}],
}


def _login(auth, user):
    assert auth.login(user).status_code == 302


def _counts(db):
    """The number of rows of every table."""
    return {t.name: db.session.execute(db.select(db.func.count()).select_from(t)).scalar()
            for t in _db.metadata.sorted_tables}


def _try(client, payload, fmt="auto"):
    token = csrf_from(client.get("/playbooks").get_data(as_text=True))
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post("/playbooks/try", data={"payload": text, "format": fmt, "csrf_token": token})


# --- the list and one playbook ----------------------------------------------------------------

def test_playbook_list_shows_each_playbook_in_order_with_its_version(client, auth, people, books):
    _login(auth, people.users["responder"])
    html = client.get("/playbooks").get_data(as_text=True)
    assert re.findall(r'<tr data-playbook="([^"]+)"', html) == ["web-attack", "uptime", "single", "manual-report"]
    assert books.version[:12] in html
    assert "Tấn công web" in html  # the title in the reader's language (Vietnamese by default)
    assert "nguồn" in html or "source" in html
    assert 'id="try-form"' in html


def test_playbook_list_shows_load_errors_to_admins_and_coordinators_only(app, client, auth, people, tmp_path):
    folder = tmp_path / "with-errors"
    folder.mkdir()
    for name, text in BOOKS.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    (folder / "broken.yaml").write_text("id: broken\ntitle: x\nmatch:\n  all: ['source=~\"(\"']\n", encoding="utf-8")
    app.config["CSIRT_PLAYBOOKS_DIR"] = str(folder)
    for role, shown in (("admin", True), ("coordinator", True), ("responder", False), ("manager", False)):
        fresh = app.test_client()
        from tests.conftest import Auth
        _login(Auth(fresh), people.users[role])
        html = fresh.get("/playbooks").get_data(as_text=True)
        assert ('id="load-errors"' in html) is shown, role
        assert ("broken.yaml:" in html) is shown, role
        assert ('id="load-errors-hidden"' in html) is (not shown), role


def test_playbook_page_reads_like_a_procedure_not_yaml(client, auth, people, books):
    _login(auth, people.users["manager"])
    client.post("/lang", data={"lang": "en", "csrf_token": csrf_from(client.get("/playbooks").get_data(
        as_text=True))})
    html = client.get("/playbooks/web-attack").get_data(as_text=True)
    assert 'id="playbook-title">Web attack<' in html
    assert "the source is &#34;wazuh&#34;" in html
    assert "1 h" in html and "the host" in html  # grouping: window and fields
    assert "Isolate the server" in html and "Cut the <strong>network</strong>" in html  # Markdown rendered
    assert "task-required" in html
    assert "Incident notice" in html  # the clock's label, not its key only
    assert re.search(r"after 15 min</strong> → the on-call person of the &#34;secondary&#34; rotation by Telegram",
                     html)
    assert "Serious when critical; otherwise Ordinary" in html
    assert '<details><summary>' in html and "on_resolved: note" in html  # the file, shown escaped


def test_unknown_playbook_is_404_and_the_yaml_is_escaped(app, client, auth, people, tmp_path):
    folder = tmp_path / "evil"
    evil = BOOKS["single.yaml"].replace('title: "Mỗi cảnh báo một sự cố"', 'title: "<script>x()</script>"')
    write_playbooks(app, folder, {"single.yaml": evil})
    _login(auth, people.users["coordinator"])
    assert client.get("/playbooks/nope").status_code == 404
    html = client.get("/playbooks/single").get_data(as_text=True)
    assert "<script>x()" not in html and "&lt;script&gt;x()" in html


@pytest.mark.parametrize("role", ["member_own", "member_other"])
def test_liaisons_may_not_read_playbooks_nor_try_alerts(client, auth, people, books, role, db):
    _login(auth, people.users[role])
    assert client.get("/playbooks").status_code == 403
    assert client.get("/playbooks/web-attack").status_code == 403
    assert client.get("/playbooks/try").status_code == 403
    token = csrf_from(client.get("/alerts").get_data(as_text=True))
    assert client.post("/playbooks/try", data={"payload": "{}", "format": "auto", "csrf_token": token}
                       ).status_code == 403
    assert 'id="nav-playbooks"' not in client.get("/alerts").get_data(as_text=True)


# --- the dry run ------------------------------------------------------------------------------

def test_trying_a_wazuh_alert_shows_the_match_the_reasons_and_the_plan_and_writes_nothing(
        client, auth, people, books, frozen, db):
    _login(auth, people.users["coordinator"])
    before = _counts(db)
    response = _try(client, WAZUH)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[-2000:]
    assert _counts(db) == before
    assert 'data-outcome="open" data-playbook="web-attack"' in html
    assert re.search(r'data-playbook="uptime" data-matched="no"', html)
    assert "alertmanager" in html  # the reason names the source it wanted
    assert "Tấn công web vào 10.0.0.5" in html  # the title, rendered (Wazuh: the agent's address)
    assert people.agency.name in html
    assert "Cô lập máy chủ" in html and "Ngắt <strong>mạng</strong>" in html
    assert "CONG-DVC" in html  # link_affected: the host's system
    assert "Telegram" in html
    assert "<b>portal</b>" not in html


def test_trying_an_alert_of_an_open_group_says_it_would_join_that_incident(client, auth, people, books, frozen, db):
    first, = store(people.users["coordinator"],
                   alert(fingerprint="fp-a", host="10.0.0.5", labels={"rule_id": "31106"}))
    _login(auth, people.users["responder"])
    before = _counts(db)
    html = _try(client, WAZUH, "wazuh").get_data(as_text=True)
    assert _counts(db) == before
    assert 'data-outcome="join"' in html
    assert first.incident_reference in html


def test_trying_an_alertmanager_payload_detects_the_format(client, auth, people, books, frozen, db):
    _login(auth, people.users["manager"])
    before = _counts(db)
    html = _try(client, ALERTMANAGER).get_data(as_text=True)
    assert _counts(db) == before
    assert 'data-playbook="uptime"' in html
    assert "alertmanager" in html


def test_an_alert_no_playbook_takes_is_shown_as_unmatched_with_every_reason(client, auth, people, books, frozen):
    _login(auth, people.users["coordinator"])
    html = _try(client, {"source": "elsewhere", "title": "x", "severity": "low"}, "generic").get_data(as_text=True)
    assert 'data-outcome="nothing" data-playbook=""' in html and "try-unmatched" in html
    assert len(re.findall(r'data-matched="no"', html)) == 4


@pytest.mark.parametrize("payload, fmt, expected", [
    ("{not json", "auto", "JSON"),
    (json.dumps({"title": "x", "severity": "high"}), "generic", "source"),
    (json.dumps({"source": "x", "title": "x", "severity": "apocalyptic"}), "generic", "severity"),
    (json.dumps([]), "generic", ""),
    (json.dumps({"rule": {"level": "high"}}), "wazuh", "rule.level"),
])
def test_a_bad_payload_shows_the_form_again_with_the_error_and_400(client, auth, people, books, db, payload, fmt,
                                                                    expected):
    _login(auth, people.users["coordinator"])
    before = _counts(db)
    response = _try(client, payload, fmt)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "try-error" in html and expected in html
    assert "Traceback" not in html
    assert _counts(db) == before


def test_the_try_box_needs_the_csrf_token(client, auth, people, books):
    _login(auth, people.users["coordinator"])
    assert client.post("/playbooks/try", data={"payload": json.dumps(WAZUH), "format": "auto"}).status_code == 400


def test_a_hostile_pasted_alert_stays_text(client, auth, people, books, frozen):
    _login(auth, people.users["coordinator"])
    evil = "<script>alert(1)</script>"
    html = _try(client, {"source": "wazuh", "title": evil, "severity": "high", "host": evil,
                         "labels": {"rule_id": evil}}, "generic").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_trying_the_resolution_of_a_grouped_alert_says_it_would_close_the_incident(client, auth, people, books,
                                                                                   frozen, db):
    labels = {"alertname": "Down", "instance": "portal-web01:443", "severity": "critical"}
    firing, = store(people.users["coordinator"], alert(
        source="alertmanager", format="alertmanager", fingerprint="abc123", labels=labels, title="down",
        occurred_at=frozen - timedelta(minutes=10)))
    resolved = {**ALERTMANAGER, "status": "resolved",
                "alerts": [{**ALERTMANAGER["alerts"][0], "status": "resolved", "endsAt": "2026-12-03T07:58:00Z"}]}
    _login(auth, people.users["coordinator"])
    before = _counts(db)
    html = _try(client, resolved).get_data(as_text=True)
    assert _counts(db) == before
    assert 'data-outcome="resolve"' in html and firing.incident_reference in html
    assert "try-would-close" in html


def test_readable_words_of_durations_conditions_and_formats(app):
    from flask_babel import force_locale

    from csirt.alerts import display
    from csirt.alerts.forms import detect_format
    with app.test_request_context(), force_locale("en"):
        assert display.duration(timedelta(minutes=90)) == "1 h 30 min"
        assert display.duration(timedelta(days=8)) == "1 week 1 day"
        assert display.item_words('{team="", env!="", source="wazuh"}') == \
            'label "team" is empty or absent and label "env" is present and the source is "wazuh"'
        assert display.item_words({"field": "severity", "gte": "high"}) == 'the severity is at least "high"'
        assert display.item_brief('rule_groups=~"(.*[^a-z_])?(web)([^a-z_].*)?"') == \
            'label "rule_groups" matches a pattern'
        assert display.match_summary(None)["every"] is True
    assert detect_format(ALERTMANAGER) == "alertmanager"
    assert detect_format(WAZUH) == "wazuh"
    assert detect_format({"source": "x", "title": "y"}) == "generic"
    assert detect_format([{"rule": {}}]) == "generic"
