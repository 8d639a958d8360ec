"""/api/v1/alerts: intake of the three formats end to end, every bad-input answer, the list and
one alert with agency scoping, and many senders posting the same alert at once."""
import io
import json

import pytest

from csirt.alerts.models import Alert
from csirt.incidents.models import Incident, Task, TimelineEntry
from tests.alerts import intake_support

from ..incidents.test_concurrency import in_parallel
from .test_incidents_api import bearer

# the shared fixtures, made this module's
frozen, inventory, playbooks = intake_support.frozen, intake_support.inventory, intake_support.playbooks

API = "/api/v1"
WRITE = ("alerts:write", "alerts:read")

GENERIC = {"source": "wazuh", "title": "Web shell upload", "severity": "high", "host": "portal-web01",
           "labels": {"rule_id": "31106"}, "occurred_at": "2026-12-03T07:30:00Z", "fingerprint": "web-1"}

WAZUH = {
    "timestamp": "2026-12-03T07:41:17.328+0000",
    "rule": {"level": 12, "description": "A web attack returned code 200 (success).", "id": "31106",
             "groups": ["web", "accesslog", "attack"], "firedtimes": 3},
    "agent": {"id": "004", "name": "portal-web01", "ip": "10.0.0.5"},
    "manager": {"name": "wazuh-laocai"}, "id": "1764557045.4419120",
    "decoder": {"name": "web-accesslog"}, "location": "/var/log/nginx/access.log",
    "full_log": "10.1.2.3 - - \"POST /upload.php HTTP/1.1\" 200 512", "data": {"srcip": "10.1.2.3"},
}


def _am_alert(status, name, at):
    return {"status": status, "labels": {"alertname": name, "instance": "portal.example:443", "severity": "critical"},
            "annotations": {"summary": f"{name} on portal.example"}, "startsAt": "2026-12-03T07:00:00Z",
            "endsAt": at if status == "resolved" else "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example/graph", "fingerprint": f"{name.lower()}0000000000"[:16]}


def alertmanager(status, *alerts):
    return {"version": "4", "groupKey": "{}:{alertname=\"PortalDown\"}", "truncatedAlerts": 0, "status": status,
            "receiver": "csirt", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://alertmanager.example:9093", "alerts": list(alerts)}


@pytest.fixture
def responder(make):
    return make.user("responder")


@pytest.fixture
def headers(responder):
    return bearer(responder, WRITE)


def post(client, path, headers, body=None, **kw):
    if body is not None:
        kw["json"] = body
    return client.post(API + path, headers=headers, **kw)


# --- intake end to end -----------------------------------------------------------------------

def test_a_generic_alert_is_stored_routed_and_answered_then_a_repeat_answers_200_duplicate(client, db, playbooks,
                                                                                          frozen, headers):
    first = post(client, "/alerts", headers, GENERIC)
    assert first.status_code == 201, first.get_json()
    [item] = first.get_json()["alerts"]
    assert item["status"] == "opened" and item["incident"]["reference"].startswith("LC-2026-")
    assert first.headers["Location"] == f"/api/v1/alerts/{item['id']}"
    again = post(client, "/alerts", headers, GENERIC)
    assert again.status_code == 200 and again.get_json()["alerts"] == [{**item, "status": "duplicate"}]
    assert db.session.execute(db.select(db.func.count(Alert.id))).scalar() == 1


def test_a_wazuh_alert_goes_end_to_end_to_an_incident_with_its_tasks(client, db, playbooks, frozen, headers,
                                                                      inventory):
    response = post(client, "/alerts/wazuh", headers, WAZUH)
    assert response.status_code == 201, response.get_json()
    [item] = response.get_json()["alerts"]
    incident = db.session.get(Incident, item["incident"]["id"])
    assert incident.title == "Tấn công web vào 10.0.0.5" and incident.agency_id == inventory["agency"].id
    assert [s.hostname for s in incident.servers] == ["portal-web01"]
    tasks = db.session.execute(db.select(Task).where(Task.incident_id == incident.id).order_by(Task.id)).scalars()
    assert [(t.step_key, t.required) for t in tasks] == [("isolate", True), ("check", False)]
    stored = db.session.get(Alert, item["id"])
    assert stored.labels["rule_id"] == "31106" and stored.format == "wazuh" and stored.raw["rule"]["id"] == "31106"


def test_an_alertmanager_group_firing_then_resolved_opens_then_closes_its_incident(client, db, make, playbooks,
                                                                                    frozen, headers):
    make.agency(code="PORTAL")
    firing = post(client, "/alerts/alertmanager", headers,
                  alertmanager("firing", _am_alert("firing", "PortalDown", None)))
    assert firing.status_code == 201, firing.get_json()
    [opened] = firing.get_json()["alerts"]
    assert opened["status"] == "opened"
    resolved = post(client, "/alerts/alertmanager", headers,
                    alertmanager("resolved", _am_alert("resolved", "PortalDown", "2026-12-03T07:45:00Z")))
    assert resolved.status_code == 201
    [closing] = resolved.get_json()["alerts"]
    assert closing["status"] == "resolved" and closing["incident"] == opened["incident"]
    incident = db.session.get(Incident, opened["incident"]["id"])
    assert incident.status == "closed"
    kinds = [e.kind for e in db.session.execute(db.select(TimelineEntry).where(
        TimelineEntry.incident_id == incident.id).order_by(TimelineEntry.id)).scalars()]
    assert kinds.count("alert") == 2 and kinds[-1] == "status"


def test_a_batch_answers_one_item_per_alert_in_order(client, playbooks, frozen, headers):
    batch = [GENERIC, {**GENERIC, "fingerprint": "web-2"}, {**GENERIC, "source": "elsewhere"}, GENERIC]
    response = post(client, "/alerts", headers, batch)
    assert response.status_code == 201
    items = response.get_json()["alerts"]
    assert [i["status"] for i in items] == ["opened", "joined", "unmatched", "duplicate"]
    assert items[0]["incident"] == items[1]["incident"] and items[2]["incident"] is None
    assert items[3]["id"] == items[0]["id"]


# --- bad input --------------------------------------------------------------------------------

def _error(response, status):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] == status and body["error"].strip()
    return body


