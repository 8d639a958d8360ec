"""The JSON API at /api/v1: list, get, create, update, notes, status, and its error answers.

Every error under /api/ is JSON {"error": ..., "status": ...}: never an HTML page, never a trace.
"""
import json
import re
from datetime import timedelta

import pytest

from csirt.auth.tokens import create_token
from csirt.clock import iso_utc, utc_to_local, utcnow
from csirt.incidents.models import Incident, TimelineEntry
from tests import factories

API = "/api/v1"
BOTH = ("incidents:read", "incidents:write")


def bearer(user, scopes=BOTH):
    _row, text = create_token(None, user, "test", list(scopes), 30)
    return {"Authorization": f"Bearer {text}"}


def assert_json_error(response, status):
    """The error shape every /api/ answer must have."""
    assert response.status_code == status, response.get_data(as_text=True)[:1000]
    assert response.mimetype == "application/json", response.mimetype
    text = response.get_data(as_text=True)
    assert "<html" not in text.lower() and "Traceback" not in text
    body = response.get_json()
    assert set(body) <= {"error", "status", "errors"}
    assert body["status"] == status
    assert isinstance(body["error"], str) and body["error"].strip()
    return body


class Api:
    """A client for one user: `api.get(path)`, `api.post(path, json=...)`."""

    def __init__(self, client, user, scopes=BOTH):
        self.client, self.user, self.headers = client, user, bearer(user, scopes)

    def _call(self, method, path, **kw):
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.client.open(API + path, method=method, headers=headers, **kw)

    def get(self, path, **kw):
        return self._call("GET", path, **kw)

    def post(self, path, **kw):
        return self._call("POST", path, **kw)

    def patch(self, path, **kw):
        return self._call("PATCH", path, **kw)


@pytest.fixture
def agency(make, db):
    return make.agency()


@pytest.fixture
def coordinator(make, agency):
    return make.user("coordinator", agency_obj=agency)


@pytest.fixture
def api(client, coordinator):
    return Api(client, coordinator)


def _new_incident_body(**kw):
    body = {"title": "Máy chủ thư bị dò mật khẩu", "category": "unauthorized_access",
            "discovered_at": iso_utc(utcnow() - timedelta(hours=3))}
    body.update(kw)
    return body


# --- list ------------------------------------------------------------------------------

def test_list_returns_items_total_and_no_cursor_on_one_page(api, make, coordinator):
    incident = make.incident(actor=coordinator, title="Website bị tấn công DDoS", category="dos")
    response = api.get("/incidents")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 1 and body["next_cursor"] is None
    [item] = body["items"]
    assert item["id"] == incident.id and item["reference"] == incident.reference
    assert item["title"] == "Website bị tấn công DDoS" and item["category"] == "dos"
    assert item["status"] == "new" and item["version"] == incident.version
    assert item["agency"]["id"] == coordinator.agency_id
    assert item["reporter"]["username"] == coordinator.username
    assert item["discovered_at"].endswith("Z")


def test_list_filters(api, make, coordinator):
    other_agency = make.agency()
    responder = make.user("responder", agency_obj=coordinator.agency)
    a = make.incident(actor=coordinator, title="Mã độc trên máy kế toán", category="malware", severity="serious")
    b = make.incident(actor=coordinator, title="Thư giả mạo", category="spoofing", assignee_id=responder.id)
    c = make.incident(actor=coordinator, agency_obj=other_agency, title="Thay đổi giao diện 50%_off",
                      category="defacement", assignee_id=coordinator.id)
    api.post(f"/incidents/{b.id}/status", json={"status": "rejected", "reason": "duplicate"})

    def ids(query):
        response = api.get("/incidents?" + query)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["total"] == len(body["items"])
        return {item["id"] for item in body["items"]}

    assert ids("") == {a.id, b.id, c.id}
    assert ids("status=open") == {a.id, c.id}
    assert ids("status=rejected") == {b.id}
    assert ids("severity=serious") == {a.id}
    assert ids("category=spoofing") == {b.id}
    assert ids(f"agency={other_agency.id}") == {c.id}
    assert ids("assignee=me") == {c.id}
    assert ids("assignee=none") == {a.id}
    assert ids(f"assignee={responder.id}") == {b.id}
    assert ids("q=k%E1%BA%BF%20to%C3%A1n") == {a.id}  # "kế toán"
    assert ids("q=50%25_off") == {c.id}  # LIKE wildcards are matched literally
    assert ids("q=%25%25") == set() and ids("q=_x") == set()
    assert ids(f"q={a.reference}") == {a.id}
    assert ids("status=open&category=malware&severity=serious") == {a.id}


