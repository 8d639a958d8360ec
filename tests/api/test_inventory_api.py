"""/api/v1/systems and /api/v1/servers: scopes, agency scoping, pagination, create, update,
validation errors, version conflicts, and a constant number of SQL statements per list page."""
import pytest

from csirt.audit.models import AuditLog
from csirt.systems import services
from csirt.systems.models import InformationSystem, Server
from tests.conftest import recorded_statements

from .test_incidents_api import Api, assert_json_error

INVENTORY = ("systems:read", "systems:write")


@pytest.fixture
def agency(make):
    return make.agency(code="STTTT", name="Sở Thông tin và Truyền thông")


@pytest.fixture
def coordinator(make, agency):
    return make.user("coordinator", agency_obj=agency)


@pytest.fixture
def api(client, coordinator):
    return Api(client, coordinator, INVENTORY)


def system(actor, code, agency=None, **kw):
    data = {"code": code, "name": kw.pop("name", f"Hệ thống {code}"), "level": kw.pop("level", 3),
            "owner_agency_id": (agency or actor.agency).id, **kw}
    return services.create_system(actor, data)


def server(actor, hostname, agency=None, **kw):
    data = {"hostname": hostname, "addresses": kw.pop("addresses", ["10.0.0.1"]), "kind": kw.pop("kind", "virtual"),
            "agency_id": (agency or actor.agency).id, **kw}
    return services.create_server(actor, data)