def test_text_that_is_not_json_answers_400_saying_so(client, playbooks, headers):
    body = _error(post(client, "/alerts", headers, data="{not json", content_type="application/json"), 400)
    assert "JSON" in body["error"]


def test_a_body_not_sent_as_json_answers_400_saying_so(client, playbooks, headers):
    body = _error(post(client, "/alerts", headers, data=json.dumps(GENERIC), content_type="text/plain"), 400)
    assert "Content-Type" in body["error"]


@pytest.mark.parametrize("change, field", [
    ({"title": None}, "title"),
    ({"severity": 5}, "severity"),
    ({"labels": {"team": 1}}, "labels.team"),
    ({"sevrity": "high"}, "sevrity"),
])
def test_a_missing_or_wrong_field_answers_400_naming_it(client, db, playbooks, headers, change, field):
    sent = {k: v for k, v in {**GENERIC, **change}.items() if v is not None}
    body = _error(post(client, "/alerts", headers, sent), 400)
    assert body["field"] == field and field in body["errors"]
    assert db.session.execute(db.select(db.func.count(Alert.id))).scalar() == 0


def test_a_wazuh_alert_without_its_rule_answers_400(client, playbooks, headers):
    sent = {k: v for k, v in WAZUH.items() if k != "rule"}
    assert _error(post(client, "/alerts/wazuh", headers, sent), 400)["field"].startswith("rule")


def test_more_than_a_thousand_alerts_answer_400(client, playbooks, headers):
    body = _error(post(client, "/alerts", headers, [GENERIC] * 1001), 400)
    assert "1000" in body["error"].replace(".", "").replace(",", "")


def test_a_lone_surrogate_is_refused_not_stored(client, playbooks, headers):
    text = json.dumps({**GENERIC, "title": "x"}).replace('"x"', '"\\ud800"')
    _error(post(client, "/alerts", headers, data=text, content_type="application/json"), 400)