def test_list_paginates_with_next_cursor(api, make, coordinator):
    rows = factories.raw_incidents(7, coordinator.agency, coordinator)
    expected = sorted(r.id for r in rows)
    for sort in ("created", "updated", "discovered", "priority"):
        for direction in ("asc", "desc"):
            seen, cursor, pages = [], None, 0
            while True:
                query = f"/incidents?limit=3&sort={sort}&dir={direction}"
                if cursor:
                    query += f"&cursor={cursor}"
                body = api.get(query).get_json()
                pages += 1
                assert body["total"] == 7
                assert len(body["items"]) <= 3
                seen += [item["id"] for item in body["items"]]
                cursor = body["next_cursor"]
                if cursor is None:
                    break
                assert pages < 10
            assert pages == 3, (sort, direction)
            assert sorted(seen) == expected and len(seen) == len(set(seen)), (sort, direction)
    first = [i["id"] for i in api.get("/incidents?limit=7").get_json()["items"]]
    assert first == sorted(expected, reverse=True)  # newest first by default
    assert [i["id"] for i in api.get("/incidents?limit=7&dir=asc").get_json()["items"]] == expected


def test_member_lists_only_their_own_agency(client, make, coordinator):
    member = make.user("member")
    mine = make.incident(actor=coordinator, agency_obj=member.agency)
    make.incident(actor=coordinator)
    body = Api(client, member).get("/incidents").get_json()
    assert [i["id"] for i in body["items"]] == [mine.id] and body["total"] == 1
    # filtering by another agency does not widen what a member sees
    body = Api(client, member).get(f"/incidents?agency={coordinator.agency_id}").get_json()
    assert body["items"] == [] and body["total"] == 0


@pytest.mark.parametrize("query, field", [
    ("status=lost", "status"), ("severity=huge", "severity"), ("category=virus", "category"),
    ("agency=abc", "agency"), ("agency=%C2%B2", "agency"), ("agency=99999999999999999999", "agency"),
    ("assignee=someone", "assignee"), ("assignee=99999999999999999999", "assignee"),
    ("sort=password_hash", "sort"), ("dir=sideways", "dir"), ("limit=0", "limit"),
    ("limit=201", "limit"), ("limit=ten", "limit"), ("cursor=not-a-cursor", "cursor"),
    ("q=" + "x" * 201, "q"), ("q=a%00b", "q"), ("q=" + "%20" * 150 + "x" * 60, "q"),
    # the API takes its parameters exactly as documented: no spaces around, no empty sort/dir/limit,
    # no repeats, plain digits for limit
    ("status=%20open", "status"), ("agency=1%20", "agency"), ("sort=", "sort"), ("dir=", "dir"),
    ("limit=", "limit"), ("limit=1_0", "limit"), ("limit=%2B5", "limit"), ("limit=%D9%A5", "limit"),
    ("status=new&status=closed", "status"), ("limit=5&limit=6", "limit"),
])
def test_list_rejects_bad_parameters_naming_them(api, query, field):
    body = assert_json_error(api.get("/incidents?" + query), 400)
    assert field in body["errors"], body


