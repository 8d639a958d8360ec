"""The inventory's pages through the test client: create, edit, archive and restore systems and
servers; CSRF enforced; a liaison of another agency gets 404 and changes nothing."""
import pytest
from flask_babel import force_locale, gettext

from csirt.audit.models import AuditLog
from csirt.systems import panels, services
from csirt.systems.models import InformationSystem, Server
from tests.conftest import csrf_from


@pytest.fixture
def world(db, make):
    own, other = make.agency(code="OWN", name="Sở Nội vụ"), make.agency(code="OTHER", name="Sở Y tế")
    coordinator = make.user("coordinator", agency_obj=own)
    host = services.create_server(coordinator, {"hostname": "dc-host-01", "addresses": "10.0.0.1",
                                                "kind": "physical", "agency_id": own.id})
    system = services.create_system(coordinator, {"code": "QLVB", "name": "Quản lý văn bản iOffice", "level": 3,
                                                   "owner_agency_id": own.id, "server_ids": [host.id]})
    return {"own": own, "other": other, "coordinator": coordinator, "host": host, "system": system,
            "liaison": make.user("member", agency_obj=own), "stranger": make.user("member", agency_obj=other),
            "manager": make.user("manager", agency_obj=own)}


def _system_form(token, **over):
    data = {"csrf_token": token, "code": "igate", "name": "Cổng dịch vụ công", "level": "3",
            "information_kind": "public", "served": "public_service", "operator": "Trung tâm CĐS",
            "hosting": "Trung tâm dữ liệu tỉnh", "purpose": "", "description": "", "classification_notes": "",
            "level_decision": "123/QĐ-UBND", "level_decision_date": "2024-05-06", "level_approver": "UBND tỉnh",
            "domains": "dichvucong.laocai.gov.vn", "public_addresses": "203.0.113.10"}
    data.update(over)
    return data


def _server_form(token, **over):
    data = {"csrf_token": token, "hostname": "vm-igate-01", "addresses": "10.0.0.21\n2001:db8::21", "kind": "virtual",
            "host_id": "", "operating_system": "Ubuntu 22.04", "role": "Máy chủ ứng dụng", "data_centre": "TTDL tỉnh",
            "rack": "R2", "baseline_ports": "443, 22", "antivirus_expected": "Kaspersky",
            "agent_expected": "Wazuh"}
    data.update(over)
    return data


def _login(client, auth, user):
    assert auth.login(user).status_code == 302
    return csrf_from(client.get("/account/password").get_data(as_text=True))


def _rows(db):
    return (db.session.execute(db.select(InformationSystem.id, InformationSystem.code, InformationSystem.name,
                                         InformationSystem.version, InformationSystem.archived_at)).all(),
            db.session.execute(db.select(Server.id, Server.hostname, Server.version, Server.archived_at)).all())


def test_a_coordinator_records_a_system_with_its_servers_through_the_form(client, auth, db, world):
    token = _login(client, auth, world["coordinator"])
    response = client.post("/systems/new", data=_system_form(token, owner_agency_id=str(world["own"].id),
                                                              server_ids=[str(world["host"].id)]))
    assert response.status_code == 302
    system = db.session.execute(db.select(InformationSystem).where(InformationSystem.code == "IGATE")).scalar_one()
    assert response.headers["Location"].endswith(f"/systems/{system.id}")
    assert [s.hostname for s in system.servers] == ["dc-host-01"]
    page = client.get(f"/systems/{system.id}").get_data(as_text=True)
    for text in ("Cổng dịch vụ công", "123/QĐ-UBND", "06/05/2024", "dichvucong.laocai.gov.vn", "203.0.113.10",
                 "dc-host-01"):
        assert text in page


def test_a_refused_form_names_every_bad_field_and_writes_nothing(client, auth, db, world):
    token = _login(client, auth, world["coordinator"])
    before = _rows(db)
    response = client.post("/systems/new", data=_system_form(
        token, code="QLVB", name="", level="7", level_decision_date="2024-02-31", domains="a..vn",
        public_addresses="không-phải-IP", server_ids=["424242"]))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert page.count("invalid-feedback") == 7
    assert "không-phải-IP" in page and "424242" in page
    assert _rows(db) == before