def test_a_body_over_the_cap_answers_413(app, client, playbooks, headers):
    app.config["CSIRT_ALERT_MAX_BYTES"] = 1000
    big = {**GENERIC, "description": "x" * 2000}
    body = _error(post(client, "/alerts", headers, big), 413)
    assert "1000" in body["error"].replace(".", "").replace(",", "")


def test_a_chunked_body_over_the_cap_answers_413_without_reading_it_all(app, client, playbooks, headers):
    app.config["CSIRT_ALERT_MAX_BYTES"] = 1000
    stream = io.BytesIO(json.dumps({**GENERIC, "description": "x" * 5000}).encode())
    response = client.post(API + "/alerts", headers={**headers, "Content-Type": "application/json",
                                                     "Transfer-Encoding": "chunked"},
                           input_stream=stream, environ_overrides={"wsgi.input_terminated": True})
    _error(response, 413)
    assert stream.tell() <= 1001 + 8192  # read up to the cap (and one buffer), not to the end


def test_a_bad_token_answers_401(client, playbooks):
    _error(post(client, "/alerts", {"Authorization": "Bearer csirt_nope.nope"}, GENERIC), 401)
    _error(post(client, "/alerts/wazuh", {}, WAZUH), 401)


def test_a_token_without_the_scope_answers_403(client, db, playbooks, responder):
    _error(post(client, "/alerts", bearer(responder, ("alerts:read", "incidents:write")), GENERIC), 403)
    _error(client.get(API + "/alerts", headers=bearer(responder, ("alerts:write",))), 403)
    assert db.session.execute(db.select(db.func.count(Alert.id))).scalar() == 0


def test_a_liaisons_token_cannot_send_alerts(client, db, make, playbooks):
    liaison = make.user("member")
    _error(post(client, "/alerts", bearer(liaison, WRITE), GENERIC), 403)
    assert db.session.execute(db.select(db.func.count(Alert.id))).scalar() == 0


# --- reading ----------------------------------------------------------------------------------

def test_a_liaison_reads_only_the_alerts_of_their_agency(client, make, playbooks, frozen, headers, inventory):
    post(client, "/alerts", headers, [GENERIC, {**GENERIC, "host": "elsewhere.example", "fingerprint": "x"}])
    own = make.user("member", agency_obj=inventory["agency"])
    stranger = make.user("member")
    mine = client.get(API + "/alerts", headers=bearer(own, ("alerts:read",))).get_json()["items"]
    assert [a["host"] for a in mine] == ["portal-web01"]
    assert client.get(API + "/alerts", headers=bearer(stranger, ("alerts:read",))).get_json()["items"] == []
    everyone = client.get(API + "/alerts", headers=headers).get_json()["items"]
    assert len(everyone) == 2
    alert_id = mine[0]["id"]
    assert client.get(f"{API}/alerts/{alert_id}", headers=bearer(own, ("alerts:read",))).status_code == 200
    _error(client.get(f"{API}/alerts/{alert_id}", headers=bearer(stranger, ("alerts:read",))), 404)
    _error(client.get(f"{API}/alerts/999999", headers=headers), 404)


def test_one_alert_shows_its_fields_incident_playbook_and_decision(client, playbooks, frozen, headers):
    [item] = post(client, "/alerts", headers, GENERIC).get_json()["alerts"]
    body = client.get(f"{API}/alerts/{item['id']}", headers=headers).get_json()
    assert body["incident"] == item["incident"] and body["playbook"] == "web-attack"
    assert body["occurred_at"] == "2026-12-03T07:30:00Z" and body["labels"] == {"rule_id": "31106"}
    assert body["route"]["outcome"] == "opened" and body["raw"]["title"] == "Web shell upload"