@pytest.mark.parametrize("payload", [
    ["x", 1], [1.0e309, 1], [1, 2**70], ["9999-99-99", 1], [1, "1"], {"a": 1}, "1",
])
def test_list_rejects_forged_cursors(api, make, coordinator, payload):
    import base64

    make.incident(actor=coordinator)
    raw = json.dumps(payload).encode() if payload != [1.0e309, 1] else b"[Infinity, 1]"
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    for sort in ("created", "updated", "discovered", "priority"):
        response = api.get(f"/incidents?sort={sort}&cursor={cursor}")
        assert response.status_code in (200, 400), (sort, payload, response.get_data(as_text=True)[:500])
        if response.status_code == 400:
            assert "cursor" in assert_json_error(response, 400)["errors"]


# --- get ---------------------------------------------------------------------------------

def test_get_one_incident(api, make, coordinator):
    incident = make.incident(actor=coordinator, description="Phát hiện qua **SIEM**")
    response = api.get(f"/incidents/{incident.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == incident.id and body["description"] == "Phát hiện qua **SIEM**"
    assert body["closed_at"] is None and body["assignee"] is None


def test_unknown_and_invisible_incidents_are_404_alike(client, make, coordinator):
    member = make.user("member")
    hidden = make.incident(actor=coordinator)  # coordinator's agency, not the member's
    api = Api(client, member)
    missing = assert_json_error(api.get("/incidents/999999"), 404)
    invisible = assert_json_error(api.get(f"/incidents/{hidden.id}"), 404)
    assert missing == invisible
    for path in (f"/incidents/{hidden.id}/notes", f"/incidents/{hidden.id}/status"):
        assert_json_error(api.post(path, json={"body": "x", "status": "triaged"}), 404)


# --- create ------------------------------------------------------------------------------

def test_create_answers_201_with_reference_and_defaults(api, db, coordinator):
    response = api.post("/incidents", json=_new_incident_body(description="Nhiều lần đăng nhập sai"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert re.fullmatch(rf"LC-{utc_to_local(utcnow()).year}-\d{{4}}", body["reference"]), body["reference"]
    assert body["status"] == "new" and body["source"] == "manual" and body["version"] == 1
    assert body["agency"]["id"] == coordinator.agency_id  # defaults to the actor's agency
    assert body["reporter"]["id"] == coordinator.id
    assert body["severity"] == "ordinary" and body["priority"] == "P3" and body["tlp"] == "AMBER"
    row = db.session.get(Incident, body["id"])
    assert row.title == "Máy chủ thư bị dò mật khẩu" and row.reporter_id == coordinator.id
    kinds = [e.kind for e in db.session.execute(
        db.select(TimelineEntry).where(TimelineEntry.incident_id == row.id)).scalars()]
    assert kinds == ["created"]


def test_coordinator_may_choose_agency_and_assignee(api, make, coordinator):
    other = make.agency()
    responder = make.user("responder")
    body = api.post("/incidents", json=_new_incident_body(
        agency_id=other.id, assignee_id=responder.id, severity="serious", priority="P1",
        tlp="RED", sub_type="brute_force")).get_json()
    assert body["agency"]["id"] == other.id and body["assignee"]["id"] == responder.id
    assert (body["severity"], body["priority"], body["tlp"], body["sub_type"]) == \
        ("serious", "P1", "RED", "brute_force")


def test_member_is_forced_to_their_own_agency(client, make, db, coordinator):
    member = make.user("member")
    api = Api(client, member)
    response = api.post("/incidents", json=_new_incident_body(
        agency_id=coordinator.agency_id, assignee_id=coordinator.id))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["agency"]["id"] == member.agency_id
    assert body["assignee"] is None  # members cannot assign
    assert db.session.get(Incident, body["id"]).agency_id == member.agency_id


@pytest.mark.parametrize("change, field", [
    ({"title": "   "}, "title"), ({"category": "virus"}, "category"), ({"severity": "high"}, "severity"),
    ({"priority": "P9"}, "priority"), ({"tlp": "WHITE"}, "tlp"), ({"sub_type": "worm"}, "sub_type"),
    ({"discovered_at": "yesterday"}, "discovered_at"), ({"agency_id": 999999}, "agency_id"),
    ({"assignee_id": 999999}, "assignee_id"), ({"title": 5}, "title"), ({"agency_id": "1"}, "agency_id"),
    ({"description": "x" * 20001}, "description"),
    ({"discovered_at": "0001-01-01T00:00:00+07:00"}, "discovered_at"),
    ({"discovered_at": "9999-12-31T23:59:59-07:00"}, "discovered_at"),
])
def test_create_rejects_invalid_fields_naming_them(api, db, change, field):
    body = assert_json_error(api.post("/incidents", json=_new_incident_body(**change)), 400)
    assert field in body["errors"], body
    assert db.session.execute(db.select(Incident)).first() is None


def test_create_refuses_a_future_discovery(api):
    future = iso_utc(utcnow() + timedelta(days=1))
    body = assert_json_error(api.post("/incidents", json=_new_incident_body(discovered_at=future)), 400)
    assert "discovered_at" in body["errors"]


@pytest.mark.parametrize("missing", ["title", "category", "discovered_at"])
def test_create_names_a_missing_required_field(api, missing):
    data = _new_incident_body()
    del data[missing]
    body = assert_json_error(api.post("/incidents", json=data), 400)
    assert missing in json.dumps(body["errors"])


@pytest.mark.parametrize("field, value", [
    ("id", 7), ("reference", "LC-2020-0001"), ("status", "closed"), ("reporter_id", 1),
    ("source", "alert"), ("version", 5), ("created_at", "2020-01-01T00:00:00Z"), ("closed_at", None),
    ("resolution", "done"), ("reject_reason", "duplicate"),
])
def test_create_refuses_mass_assignment(api, db, field, value):
    body = assert_json_error(api.post("/incidents", json=_new_incident_body(**{field: value})), 400)
    assert field in body["errors"], body
    assert db.session.execute(db.select(Incident)).first() is None


# --- update ------------------------------------------------------------------------------

def test_patch_updates_fields_and_bumps_the_version(api, make, coordinator, db):
    incident = make.incident(actor=coordinator)
    version = incident.version
    response = api.patch(f"/incidents/{incident.id}",
                         json={"title": "Tiêu đề mới", "severity": "serious", "version": version})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["title"] == "Tiêu đề mới" and body["severity"] == "serious"
    assert body["version"] == version + 1
    db.session.refresh(incident)
    assert incident.title == "Tiêu đề mới" and incident.version == version + 1
    # without a version the change applies to the current one
    body = api.patch(f"/incidents/{incident.id}", json={"priority": "P1"}).get_json()
    assert body["priority"] == "P1" and body["version"] == version + 2


def test_patch_with_a_stale_version_is_409(api, make, coordinator, db):
    incident = make.incident(actor=coordinator)
    stale = incident.version
    assert api.patch(f"/incidents/{incident.id}", json={"title": "Lần một", "version": stale}).status_code == 200
    body = assert_json_error(api.patch(f"/incidents/{incident.id}", json={"title": "Lần hai", "version": stale}), 409)
    assert body["error"]
    db.session.refresh(incident)
    assert incident.title == "Lần một"


@pytest.mark.parametrize("field, value", [
    ("reference", "LC-1999-0001"), ("status", "closed"), ("reporter_id", 1), ("id", 99),
    ("source", "alert"), ("created_at", "2020-01-01T00:00:00Z"), ("closed_at", "2020-01-01T00:00:00Z"),
    ("resolution", "xong"), ("reject_reason", "duplicate"), ("agency", {"id": 1}),
])
def test_patch_refuses_mass_assignment_naming_the_field(api, make, coordinator, db, field, value):
    incident = make.incident(actor=coordinator)
    before = (incident.reference, incident.status, incident.reporter_id, incident.version)
    body = assert_json_error(api.patch(f"/incidents/{incident.id}", json={field: value, "title": "x"}), 400)
    assert field in body["errors"], body
    db.session.refresh(incident)
    assert (incident.reference, incident.status, incident.reporter_id, incident.version) == before
    assert incident.title != "x"


def test_patch_needs_something_to_change(api, make, coordinator):
    incident = make.incident(actor=coordinator)
    assert_json_error(api.patch(f"/incidents/{incident.id}", json={}), 400)
    assert_json_error(api.patch(f"/incidents/{incident.id}", json={"version": incident.version}), 400)


def test_member_cannot_patch_even_their_own_agency(client, make, coordinator):
    member = make.user("member")
    incident = make.incident(actor=coordinator, agency_obj=member.agency)
    assert_json_error(Api(client, member).patch(f"/incidents/{incident.id}", json={"title": "x"}), 403)


# --- notes -------------------------------------------------------------------------------

def test_add_note_answers_201(api, make, coordinator, db):
    incident = make.incident(actor=coordinator)
    response = api.post(f"/incidents/{incident.id}/notes", json={"body": "  Đã chặn IP 203.0.113.5  ",
                                                                 "kind": "action"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["kind"] == "action" and body["body"] == "Đã chặn IP 203.0.113.5" and body["at"].endswith("Z")
    entry = db.session.get(TimelineEntry, body["id"])
    assert entry.incident_id == incident.id and entry.author_id == coordinator.id
    assert api.post(f"/incidents/{incident.id}/notes", json={"body": "ghi chú"}).get_json()["kind"] == "note"


def test_member_adds_a_note_to_their_agencys_incident(client, make, coordinator):
    member = make.user("member")
    incident = make.incident(actor=coordinator, agency_obj=member.agency)
    assert Api(client, member).post(f"/incidents/{incident.id}/notes", json={"body": "Bổ sung"}).status_code == 201


@pytest.mark.parametrize("payload, field", [
    ({"body": "   "}, "body"), ({"body": ""}, "body"), ({}, "body"), ({"body": "x", "kind": "task"}, "kind"),
    ({"body": "x" * 20001}, "body"), ({"body": "a\x00b"}, "body"), ({"body": "x", "author_id": 1}, "author_id"),
])
def test_add_note_rejects_bad_input(api, make, coordinator, payload, field):
    incident = make.incident(actor=coordinator)
    body = assert_json_error(api.post(f"/incidents/{incident.id}/notes", json=payload), 400)
    assert field in json.dumps(body["errors"]), body


# --- status ------------------------------------------------------------------------------

def test_status_walks_the_lifecycle(api, make, coordinator):
    incident = make.incident(actor=coordinator)
    path = f"/incidents/{incident.id}/status"
    version = incident.version
    for target in ("triaged", "contained", "eradicated", "recovered"):
        response = api.post(path, json={"status": target, "version": version})
        assert response.status_code == 200, (target, response.get_json())
        assert response.get_json()["status"] == target
        version = response.get_json()["version"]
    body = assert_json_error(api.post(path, json={"status": "closed"}), 400)  # closing needs a summary
    assert "note" in body["errors"]
    body = api.post(path, json={"status": "closed", "note": "Đã khắc phục; bài học: bật MFA"}).get_json()
    assert body["status"] == "closed" and body["closed_at"] and body["resolution"].startswith("Đã khắc phục")
    body = api.post(path, json={"status": "triaged", "note": "Tái diễn"}).get_json()  # reopen
    assert body["status"] == "triaged" and body["closed_at"] is None


@pytest.mark.parametrize("start, target", [
    ("new", "closed"), ("new", "contained"), ("new", "new"), ("triaged", "recovered"),
])
def test_disallowed_transitions_are_400(api, make, coordinator, db, start, target):
    incident = make.incident(actor=coordinator)
    if start != "new":
        api.post(f"/incidents/{incident.id}/status", json={"status": start})
    body = assert_json_error(api.post(f"/incidents/{incident.id}/status",
                                      json={"status": target, "note": "x"}), 400)
    assert "status" in body["errors"]
    db.session.refresh(incident)
    assert incident.status == start


def test_reject_needs_a_reason(api, make, coordinator):
    incident = make.incident(actor=coordinator)
    path = f"/incidents/{incident.id}/status"
    assert "reason" in assert_json_error(api.post(path, json={"status": "rejected"}), 400)["errors"]
    assert "reason" in assert_json_error(api.post(path, json={"status": "rejected", "reason": "bored"}), 400)["errors"]
    body = api.post(path, json={"status": "rejected", "reason": "false_positive"}).get_json()
    assert body["status"] == "rejected"


def test_status_with_a_stale_version_is_409(api, make, coordinator):
    incident = make.incident(actor=coordinator)
    path = f"/incidents/{incident.id}/status"
    stale = incident.version
    assert api.post(path, json={"status": "triaged", "version": stale}).status_code == 200
    assert_json_error(api.post(path, json={"status": "contained", "version": stale}), 409)


@pytest.mark.parametrize("payload, field", [
    ({"status": "done"}, "status"), ({}, "status"), ({"status": "triaged", "note": "a\x00b"}, "note"),
    ({"status": "triaged", "version": "one"}, "version"), ({"status": "triaged", "closed_at": None}, "closed_at"),
])
def test_status_rejects_bad_input(api, make, coordinator, payload, field):
    incident = make.incident(actor=coordinator)
    body = assert_json_error(api.post(f"/incidents/{incident.id}/status", json=payload), 400)
    assert field in json.dumps(body["errors"]), body


def test_member_cannot_change_status(client, make, coordinator):
    member = make.user("member")
    incident = make.incident(actor=coordinator, agency_obj=member.agency)
    assert_json_error(Api(client, member).post(f"/incidents/{incident.id}/status",
                                               json={"status": "triaged"}), 403)


# --- errors are JSON -----------------------------------------------------------------------

# The three body problems each get their own message, and each message says "JSON" (in any language).
def _body_messages(api):
    malformed = api.post("/incidents", data='{"title": "x",', content_type="application/json")
    wrong_type = api.post("/incidents", data=json.dumps(_new_incident_body()), content_type="text/plain")
    not_object = api.post("/incidents", data="[1]", content_type="application/json")
    return [assert_json_error(r, 400)["error"] for r in (malformed, wrong_type, not_object)]


def test_malformed_json_is_a_clear_400(api, make, coordinator):
    incident = make.incident(actor=coordinator)
    messages = _body_messages(api)
    assert all("JSON" in m for m in messages) and len(set(messages)) == 3, messages
    for raw in ('{"title": "x",', "{'title': 'x'}", "", "[" * 100_000 + "]" * 100_000, '{"a": NaN'):
        for method, path in (("POST", "/incidents"), ("PATCH", f"/incidents/{incident.id}"),
                             ("POST", f"/incidents/{incident.id}/notes")):
            response = api._call(method, path, data=raw, content_type="application/json")
            assert assert_json_error(response, 400)["error"] == messages[0], (raw[:20], path)


def test_wrong_content_type_is_a_clear_400(api, db):
    messages = _body_messages(api)
    for kw in ({"data": json.dumps(_new_incident_body()), "content_type": "text/plain"},
               {"data": _new_incident_body()},  # a form post
               {"data": json.dumps(_new_incident_body())}):  # no content type at all
        assert assert_json_error(api.post("/incidents", **kw), 400)["error"] == messages[1]
    assert db.session.execute(db.select(Incident)).first() is None


@pytest.mark.parametrize("raw", ["[]", "[1, 2]", '"title"', "42", "null", "true"])
def test_a_body_that_is_not_an_object_is_400(api, make, coordinator, raw):
    incident = make.incident(actor=coordinator)
    expected = _body_messages(api)[2]
    for path in ("/incidents", f"/incidents/{incident.id}/notes", f"/incidents/{incident.id}/status"):
        response = api.post(path, data=raw, content_type="application/json")
        assert assert_json_error(response, 400)["error"] == expected
    response = api.patch(f"/incidents/{incident.id}", data=raw, content_type="application/json")
    assert assert_json_error(response, 400)["error"] == expected


def test_text_the_database_cannot_store_is_400_naming_the_field(api, make, coordinator, db):
    incident = make.incident(actor=coordinator)
    raw = '{"body": "bad \\ud800 surrogate"}'
    body = assert_json_error(api.post(f"/incidents/{incident.id}/notes", data=raw,
                                      content_type="application/json"), 400)
    assert "body" in body["errors"]
    raw = '{"title": "x\\udfff", "category": "dos", "discovered_at": "2020-01-01T00:00:00Z"}'
    body = assert_json_error(api.post("/incidents", data=raw, content_type="application/json"), 400)
    assert "title" in body["errors"]
    body = assert_json_error(api.patch(f"/incidents/{incident.id}", json={"title": "a\x00b"}), 400)
    assert "title" in body["errors"]


def test_unknown_incident_is_404_for_every_operation(api):
    assert_json_error(api.get("/incidents/424242"), 404)
    assert_json_error(api.patch("/incidents/424242", json={"title": "x"}), 404)
    assert_json_error(api.post("/incidents/424242/notes", json={"body": "x"}), 404)
    assert_json_error(api.post("/incidents/424242/status", json={"status": "triaged"}), 404)
    for beyond in ("2147483648", "9" * 30):  # past the 32-bit id column: unknown, not a crash
        assert_json_error(api.get(f"/incidents/{beyond}"), 404)
        assert_json_error(api.patch(f"/incidents/{beyond}", json={"title": "x"}), 404)
        assert_json_error(api.post(f"/incidents/{beyond}/notes", json={"body": "x"}), 404)
        assert_json_error(api.post(f"/incidents/{beyond}/status", json={"status": "triaged"}), 404)


def test_invalid_enum_names_the_field(api):
    body = assert_json_error(api.post("/incidents", json=_new_incident_body(category="aliens")), 400)
    assert "category" in body["errors"]


def test_too_large_body_is_413_json(api, make, coordinator):
    incident = make.incident(actor=coordinator)
    big = json.dumps({"body": "x" * (1024 * 1024 + 10)})
    for method, path in (("POST", "/incidents"), ("POST", f"/incidents/{incident.id}/notes"),
                         ("PATCH", f"/incidents/{incident.id}")):
        response = api._call(method, path, data=big, content_type="application/json")
        assert_json_error(response, 413)


@pytest.mark.parametrize("method, path", [
    ("DELETE", "/incidents/1"), ("PUT", "/incidents/1"), ("PUT", "/incidents"), ("DELETE", "/incidents"),
    ("GET", "/incidents/1/notes"), ("PATCH", "/incidents/1/status"), ("POST", "/openapi.json"),
])
def test_wrong_method_is_405_json(api, method, path):
    assert_json_error(api._call(method, path), 405)


@pytest.mark.parametrize("path", ["/nothing", "/incidents/abc", "/incidents/1/tasks", "/"])
def test_unknown_api_path_is_404_json(api, path):
    assert_json_error(api.get(path), 404)


@pytest.mark.parametrize("path", ["/api/v2/incidents", "/api/", "/api/v1", "/api/v1/incidents/1/../../x"])
def test_any_path_under_api_answers_json(client, path):
    assert_json_error(client.get(path, headers={"Accept": "text/html"}), 404)


def test_missing_token_is_401_json(client):
    assert_json_error(client.get(API + "/incidents"), 401)
    assert_json_error(client.post(API + "/incidents", json=_new_incident_body()), 401)


def test_an_unexpected_error_is_500_json_without_a_trace(api, app, monkeypatch):
    from csirt.api import views

    def explode(*args, **kwargs):
        raise RuntimeError("secret detail /etc/passwd")

    monkeypatch.setattr(views.listing, "page", explode)
    body = assert_json_error(api.get("/incidents"), 500)
    assert "secret detail" not in json.dumps(body)


def test_openapi_document_is_public_json(client):
    response = client.get(API + "/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) >= {"/incidents", "/incidents/{incident_id}", "/incidents/{incident_id}/notes",
                                 "/incidents/{incident_id}/status", "/compliance"}