def test_a_server_with_a_bad_baseline_or_address_is_refused_naming_the_field(app, client, auth, db, world):
    token = _login(client, auth, world["coordinator"])
    before = _rows(db)
    response = client.post("/systems/servers/new", data=_server_form(
        token, hostname="DC-HOST-01", addresses="10.0.0.500", baseline_ports="22, 65536, 80-"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    with app.test_request_context(), force_locale("vi"):
        taken = gettext("Another server already has this host name.")
    assert taken != "Another server already has this host name."  # the page is in Vietnamese
    assert "10.0.0.500" in page and "65536" in page and taken in page
    assert _rows(db) == before


def test_a_liaison_records_and_edits_their_agencys_server(client, auth, db, world):
    token = _login(client, auth, world["liaison"])
    response = client.post("/systems/servers/new", data=_server_form(
        token, host_id=str(world["host"].id), system_ids=[str(world["system"].id)], agency_id=str(world["other"].id)))
    assert response.status_code == 302
    server = db.session.execute(db.select(Server).where(Server.hostname == "vm-igate-01")).scalar_one()
    assert server.agency_id == world["own"].id  # the agency field is not theirs to set
    assert server.baseline_ports == "22/tcp, 443/tcp" and server.addresses == ["10.0.0.21", "2001:db8::21"]
    assert server.host_id == world["host"].id and [s.code for s in server.systems] == ["QLVB"]
    edit = client.get(f"/systems/servers/{server.id}/edit").get_data(as_text=True)
    assert 'name="agency_id"' not in edit
    response = client.post(f"/systems/servers/{server.id}/edit", data=_server_form(
        token, host_id=str(world["host"].id), role="Máy chủ CSDL", version=str(server.version),
        system_ids=[str(world["system"].id)]))
    assert response.status_code == 302
    db.session.refresh(server)
    assert server.role == "Máy chủ CSDL" and server.version == 2


def test_editing_a_system_keeps_what_was_not_changed(client, auth, db, world):
    token = _login(client, auth, world["liaison"])
    system = world["system"]
    page = client.get(f"/systems/{system.id}/edit").get_data(as_text=True)
    assert "Quản lý văn bản iOffice" in page and 'name="owner_agency_id"' not in page
    response = client.post(f"/systems/{system.id}/edit", data=_system_form(
        token, code="QLVB", name="iOffice", level="4", version=str(system.version),
        server_ids=[str(world["host"].id)]))
    assert response.status_code == 302
    db.session.refresh(system)
    assert (system.name, system.level, system.owner_agency_id) == ("iOffice", 4, world["own"].id)
    assert [s.id for s in system.servers] == [world["host"].id]


def test_an_edit_over_someone_elses_change_answers_409_and_shows_the_change(client, auth, db, world):
    system = world["system"]
    token = _login(client, auth, world["liaison"])
    stale = str(system.version)
    services.update_system(world["coordinator"], system.id, {"operator": "VNPT Lào Cai"})
    response = client.post(f"/systems/{system.id}/edit", data=_system_form(
        token, code="QLVB", name="iOffice", level="3", operator="", version=stale,
        server_ids=[str(world["host"].id)]))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'id="edit-conflict"' in page and "VNPT Lào Cai" in page and 'id="save-anyway"' in page
    db.session.refresh(system)
    assert system.name == "Quản lý văn bản iOffice"  # nothing saved yet
    # the operator the person had not changed now holds the other person's value
    assert 'value="VNPT Lào Cai"' in page


def test_archive_and_restore_through_the_pages(client, auth, db, world):
    token = _login(client, auth, world["liaison"])
    system = world["system"]
    assert client.post(f"/systems/{system.id}/archive", data={"csrf_token": token,
                                                              "version": str(system.version)}).status_code == 302
    db.session.refresh(system)
    assert system.archived_at is not None
    assert "QLVB" not in client.get("/systems/").get_data(as_text=True).split("<tbody>")[1]
    assert "QLVB" in client.get("/systems/?archived=1").get_data(as_text=True).split("<tbody>")[1]
    page = client.get(f"/systems/{system.id}").get_data(as_text=True)
    assert 'id="restore-system"' in page and 'id="edit-system"' not in page
    assert client.post(f"/systems/{system.id}/restore", data={"csrf_token": token}).status_code == 302
    db.session.refresh(system)
    assert system.archived_at is None
    host = world["host"]
    assert client.post(f"/systems/servers/{host.id}/archive", data={"csrf_token": token}).status_code == 302
    db.session.refresh(host)
    assert host.archived_at is not None and db.session.get(Server, host.id) is not None


@pytest.mark.parametrize("path, data", [
    ("/systems/new", lambda w, t: _system_form(t)),
    ("/systems/{system}/edit", lambda w, t: _system_form(t, code="QLVB", name="X")),
    ("/systems/{system}/archive", lambda w, t: {}),
    ("/systems/servers/new", lambda w, t: _server_form(t)),
    ("/systems/servers/{host}/edit", lambda w, t: _server_form(t, hostname="dc-host-01", kind="physical")),
    ("/systems/servers/{host}/archive", lambda w, t: {}),
])
def test_every_form_refuses_a_post_without_its_csrf_token(client, auth, db, world, path, data):
    token = _login(client, auth, world["coordinator"])
    before = _rows(db)
    body = {k: v for k, v in data(world, token).items() if k != "csrf_token"}
    url = path.format(system=world["system"].id, host=world["host"].id)
    assert client.post(url, data=body).status_code == 400
    assert _rows(db) == before


@pytest.mark.parametrize("method, path", [
    ("GET", "/systems/{system}"), ("GET", "/systems/{system}/edit"), ("POST", "/systems/{system}/edit"),
    ("POST", "/systems/{system}/archive"), ("POST", "/systems/{system}/restore"),
    ("GET", "/systems/servers/{host}"), ("GET", "/systems/servers/{host}/edit"),
    ("POST", "/systems/servers/{host}/edit"), ("POST", "/systems/servers/{host}/archive")])
def test_a_liaison_of_another_agency_gets_404_and_changes_nothing(client, auth, db, world, method, path):
    token = _login(client, auth, world["stranger"])
    before = _rows(db)
    url = path.format(system=world["system"].id, host=world["host"].id)
    data = {**_system_form(token, code="QLVB", name="Chiếm"), **_server_form(token, hostname="dc-host-01")}
    response = client.open(url, method=method, data=data if method == "POST" else None)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Quản lý văn bản iOffice" not in body and "10.0.0.1" not in body
    assert _rows(db) == before


def test_a_liaison_of_another_agency_does_not_find_the_records_in_the_lists(client, auth, world):
    _login(client, auth, world["stranger"])
    assert "QLVB" not in client.get("/systems/?q=QLVB").get_data(as_text=True).split("<tbody>")[1]
    assert "dc-host-01" not in client.get("/systems/servers?q=dc").get_data(as_text=True).split("<tbody>")[1]


def test_a_manager_reads_the_pages_but_gets_403_on_changes(client, auth, db, world):
    token = _login(client, auth, world["manager"])
    system = world["system"]
    page = client.get(f"/systems/{system.id}").get_data(as_text=True)
    assert "Quản lý văn bản iOffice" in page and 'id="edit-system"' not in page and 'id="archive-system"' not in page
    assert 'id="new-system"' not in client.get("/systems/").get_data(as_text=True)
    before = _rows(db)
    assert client.get("/systems/new").status_code == 403
    assert client.post(f"/systems/{system.id}/archive", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/systems/{system.id}/edit", data=_system_form(token, code="QLVB")).status_code == 403
    assert _rows(db) == before
    denied = db.session.execute(db.select(AuditLog).where(AuditLog.action == "auth.denied")).scalars().all()
    assert len(denied) == 3


def test_registered_panels_render_on_the_system_and_server_pages(app, client, auth, world):
    from jinja2 import ChoiceLoader, DictLoader

    app.jinja_loader = ChoiceLoader([DictLoader({"test_panel.html": '<p id="panel">{{ panel.text }}</p>'}),
                                     app.jinja_loader])
    panels.register("system", "test", lambda user, obj: ("test_panel.html", {"text": f"<b>{obj.code}</b>"}))
    panels.register("server", "test", lambda user, obj: None)  # a panel may show nothing
    _login(client, auth, world["coordinator"])
    page = client.get(f"/systems/{world['system'].id}").get_data(as_text=True)
    assert '<p id="panel">&lt;b&gt;QLVB&lt;/b&gt;</p>' in page
    assert 'id="panel"' not in client.get(f"/systems/servers/{world['host'].id}").get_data(as_text=True)


def test_user_text_is_shown_escaped(client, auth, db, world):
    token = _login(client, auth, world["coordinator"])
    response = client.post("/systems/new", data=_system_form(token, code="XSS", name="<script>alert(1)</script>",
                                                              purpose="{{7*7}}"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page and "{{7*7}}" in page


def test_a_liaison_editing_a_server_on_another_agencys_host_keeps_the_host_unnamed(client, auth, db, world):
    theirs = services.create_server(world["coordinator"], {"hostname": "dc-shared-01", "addresses": "10.0.0.99",
                                                           "kind": "physical", "agency_id": world["other"].id})
    vm = services.create_server(world["coordinator"], {"hostname": "vm-own-01", "addresses": "10.0.0.50",
                                                       "kind": "virtual", "host_id": theirs.id,
                                                       "agency_id": world["own"].id})
    token = _login(client, auth, world["liaison"])
    page = client.get(f"/systems/servers/{vm.id}/edit").get_data(as_text=True)
    assert "dc-shared-01" not in page and f'<option selected value="{theirs.id}">' in page
    response = client.post(f"/systems/servers/{vm.id}/edit", data=_server_form(
        token, hostname="vm-own-01", addresses="10.0.0.50", host_id=str(theirs.id), role="Máy chủ web",
        version=str(vm.version)))
    assert response.status_code == 302
    db.session.refresh(vm)
    assert vm.host_id == theirs.id and vm.role == "Máy chủ web"
    assert "dc-shared-01" not in client.get(f"/systems/servers/{vm.id}").get_data(as_text=True)