def test_the_list_filters_and_pages_newest_first(client, playbooks, frozen, headers):
    batch = [{**GENERIC, "fingerprint": f"f{i}", "severity": "low" if i % 2 else "high"} for i in range(5)]
    batch.append({**GENERIC, "source": "elsewhere", "fingerprint": "u"})
    ids = [i["id"] for i in post(client, "/alerts", headers, batch).get_json()["alerts"]]

    def listed(query):
        response = client.get(API + "/alerts" + query, headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    assert [a["id"] for a in listed("")["items"]] == sorted(ids, reverse=True)
    assert [a["id"] for a in listed("?severity=low")["items"]] == sorted([ids[3], ids[1]], reverse=True)
    assert [a["id"] for a in listed("?source=elsewhere")["items"]] == [ids[5]]
    assert [a["id"] for a in listed("?incident=none")["items"]] == [ids[5]]
    incident = listed("?source=wazuh&limit=1")["items"][0]["incident"]["id"]
    assert len(listed(f"?incident={incident}")["items"]) == 5
    pages, cursor = [], ""
    while True:
        page = listed(f"?limit=4{cursor}")
        pages.append([a["id"] for a in page["items"]])
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert pages == [sorted(ids, reverse=True)[:4], sorted(ids, reverse=True)[4:]]
    assert listed("?since=2026-12-03T07:59:00Z")["items"] and not listed("?until=2026-12-03T07:59:00Z")["items"]


@pytest.mark.parametrize("query, field", [("?severity=huge", "severity"), ("?status=open", "status"),
                                          ("?incident=abc", "incident"), ("?since=yesterday", "since"),
                                          ("?cursor=!!", "cursor"), ("?limit=0", "limit")])
def test_a_bad_filter_answers_400_naming_it(client, playbooks, headers, query, field):
    assert field in _error(client.get(API + "/alerts" + query, headers=headers), 400)["errors"]


# --- many senders at once -----------------------------------------------------------------------

SENDERS = 16


def test_sixteen_senders_posting_the_same_alert_at_once_store_it_once(app, db, playbooks, responder):
    headers = bearer(responder, WRITE)
    clients = [app.test_client() for _ in range(SENDERS)]

    def send(i):
        response = clients[i].post(API + "/alerts", json=GENERIC, headers=headers)
        return response.status_code, response.get_json()

    answers = in_parallel(SENDERS, send)
    assert all(status in (200, 201) for status, _ in answers), answers
    assert sorted(status for status, _ in answers) == [200] * (SENDERS - 1) + [201]
    assert len({body["alerts"][0]["id"] for _, body in answers}) == 1
    assert db.session.execute(db.select(db.func.count(Alert.id))).scalar() == 1
    assert db.session.execute(db.select(db.func.count(Incident.id))).scalar() == 1


def test_different_alerts_of_one_group_at_once_make_one_incident(app, db, playbooks, responder):
    headers = bearer(responder, WRITE)
    clients = [app.test_client() for _ in range(SENDERS)]

    def send(i):
        response = clients[i].post(API + "/alerts", json={**GENERIC, "fingerprint": f"web-{i}"}, headers=headers)
        return response.status_code, response.get_json()

    answers = in_parallel(SENDERS, send)
    assert [status for status, _ in answers] == [201] * SENDERS, answers
    statuses = sorted(body["alerts"][0]["status"] for _, body in answers)
    assert statuses == ["joined"] * (SENDERS - 1) + ["opened"]
    assert len({body["alerts"][0]["incident"]["id"] for _, body in answers}) == 1
    assert db.session.execute(db.select(db.func.count(Incident.id))).scalar() == 1


def test_the_openapi_document_lists_the_alert_operations(client):
    paths = client.get(API + "/openapi.json").get_json()["paths"]
    assert {"post"} <= set(paths["/alerts"]) and "get" in paths["/alerts"]
    assert "post" in paths["/alerts/alertmanager"] and "post" in paths["/alerts/wazuh"]
    assert "get" in paths["/alerts/{alert_id}"]



@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_anywhere_in_a_body_are_not_json_and_store_nothing(client, db, playbooks, headers,
                                                                             constant):
    """Python's parser takes them; PostgreSQL refused a Wazuh alert carrying one in its raw body (a 500)."""
    body = json.dumps({**WAZUH, "data": {"srcip": "10.1.2.3", "score": "__X__"}}).replace('"__X__"', constant)
    response = client.post(f"{API}/alerts/wazuh", data=body, headers={**headers, "Content-Type": "application/json"})
    assert "JSON" in _error(response, 400)["error"]
    assert db.session.execute(db.select(db.func.count()).select_from(Alert)).scalar() == 0