def _ids(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return [item["id"] for item in response.get_json()["items"]]


# --- scopes ------------------------------------------------------------------------------

def test_a_read_token_lists_and_gets_but_cannot_create_or_patch(client, coordinator, db):
    one = system(coordinator, "IOFFICE")
    reader = Api(client, coordinator, ("systems:read",))
    assert _ids(reader.get("/systems")) == [one.id]
    assert reader.get(f"/systems/{one.id}").status_code == 200
    assert_json_error(reader.post("/systems", json={"code": "NEW", "name": "Mới", "level": 2}), 403)
    assert_json_error(reader.patch(f"/systems/{one.id}", json={"name": "Đổi"}), 403)
    assert_json_error(reader.post("/servers", json={"hostname": "a", "addresses": ["10.0.0.9"], "kind": "physical"}),
                      403)
    assert db.session.execute(db.select(InformationSystem.name)).scalars().all() == ["Hệ thống IOFFICE"]
    assert db.session.execute(db.select(Server)).first() is None


def test_an_incident_token_cannot_read_systems_or_servers(client, coordinator):
    system(coordinator, "IGATE")
    incidents_only = Api(client, coordinator, ("incidents:read", "incidents:write"))
    for path in ("/systems", "/servers"):
        body = assert_json_error(incidents_only.get(path), 403)
        assert "systems:read" in body["error"]


def test_a_systems_token_cannot_read_incidents(client, coordinator):
    assert_json_error(Api(client, coordinator, INVENTORY).get("/incidents"), 403)


# --- agency scoping ----------------------------------------------------------------------

def test_a_liaison_sees_only_their_agency_and_gets_404_for_other_ids(client, make, coordinator):
    liaison = make.user("member")
    mine = system(coordinator, "MINE", agency=liaison.agency)
    theirs = system(coordinator, "THEIRS")
    my_server = server(coordinator, "mine-app01", agency=liaison.agency, system_ids=[mine.id, theirs.id])
    their_server = server(coordinator, "theirs-db01", system_ids=[mine.id])
    api = Api(client, liaison, INVENTORY)
    assert _ids(api.get("/systems")) == [mine.id]
    assert _ids(api.get(f"/systems?agency={coordinator.agency_id}")) == []
    assert api.get("/systems").get_json()["total"] == 1
    assert _ids(api.get("/servers")) == [my_server.id]
    # the links name only what the liaison may see
    [item] = api.get("/systems").get_json()["items"]
    assert item["servers"] == [{"id": my_server.id, "hostname": "mine-app01"}]
    assert api.get(f"/servers/{my_server.id}").get_json()["systems"] == [{"id": mine.id, "code": "MINE"}]
    for path in (f"/systems/{theirs.id}", f"/servers/{their_server.id}"):
        assert_json_error(api.get(path), 404)
        assert_json_error(api.patch(path, json={"role" if "servers" in path else "name": "Lấy trộm"}), 404)
    assert_json_error(api.get("/systems/999999"), 404)


def test_a_liaison_cannot_create_for_another_agency(client, make, coordinator):
    liaison = make.user("member")
    api = Api(client, liaison, INVENTORY)
    body = assert_json_error(api.post("/systems", json={"code": "X1", "name": "Khác", "level": 2,
                                                        "owner_agency_id": coordinator.agency_id}), 400)
    assert "owner_agency_id" in body["errors"]
    created = api.post("/systems", json={"code": "X2", "name": "Của tôi", "level": 2})
    assert created.status_code == 201
    assert created.get_json()["owner_agency"]["id"] == liaison.agency_id


def test_a_manager_reads_every_agency_but_cannot_write(client, make, coordinator):
    manager = make.user("manager")
    one = system(coordinator, "IGATE")
    api = Api(client, manager, INVENTORY)
    assert _ids(api.get("/systems")) == [one.id]
    assert_json_error(api.post("/systems", json={"code": "NEW", "name": "Mới", "level": 2}), 403)
    assert_json_error(api.patch(f"/systems/{one.id}", json={"name": "Đổi"}), 403)


# --- list --------------------------------------------------------------------------------

def test_the_list_pages_by_cursor_without_repeats(api, coordinator):
    made = [system(coordinator, f"SYS{i}").id for i in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        body = api.get("/systems?limit=3" + (f"&cursor={cursor}" if cursor else "")).get_json()
        pages += 1
        assert body["total"] == 7 and len(body["items"]) <= 3
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert pages < 5
    assert pages == 3 and seen == sorted(made)


def test_the_list_filters_by_agency_level_kind_text_and_archive(api, make, coordinator):
    other = make.agency()
    a = system(coordinator, "IOFFICE", name="Quản lý văn bản", level=3)
    b = system(coordinator, "MAIL", name="Thư điện tử công vụ", level=2, agency=other)
    c = system(coordinator, "OLD_1", name="Cũ")
    services.archive_system(coordinator, c.id)
    host = server(coordinator, "host01", kind="physical")
    guest = server(coordinator, "mail-app01", host_id=host.id, role="Máy chủ thư")
    assert set(_ids(api.get("/systems"))) == {a.id, b.id}
    assert _ids(api.get(f"/systems?agency={other.id}")) == [b.id]
    assert _ids(api.get("/systems?level=2")) == [b.id]
    assert _ids(api.get("/systems?q=v%C4%83n%20b%E1%BA%A3n")) == [a.id]  # "văn bản"
    assert _ids(api.get("/systems?q=_&archived=true")) == [c.id]  # "_" is matched literally
    assert set(_ids(api.get("/systems?archived=true"))) == {a.id, b.id, c.id}
    assert _ids(api.get("/systems?archived=only")) == [c.id]
    assert _ids(api.get("/servers?kind=physical")) == [host.id]
    assert _ids(api.get("/servers?q=th%C6%B0")) == [guest.id]  # "thư" in the role
    [item] = api.get("/servers?kind=virtual").get_json()["items"]
    assert item["host"] == {"id": host.id, "hostname": "host01"} and item["agency"]["code"] == "STTTT"


@pytest.mark.parametrize("query, field", [
    ("level=6", "level"), ("level=x", "level"), ("agency=abc", "agency"), ("agency=1%20", "agency"),
    ("archived=maybe", "archived"), ("limit=0", "limit"), ("limit=201", "limit"), ("cursor=bad!", "cursor"),
    ("cursor=aWQ6LTE", "cursor"), ("q=" + "x" * 201, "q"), ("q=a%00b", "q"), ("level=1&level=2", "level"),
])
def test_the_list_rejects_bad_parameters_naming_them(api, query, field):
    body = assert_json_error(api.get("/systems?" + query), 400)
    assert field in body["errors"], body


def test_the_server_list_rejects_an_unknown_kind(api):
    assert "kind" in assert_json_error(api.get("/servers?kind=cloud"), 400)["errors"]


@pytest.mark.parametrize("path, count", [("/systems", 2), ("/systems", 12), ("/servers", 2), ("/servers", 12)])
def test_a_list_page_costs_the_same_statements_whatever_its_size(api, coordinator, make, db, path, count):
    host = server(coordinator, "host-x", kind="physical")
    other = make.agency()
    for i in range(count):
        one = system(coordinator, f"S{i}", agency=other if i % 2 else None)
        server(coordinator, f"vm{i}", host_id=host.id, system_ids=[one.id], agency=other if i % 2 else None)
    api.get(path)  # warm-up: the token's last use is written by the first request
    with recorded_statements(db.engine) as seen:
        response = api.get(path + "?limit=50")
    assert response.status_code == 200 and len(response.get_json()["items"]) >= count
    # token, page, links, (hosts), count
    assert len(seen) == (4 if path == "/systems" else 5), seen


# --- create and update -------------------------------------------------------------------

def test_creating_a_system_answers_201_with_location_and_writes_one_audit_entry(api, coordinator, db):
    host = server(coordinator, "igate-app01")
    body = {"code": "igate", "name": "Cổng dịch vụ công tỉnh", "level": 3, "domains": ["DichVuCong.Example.gov.vn"],
            "public_addresses": ["203.0.113.10"], "server_ids": [host.id], "level_decision_date": "2024-05-20",
            "served": "public_service"}
    response = api.post("/systems", json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert response.headers["Location"] == f"/api/v1/systems/{created['id']}"
    assert response.headers["ETag"] == '"1"'
    assert created["code"] == "IGATE" and created["domains"] == ["dichvucong.example.gov.vn"]
    assert created["servers"] == [{"id": host.id, "hostname": "igate-app01"}]
    assert created["level_decision_date"] == "2024-05-20" and created["version"] == 1
    assert api.get(f"/systems/{created['id']}").get_json() == created
    entries = db.session.execute(db.select(AuditLog).where(AuditLog.action == "system.create")).scalars().all()
    assert [(e.object_id, e.channel) for e in entries] == [(str(created["id"]), "api")]


def test_creating_a_server_with_its_host_and_systems(api, coordinator):
    host = server(coordinator, "host01", kind="physical")
    one = system(coordinator, "IOFFICE")
    response = api.post("/servers", json={"hostname": "IOffice-DB01", "addresses": ["10.1.1.5", "2001:db8::5"],
                                          "kind": "virtual", "host_id": host.id, "system_ids": [one.id],
                                          "baseline_ports": "443, 22, 161/udp"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["hostname"] == "ioffice-db01" and body["host"] == {"id": host.id, "hostname": "host01"}
    assert body["baseline_ports"] == "22/tcp, 443/tcp, 161/udp"
    assert body["systems"] == [{"id": one.id, "code": "IOFFICE"}]
    assert response.headers["Location"] == f"/api/v1/servers/{body['id']}"


@pytest.mark.parametrize("path, body, field", [
    ("/systems", {"code": "A", "name": "x", "level": 7}, "level"),
    ("/systems", {"code": "A B", "name": "x", "level": 3}, "code"),
    ("/systems", {"name": "x", "level": 3}, "code"),
    ("/systems", {"code": "A", "name": "x", "level": 3, "public_addresses": ["10.0.0.300"]}, "public_addresses"),
    ("/systems", {"code": "A", "name": "x", "level": 3, "domains": ["-bad"]}, "domains"),
    ("/systems", {"code": "A", "name": "x", "level": 3, "level_decision_date": "2999-01-01"}, "level_decision_date"),
    ("/systems", {"code": "A", "name": "x", "level": 3, "id": 5}, "id"),
    ("/systems", {"code": "A", "name": "x", "level": 3, "server_ids": [999999]}, "server_ids"),
    ("/servers", {"hostname": "a", "addresses": ["10.0.0.1"], "kind": "virtual", "baseline_ports": "70000"},
     "baseline_ports"),
    ("/servers", {"hostname": "a", "addresses": ["10.0.0.1"], "kind": "virtual", "baseline_ports": "22:80"},
     "baseline_ports"),
    ("/servers", {"hostname": "a", "addresses": ["fe80::1%eth0"], "kind": "virtual"}, "addresses"),
    ("/servers", {"hostname": "a", "addresses": [], "kind": "virtual"}, "addresses"),
    ("/servers", {"hostname": "-oN", "addresses": ["10.0.0.1"], "kind": "virtual"}, "hostname"),
    ("/servers", {"hostname": "a", "addresses": ["10.0.0.1"], "kind": "cloud"}, "kind"),
    ("/servers", {"hostname": "a", "addresses": ["10.0.0.1"], "kind": "virtual", "system_ids": [0]}, "system_ids.0"),
])
def test_bad_bodies_are_refused_naming_the_field(api, db, path, body, field):
    answer = assert_json_error(api.post(path, json=body), 400)
    assert field in answer["errors"], answer
    assert db.session.execute(db.select(InformationSystem)).first() is None
    assert db.session.execute(db.select(Server)).first() is None


def test_a_taken_code_or_hostname_is_refused_on_that_field(api, coordinator):
    system(coordinator, "IGATE")
    server(coordinator, "app01")
    assert "code" in assert_json_error(api.post("/systems", json={"code": "igate", "name": "x", "level": 3}),
                                       400)["errors"]
    assert "hostname" in assert_json_error(api.post("/servers", json={
        "hostname": "APP01", "addresses": ["10.0.0.2"], "kind": "virtual"}), 400)["errors"]


def test_patch_changes_the_fields_given_and_raises_the_version(api, coordinator, db):
    one = system(coordinator, "IOFFICE")
    response = api.patch(f"/systems/{one.id}", json={"level": 4, "version": one.version})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["level"] == 4 and response.get_json()["version"] == 2
    assert response.headers["ETag"] == '"2"'
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "system.update")).scalar_one()
    assert entry.before == {"level": 3} and entry.after == {"level": 4}


def test_patch_with_a_stale_version_answers_409_and_changes_nothing(api, coordinator, db):
    one = system(coordinator, "IOFFICE")
    services.update_system(coordinator, one.id, {"name": "Đã đổi"})
    assert_json_error(api.patch(f"/systems/{one.id}", json={"name": "Của tôi", "version": 1}), 409)
    assert_json_error(api.patch(f"/systems/{one.id}", json={"name": "Của tôi"}, headers={"If-Match": '"1"'}), 409)
    host = server(coordinator, "app01")
    services.update_server(coordinator, host.id, {"role": "Web"})
    assert_json_error(api.patch(f"/servers/{host.id}", json={"role": "DB"}, headers={"If-Match": 'W/"1"'}), 409)
    db.session.expire_all()
    assert db.session.get(InformationSystem, one.id).name == "Đã đổi"
    assert db.session.get(Server, host.id).role == "Web"


def test_patch_takes_the_version_from_if_match_and_refuses_a_malformed_one(api, coordinator):
    one = system(coordinator, "IOFFICE")
    etag = api.get(f"/systems/{one.id}").headers["ETag"]
    assert api.patch(f"/systems/{one.id}", json={"hosting": "TTDL tỉnh"}, headers={"If-Match": etag}).status_code == 200
    body = assert_json_error(api.patch(f"/systems/{one.id}", json={"hosting": "x"}, headers={"If-Match": "*"}), 400)
    assert "If-Match" in body["errors"]


def test_patch_with_nothing_to_change_is_refused(api, coordinator):
    one = system(coordinator, "IOFFICE")
    assert_json_error(api.patch(f"/systems/{one.id}", json={"version": 1}), 400)
    assert_json_error(api.patch(f"/systems/{one.id}", json={}), 400)


def test_patch_of_a_server_checks_its_host(api, coordinator):
    physical = server(coordinator, "host01", kind="physical")
    vm = server(coordinator, "vm01")
    body = assert_json_error(api.patch(f"/servers/{physical.id}", json={"host_id": vm.id}), 400)
    assert "host_id" in body["errors"]
    body = assert_json_error(api.patch(f"/servers/{vm.id}", json={"host_id": vm.id}), 400)
    assert "host_id" in body["errors"]
    assert api.patch(f"/servers/{vm.id}", json={"host_id": physical.id}).get_json()["host"]["id"] == physical.id


def test_patch_of_an_archived_system_is_refused(api, coordinator):
    one = system(coordinator, "OLD")
    services.archive_system(coordinator, one.id)
    assert_json_error(api.patch(f"/systems/{one.id}", json={"name": "Sống lại"}), 400)
