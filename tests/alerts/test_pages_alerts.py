"""The alert pages: the list (scoping, filters, pages), an alert's page, and the form that reports
an alert by hand."""
import re
from datetime import timedelta

import pytest

from csirt.alerts.models import Alert as AlertRow
from csirt.alerts.normalise.fingerprint import compute
from csirt.incidents.models import Incident, Task
from tests.conftest import csrf_from

from . import intake_support, pages_support
from .intake_support import NOW
from .pages_support import alert, store

# the fixtures this module uses (assigned, not imported, so that test arguments do not shadow imports)
frozen, inventory = intake_support.frozen, intake_support.inventory
books, people = pages_support.books, pages_support.people


def _login(auth, user):
    assert auth.login(user).status_code == 302


def _rows(html):
    """The alert ids listed in the table, in order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [int(i) for i in re.findall(r'data-alert="(\d+)"', body)]


@pytest.fixture
def stored(books, people, frozen):
    """Three alerts: one on the PORTAL server (opens an incident), one on an unknown host (triage),
    one that no playbook takes."""
    actor = people.users["coordinator"]
    on_portal, = store(actor, alert(fingerprint="fp-portal", title="Web shell trên cổng"))
    unknown, = store(actor, alert(fingerprint="fp-unknown", host="ghost.example", severity="critical",
                                  labels={"rule_id": "999"}, title="Tấn công máy lạ"))
    unmatched, = store(actor, alert(source="nobody-knows", format="generic", fingerprint="fp-none", host="",
                                    severity="low", status="firing", title="Không ai nhận"))
    return {"portal": on_portal, "unknown": unknown, "unmatched": unmatched}


def test_team_sees_every_alert_newest_first_with_incident_or_unmatched(client, auth, people, stored):
    _login(auth, people.users["responder"])
    response = client.get("/alerts")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _rows(html) == [stored["unmatched"].alert_id, stored["unknown"].alert_id, stored["portal"].alert_id]
    assert stored["portal"].incident_reference in html
    assert f'/incidents/{stored["portal"].incident_id}' in html
    assert 'class="badge text-bg-secondary unmatched"' in html
    assert 'id="new-alert"' in html


def test_liaison_sees_only_the_alerts_of_their_agency(client, auth, people, stored):
    _login(auth, people.users["member_own"])
    html = client.get("/alerts").get_data(as_text=True)
    assert _rows(html) == [stored["portal"].alert_id]
    assert 'id="new-alert"' not in html
    assert client.get(f'/alerts/{stored["portal"].alert_id}').status_code == 200
    assert client.get(f'/alerts/{stored["unknown"].alert_id}').status_code == 404


def test_another_agency_liaison_sees_no_alert_and_a_hidden_one_answers_like_a_missing_one(client, auth, people,
                                                                                             stored):
    _login(auth, people.users["member_other"])
    assert _rows(client.get("/alerts").get_data(as_text=True)) == []
    hidden = client.get(f'/alerts/{stored["portal"].alert_id}')
    missing = client.get("/alerts/987654")
    assert hidden.status_code == missing.status_code == 404
    assert "Web shell" not in hidden.get_data(as_text=True)


@pytest.mark.parametrize("query, expected", [
    ({"severity": "critical"}, ["unknown"]),
    ({"status": "firing", "source": "nobody-knows"}, ["unmatched"]),
    ({"source": "WAZUH"}, ["unknown", "portal"]),
    ({"incident": "none"}, ["unmatched"]),
])
def test_list_filters(client, auth, people, stored, query, expected):
    _login(auth, people.users["manager"])
    html = client.get("/alerts", query_string=query).get_data(as_text=True)
    assert _rows(html) == [stored[name].alert_id for name in expected]


def test_list_filters_by_incident_reference_or_id(client, auth, people, stored):
    _login(auth, people.users["coordinator"])
    reference = stored["portal"].incident_reference
    for value in (reference, reference.lower(), str(stored["portal"].incident_id)):
        assert _rows(client.get("/alerts", query_string={"incident": value}).get_data(as_text=True)) == \
            [stored["portal"].alert_id]
    html = client.get("/alerts", query_string={"incident": "SC-0000-999"}).get_data(as_text=True)
    assert _rows(html) == [] and 'id="unknown-incident"' in html


def test_list_filters_by_time_window_in_local_time(client, auth, people, stored, db):
    _login(auth, people.users["coordinator"])
    # received at NOW (UTC) = 15:00 in Asia/Ho_Chi_Minh
    later, = store(people.users["coordinator"], alert(fingerprint="fp-later"))
    db.session.execute(db.update(AlertRow).where(AlertRow.id == later.alert_id)
                       .values(received_at=NOW + timedelta(hours=2)))
    db.session.commit()
    since = client.get("/alerts", query_string={"since": "2026-12-03T16:00"}).get_data(as_text=True)
    assert _rows(since) == [later.alert_id]
    until = client.get("/alerts", query_string={"until": "2026-12-03T16:00"}).get_data(as_text=True)
    assert later.alert_id not in _rows(until) and len(_rows(until)) == 3


def test_a_bad_filter_answers_400_and_says_which(client, auth, people, stored):
    _login(auth, people.users["coordinator"])
    response = client.get("/alerts", query_string={"severity": "huge", "since": "yesterday"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="f-since"' in html and "is-invalid" in html


def test_list_pages_with_a_cursor(app, client, auth, people, stored):
    app.config["CSIRT_PAGE_SIZE"] = 2
    _login(auth, people.users["coordinator"])
    first = client.get("/alerts").get_data(as_text=True)
    assert len(_rows(first)) == 2
    link = re.search(r'href="([^"]+)" id="next-page"', first).group(1).replace("&amp;", "&")
    second = client.get(link).get_data(as_text=True)
    assert _rows(second) == [stored["portal"].alert_id]
    assert 'id="next-page"' not in second


# --- an alert's page --------------------------------------------------------------------------

def test_alert_page_shows_fields_labels_raw_and_why_the_playbook_took_it(client, auth, people, stored):
    _login(auth, people.users["responder"])
    html = client.get(f'/alerts/{stored["portal"].alert_id}').get_data(as_text=True)
    assert "Web shell trên cổng" in html and "portal-web01" in html
    assert "<code>rule_id</code>" in html and "31106" in html
    assert 'id="recorded-playbook"' in html and "/playbooks/web-attack" in html
    assert re.search(r'data-playbook="web-attack" data-matched="yes"', html)
    assert re.search(r'data-playbook="uptime" data-matched="no"', html)
    assert 'id="playbook-changed"' not in html


def test_alert_page_says_when_the_playbook_changed_since(app, client, auth, people, stored, tmp_path, db):
    from csirt.alerts.playbooks import registry

    from .intake_support import WEB, write_playbooks
    from .pages_support import BOOKS
    write_playbooks(app, tmp_path / "changed", {**BOOKS, "web.yaml": WEB.replace("window: 1h", "window: 2h")})
    row = db.session.get(AlertRow, stored["portal"].alert_id)
    assert registry.current(app).get("web-attack").version != row.playbook_version
    _login(auth, people.users["coordinator"])
    html = client.get(f'/alerts/{stored["portal"].alert_id}').get_data(as_text=True)
    assert 'id="playbook-changed"' in html


def test_liaison_sees_the_alert_but_not_the_playbook_reasoning(client, auth, people, stored):
    _login(auth, people.users["member_own"])
    html = client.get(f'/alerts/{stored["portal"].alert_id}').get_data(as_text=True)
    assert "Web shell trên cổng" in html
    assert "data-matched" not in html and "/playbooks/" not in html


def test_hostile_title_labels_and_payload_stay_text(client, auth, people, books, frozen):
    evil = '<script>alert("x")</script>'
    row, = store(people.users["coordinator"], alert(
        source="nobody-knows", fingerprint="fp-evil", title=evil, host="", description=evil,
        labels={evil: evil}, raw={"payload": evil, "nested": {"k": [evil]}}))
    _login(auth, people.users["coordinator"])
    for path in (f"/alerts/{row.alert_id}", "/alerts"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "&lt;script&gt;" in html
    page = client.get(f"/alerts/{row.alert_id}").get_data(as_text=True)
    assert 'class="raw-payload' in page and "&#34;payload&#34;" in page


# --- reporting an alert by hand --------------------------------------------------------------

def _manual(client, **over):
    token = csrf_from(client.get("/alerts/new").get_data(as_text=True))
    data = {"title": "Máy chủ portal-web01 có tiến trình lạ", "severity": "high", "host": "PORTAL-web01",
            "description": "Người dùng báo máy chậm", "labels": "kind=malware\nteam = web", "occurred_at":
            "2026-12-03T14:30", "csrf_token": token}
    data.update(over)
    return client.post("/alerts/new", data=data)


def test_a_responder_reports_an_alert_by_hand_and_it_opens_the_playbook_incident(client, auth, people, books,
                                                                                 frozen, db):
    _login(auth, people.users["responder"])
    response = _manual(client)
    assert response.status_code == 302
    row = db.session.execute(db.select(AlertRow)).scalar_one()
    assert response.headers["Location"].endswith(f"/alerts/{row.id}")
    assert (row.source, row.format, row.status, row.severity) == ("manual", "manual", "firing", "high")
    assert row.host == "portal-web01"
    assert row.labels == {"kind": "malware", "team": "web"}
    assert row.occurred_at == NOW - timedelta(minutes=30)  # 14:30 in Hà Nội is 07:30 UTC
    assert row.fingerprint == compute("manual", row.labels, "portal-web01", row.title)
    assert row.reporter_id == people.users["responder"].id
    incident = db.session.get(Incident, row.incident_id)
    assert incident.playbook_id == "manual-report" and incident.agency_id == people.agency.id
    assert [t.step_key for t in db.session.execute(db.select(Task)).scalars()] == ["look"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert incident.reference in page  # the flash says which incident it went to


@pytest.mark.parametrize("over, field", [
    ({"title": ""}, "title"),
    ({"labels": "no equals sign here"}, "labels"),
    ({"severity": "apocalyptic"}, "severity"),
    ({"occurred_at": "yesterday"}, "occurred_at"),
    ({"host": "h" * 300}, "host"),
])
def test_an_invalid_manual_alert_shows_the_form_again_with_400_and_stores_nothing(client, auth, people, books,
                                                                                  db, over, field):
    _login(auth, people.users["coordinator"])
    response = _manual(client, **over)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(rf'id="{field}"[^>]*|class="[^"]*is-invalid[^"]*"[^>]*id="{field}"', html)
    assert "invalid-feedback" in html
    assert db.session.execute(db.select(db.func.count(AlertRow.id))).scalar() == 0


def test_a_manual_alert_without_the_csrf_token_is_refused(client, auth, people, books, db):
    _login(auth, people.users["coordinator"])
    response = client.post("/alerts/new", data={"title": "x", "severity": "high"})
    assert response.status_code == 400
    assert db.session.execute(db.select(db.func.count(AlertRow.id))).scalar() == 0


@pytest.mark.parametrize("role", ["manager", "member_own"])
def test_who_may_not_send_alerts_may_not_report_one_by_hand(client, auth, people, books, db, role):
    _login(auth, people.users[role])
    assert client.get("/alerts/new").status_code == 403
    token = csrf_from(client.get("/alerts").get_data(as_text=True))
    assert client.post("/alerts/new", data={"title": "x", "severity": "high", "csrf_token": token}).status_code == 403
    assert db.session.execute(db.select(db.func.count(AlertRow.id))).scalar() == 0
