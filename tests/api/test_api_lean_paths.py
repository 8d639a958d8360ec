"""The API's lighter paths give what the full ones gave: the list reads plain rows yet shows each
incident exactly as its own GET does; list statements are built once per shape yet every request
gets its own values and only what its user may see; the cookie session is left out of /api/ while
the security headers stay."""
from datetime import timedelta

import pytest

from csirt.clock import utcnow
from csirt.incidents import listing

from .test_incidents_api import Api, _new_incident_body

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


@pytest.fixture
def coordinator(make):
    return make.user("coordinator")


@pytest.fixture
def api(client, coordinator):
    return Api(client, coordinator)


def test_the_list_shows_each_incident_as_its_own_get_does(api, make, coordinator):
    responder, other = make.user("responder"), make.agency()
    created = [
        api.post("/incidents", json=_new_incident_body(title="Chưa giao ai")).get_json(),
        api.post("/incidents", json=_new_incident_body(
            title="Đã giao", agency_id=other.id, assignee_id=responder.id, severity="serious",
            description="Mô tả <b>đậm</b>", affected_servers="10.0.0.5")).get_json(),
    ]
    closed = make.incident(actor=coordinator)
    assert api.post(f"/incidents/{closed.id}/status", json={"status": "rejected", "reason": "duplicate",
                                                           "note": "Trùng"}).status_code == 200
    listed = {item["id"]: item for item in api.get("/incidents?limit=200").get_json()["items"]}
    for incident_id in [c["id"] for c in created] + [closed.id]:
        assert listed[incident_id] == api.get(f"/incidents/{incident_id}").get_json()
    assert listed[created[1]["id"]]["assignee"]["id"] == responder.id
    assert listed[created[1]["id"]]["agency"]["id"] == other.id
    assert listed[closed.id]["closed_at"] is not None and listed[created[0]["id"]]["assignee"] is None


def test_a_second_list_request_of_the_same_shape_builds_no_statement(api, make, coordinator, monkeypatch):
    for _ in range(4):
        make.incident(actor=coordinator)
    built = []
    narrowed = listing._narrowed
    monkeypatch.setattr(listing, "_narrowed", lambda *a: built.append(1) or narrowed(*a))
    one, two = (api.get(f"/incidents?limit={n}&status=new").get_json() for n in (1, 2))
    assert len(built) <= 1  # built by the first request (or an earlier test), not by the second
    assert [len(one["items"]), len(two["items"])] == [1, 2]
    built.clear()
    after_one, after_two = (api.get(f"/incidents?limit=1&status=new&cursor={p['next_cursor']}").get_json()
                            for p in (one, two))
    assert len(built) <= 1  # a cursor is another shape: built once for both cursors
    assert after_one["items"][0]["id"] == two["items"][1]["id"]
    assert after_two["items"][0]["id"] < two["items"][1]["id"]


def test_statements_kept_for_one_liaison_never_show_another_agencys_incidents(client, make, coordinator):
    first, second = make.user("member"), make.user("member")
    mine = {m.id: make.incident(actor=coordinator, agency_obj=m.agency, title=f"Sự cố {m.username}").id
            for m in (first, second)}
    make.incident(actor=coordinator)  # a third agency's
    for member in (first, second, first):
        for query in ("", "?q=S%E1%BB%B1", "?status=new&sort=updated"):
            body = Api(client, member, scopes=("incidents:read",)).get("/incidents" + query).get_json()
            assert [i["id"] for i in body["items"]] == [mine[member.id]] and body["total"] == 1, (member, query)


def test_each_list_request_binds_its_own_values(api, make, coordinator):
    titles = ("Mã độc tống tiền", "Thư lừa đảo", "Tấn công từ chối dịch vụ")
    by_title = {t: make.incident(actor=coordinator, title=t,
                                 discovered_at=utcnow() - timedelta(hours=n + 1)).id for n, t in enumerate(titles)}
    for title, incident_id in by_title.items():
        body = api.get("/incidents?q=" + title.split()[0]).get_json()
        assert [i["id"] for i in body["items"]] == [incident_id] and body["total"] == 1
    for limit in (1, 2, 3):
        assert len(api.get(f"/incidents?limit={limit}&sort=discovered").get_json()["items"]) == limit


def test_an_api_answer_neither_reads_nor_sets_the_session_cookie(client, auth, make, coordinator):
    auth.login(coordinator)  # the browser now holds a valid session cookie
    assert client.get("/api/v1/incidents").status_code == 401  # a cookie alone is not enough
    api = Api(client, coordinator)
    for response in (api.get("/incidents"), api.post("/incidents", json=_new_incident_body()),
                     client.get("/api/v1/incidents")):
        assert not response.headers.getlist("Set-Cookie"), response.headers
        assert "cookie" not in response.headers.get("Vary", "").lower()
    assert client.get("/incidents").status_code == 200  # the pages still read the session


def test_api_answers_carry_the_security_headers(api, client):
    for response in (api.get("/incidents"), api.post("/incidents", json=_new_incident_body()),
                     api.get("/incidents/999999"), client.get("/api/v1/incidents"),
                     client.get("/api/v1/openapi.json")):
        for name in SECURITY_HEADERS:
            assert len(response.headers.getlist(name)) == 1, (name, response.status_code)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
