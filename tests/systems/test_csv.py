"""CSV export and import of information systems and servers: the round trip gives the same
records, every malformed file is refused with its line and reason and changes nothing."""
import csv
import io
from datetime import date

import pytest

from csirt.audit.models import AuditLog
from csirt.clock import utcnow
from csirt.systems import csvio, services
from csirt.systems.models import InformationSystem, Server, system_server
from tests.conftest import csrf_from

SYSTEM_FIELDS = ("code", "name", "level", "operator", "purpose", "description", "information_kind", "served",
                 "classification_notes", "level_decision", "level_decision_date", "level_approver", "domains",
                 "public_addresses", "hosting", "archived_at")
SERVER_FIELDS = ("hostname", "addresses", "kind", "operating_system", "role", "data_centre", "rack",
                 "baseline_ports", "antivirus_expected", "agent_expected", "archived_at")
SYSTEMS_HEADER = "code,name,level,owner_agency"
SERVERS_HEADER = "hostname,agency,addresses,kind"


@pytest.fixture
def unit(make):
    return make.agency(code="STTTT", name="Sở Thông tin và Truyền thông")


@pytest.fixture
def health(make):
    return make.agency(code="SYT", name="Sở Y tế")


@pytest.fixture
def coordinator(make, unit):
    return make.user("coordinator", agency_obj=unit, locale="en")


@pytest.fixture
def inventory(coordinator, unit, health):
    """A small province: Vietnamese text, lists, a formula-like cell, a multi-line description,
    a physical host with guests, links both ways, an archived system."""
    host = services.create_server(coordinator, {
        "hostname": "ttdl-host01", "addresses": "10.10.0.1", "kind": "physical", "agency_id": unit.id,
        "operating_system": "VMware ESXi 8", "data_centre": "Trung tâm dữ liệu tỉnh", "rack": "R01"})
    app01 = services.create_server(coordinator, {
        "hostname": "igate-app01", "addresses": "10.10.1.21, 2001:db8::21", "kind": "virtual", "host_id": host.id,
        "agency_id": unit.id, "operating_system": "Ubuntu 22.04", "role": "Máy chủ ứng dụng cổng dịch vụ công",
        "baseline_ports": "443, 22/tcp, 161/udp", "antivirus_expected": "BKAV Endpoint",
        "agent_expected": "Wazuh agent"})
    db01 = services.create_server(coordinator, {
        "hostname": "his-db01", "addresses": "10.20.0.5", "kind": "virtual", "host_id": host.id,
        "agency_id": health.id, "role": "=HYPERLINK(\"http://evil\")", "baseline_ports": "5432"})
    services.create_system(coordinator, {
        "code": "IGATE", "name": "Cổng dịch vụ công tỉnh Lào Cai", "level": 3, "owner_agency_id": unit.id,
        "operator": "Trung tâm CNTT&TT", "purpose": "Tiếp nhận, trả kết quả hồ sơ trực tuyến",
        "description": "Dòng một;\nDòng hai, có dấu phẩy\n-- và gạch đầu dòng", "information_kind": "internal",
        "served": "public_service", "classification_notes": "@Điều 9 Nghị định 85", "level_decision": "123/QĐ-UBND",
        "level_decision_date": date(2024, 5, 20), "level_approver": "Chủ tịch UBND tỉnh",
        "domains": "dichvucong.laocai.gov.vn, xn--lo-cai-8wa.vn", "public_addresses": "203.0.113.10",
        "hosting": "Trung tâm dữ liệu tỉnh", "server_ids": [app01.id, host.id]})
    his = services.create_system(coordinator, {
        "code": "HIS", "name": "Hệ thống thông tin bệnh viện", "level": 2, "owner_agency_id": health.id,
        "operator": "+84 214 3840 000", "server_ids": [db01.id]})
    old = services.create_system(coordinator, {"code": "OLD_MAIL", "name": "Thư điện tử cũ", "level": 1,
                                               "owner_agency_id": unit.id})
    services.archive_system(coordinator, old.id)
    return {"host": host, "app01": app01, "db01": db01, "his": his}


def state(db):
    """Every system and server with every field, and the links, by code / host name."""
    db.session.expire_all()
    systems = {s.code: {**{f: getattr(s, f) for f in SYSTEM_FIELDS}, "agency": s.owner_agency.code,
                        "servers": sorted(v.hostname for v in s.servers)}
               for s in db.session.execute(db.select(InformationSystem)).scalars()}
    servers = {s.hostname: {**{f: getattr(s, f) for f in SERVER_FIELDS}, "agency": s.agency.code,
                            "host": s.host.hostname if s.host else None,
                            "systems": sorted(v.code for v in s.systems)}
               for s in db.session.execute(db.select(Server)).scalars()}
    return systems, servers


def full_state(db):
    """`state` with the versions and the number of audit entries: what "nothing changed" means."""
    versions = sorted(db.session.execute(db.select(InformationSystem.code, InformationSystem.version)).all())
    versions += sorted(db.session.execute(db.select(Server.hostname, Server.version)).all())
    audits = db.session.execute(db.select(db.func.count(AuditLog.id)).where(  # sign-ins aside
        AuditLog.action.not_like("auth.%"))).scalar()
    return state(db), versions, audits


def upload(client, auth, user, systems=None, servers=None):
    page = client.get("/systems/import")
    if page.status_code == 302:  # not signed in yet
        auth.login(user)
        page = client.get("/systems/import")
    token = csrf_from(page.get_data(as_text=True))
    data = {"csrf_token": token}
    if systems is not None:
        data["systems_file"] = (io.BytesIO(systems if isinstance(systems, bytes) else systems.encode()), "systems.csv")
    if servers is not None:
        data["servers_file"] = (io.BytesIO(servers if isinstance(servers, bytes) else servers.encode()), "servers.csv")
    return client.post("/systems/import", data=data, content_type="multipart/form-data")


def refused(response, *messages):
    """The import page with its list of problems; each of `messages` is on it."""
    text = response.get_data(as_text=True)
    assert response.status_code in (400, 413), (response.status_code, text[:500])
    assert 'id="import-problems"' in text
    for message in messages:
        assert message in text.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&"), text
    return text


def csv_rows(body):
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


# --- export --------------------------------------------------------------------------------

def test_export_is_utf8_with_bom_and_stable_columns(client, auth, coordinator, inventory):
    auth.login(coordinator)
    response = client.get("/systems/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = csv_rows(response.data)
    assert list(rows[0]) == list(csvio.SYSTEM_COLUMNS)
    igate = next(r for r in rows if r["code"] == "IGATE")
    assert igate["name"] == "Cổng dịch vụ công tỉnh Lào Cai" and igate["owner_agency"] == "STTTT"
    assert igate["domains"] == "dichvucong.laocai.gov.vn; xn--lo-cai-8wa.vn"
    assert igate["servers"] == "igate-app01; ttdl-host01" and igate["level_decision_date"] == "2024-05-20"
    assert igate["classification_notes"] == "'@Điều 9 Nghị định 85"  # formula-like: apostrophe first
    assert next(r for r in rows if r["code"] == "HIS")["operator"] == "'+84 214 3840 000"
    assert next(r for r in rows if r["code"] == "OLD_MAIL")["archived_at"].endswith("Z")
    servers = csv_rows(client.get("/systems/servers/export.csv").data)
    assert list(servers[0]) == list(csvio.SERVER_COLUMNS)
    app01 = next(r for r in servers if r["hostname"] == "igate-app01")
    assert app01["baseline_ports"] == "22/tcp, 443/tcp, 161/udp" and app01["host"] == "ttdl-host01"
    assert app01["addresses"] == "10.10.1.21; 2001:db8::21" and app01["systems"] == "IGATE"
    assert next(r for r in servers if r["hostname"] == "his-db01")["role"] == "'=HYPERLINK(\"http://evil\")"


def test_a_liaison_exports_only_their_agency_and_names_only_what_they_see(client, auth, make, health, inventory):
    liaison = make.user("member", agency_obj=health, locale="en")
    auth.login(liaison)
    assert [r["code"] for r in csv_rows(client.get("/systems/export.csv").data)] == ["HIS"]
    [row] = csv_rows(client.get("/systems/servers/export.csv").data)
    assert row["hostname"] == "his-db01" and row["host"] == ""  # the host belongs to another agency


def test_an_export_is_audited(client, auth, coordinator, inventory, db):
    auth.login(coordinator)
    client.get("/systems/export.csv")
    client.get("/systems/servers/export.csv")
    actions = db.session.execute(db.select(AuditLog.action).where(AuditLog.action.like("%.export"))).scalars()
    assert sorted(actions) == ["server.export", "system.export"]


def test_cells_escape_and_unescape_exactly():
    for text in ("=1+1", "+84", "-5", "@SUM(A1)", "\tx", "'=x", "''=x", "'plain", "plain", "", "'", "''"):
        assert csvio.unescape_cell(csvio.escape_cell(text)) == text, text
        assert not csvio.escape_cell(text).startswith(csvio.FORMULA_START)


# --- round trip ----------------------------------------------------------------------------

def _empty_inventory(db):
    db.session.execute(system_server.delete())
    db.session.execute(db.update(Server).values(host_id=None))
    db.session.execute(db.delete(Server))
    db.session.execute(db.delete(InformationSystem))
    db.session.commit()


def test_export_then_import_into_an_empty_inventory_gives_the_same_records(client, auth, coordinator, inventory,
                                                                            db):
    before = state(db)
    auth.login(coordinator)
    systems_csv = client.get("/systems/export.csv").data
    servers_csv = client.get("/systems/servers/export.csv").data
    _empty_inventory(db)
    assert state(db) == ({}, {})
    response = upload(client, auth, coordinator, systems_csv, servers_csv)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    after = state(db)
    assert after == before
    assert after[0]["IGATE"]["description"] == "Dòng một;\nDòng hai, có dấu phẩy\n-- và gạch đầu dòng"
    assert after[1]["his-db01"]["role"] == "=HYPERLINK(\"http://evil\")"
    # one entry per created record, and one for the import
    actions = db.session.execute(db.select(AuditLog.action).order_by(AuditLog.id)).scalars().all()
    assert actions[-7:].count("system.create") == 3 and actions[-7:].count("server.create") == 3
    assert actions[-1] == "systems.import"


def test_importing_the_same_export_again_changes_nothing(client, auth, coordinator, inventory, db):
    auth.login(coordinator)
    systems_csv = client.get("/systems/export.csv").data
    servers_csv = client.get("/systems/servers/export.csv").data
    before = full_state(db)
    response = upload(client, auth, coordinator, systems_csv, servers_csv)
    assert response.status_code == 302
    (records, versions, audits) = full_state(db)
    assert (records, versions) == before[:2] and audits == before[2] + 1  # the import's own entry
    follow = client.get("/systems/import").get_data(as_text=True)
    assert "created 0, updated 0" in follow or "tạo mới 0" in follow


def test_a_row_updates_the_record_with_its_code_and_is_audited(client, auth, coordinator, inventory, db):
    response = upload(client, auth, coordinator, systems="code,name,level,owner_agency,domains\r\n"
                      "igate,Cổng dịch vụ công (mới),4,STTTT,dichvucong.laocai.gov.vn\r\n"
                      "NEW1,Hệ thống mới,2,syt,\r\n")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    systems, _servers = state(db)
    assert systems["IGATE"]["name"] == "Cổng dịch vụ công (mới)" and systems["IGATE"]["level"] == 4
    assert systems["IGATE"]["domains"] == ["dichvucong.laocai.gov.vn"]
    assert systems["IGATE"]["operator"] == "Trung tâm CNTT&TT"  # a column left out keeps its value
    assert systems["IGATE"]["servers"] == ["igate-app01", "ttdl-host01"]
    assert systems["NEW1"]["agency"] == "SYT"
    update = db.session.execute(db.select(AuditLog).where(AuditLog.action == "system.update")
                                .order_by(AuditLog.id)).scalars().all()[-1]
    assert update.after == {"name": "Cổng dịch vụ công (mới)", "level": 4, "domains": ["dichvucong.laocai.gov.vn"]}
    summary = db.session.execute(db.select(AuditLog).where(AuditLog.action == "systems.import")).scalar_one()
    assert summary.after["systems"] == {"created": 1, "updated": 1, "unchanged": 0}


def test_a_semicolon_separated_file_from_excel_is_read(client, auth, coordinator, unit, db):
    text = "\ufeffcode;name;level;owner_agency;domains\r\nQLVB;Quản lý văn bản;3;STTTT;\"a.gov.vn; b.gov.vn\"\r\n"
    assert upload(client, auth, coordinator, systems=text.encode("utf-8")).status_code == 302
    assert state(db)[0]["QLVB"]["domains"] == ["a.gov.vn", "b.gov.vn"]


# --- malformed files: each names its line and reason, and nothing changes ---------------------

@pytest.mark.parametrize("kind, text, messages", [
    ("systems", "code,name,owner_agency\r\nA,Tên,STTTT\r\n", ["line 1: Required columns are missing: level."]),
    ("systems", "code,name,level,owner_agency,colour\r\nA,Tên,3,STTTT,xanh\r\n", ["line 1: Unknown columns: colour."]),
    ("systems", "code,name,level,owner_agency\r\nA,Tên,3,STTTT\r\nB,Tên,7,STTTT\r\n",
     ["line 3: level: Choose a security level from 1 to 5."]),
    ("systems", "code,name,level,owner_agency\r\nA,Tên,3,NOPE\r\n", ['line 2: owner_agency: Unknown agency "NOPE".']),
    ("systems", "code,name,level,owner_agency,level_decision_date\r\nA,Tên,3,STTTT,20/05/2024\r\n",
     ["line 2: level_decision_date: Not a valid date (YYYY-MM-DD)."]),
    ("systems", "code,name,level,owner_agency\r\nA,Tên,3,STTTT\r\na,Tên khác,3,STTTT\r\n",
     ["line 3: code: Already given on line 2."]),
    ("systems", "code,name,level,owner_agency,servers\r\nA,Tên,3,STTTT,khong-co\r\n",
     ["line 2: servers: Unknown or archived servers: khong-co."]),
    ("servers", f"{SERVERS_HEADER},baseline_ports\r\nweb01,STTTT,10.0.0.1,virtual,\"22, 70000\"\r\n",
     ['line 2: baseline_ports: "70000": a port must be between 1 and 65535.']),
    ("servers", f"{SERVERS_HEADER},baseline_ports\r\nweb01,STTTT,10.0.0.1,virtual,22:80\r\n",
     ['line 2: baseline_ports: "22:80" is not a port']),
    ("servers", f"{SERVERS_HEADER}\r\nweb01,STTTT,10.0.0.300,virtual\r\n",
     ['line 2: addresses: "10.0.0.300" is not an IP address.']),
    ("servers", f"{SERVERS_HEADER}\r\nweb01,STTTT,10.0.0.1,virtual\r\nWEB01,STTTT,10.0.0.2,virtual\r\n",
     ["line 3: hostname: Already given on line 2."]),
    ("servers", f"{SERVERS_HEADER}\r\nigate-app01,STTTT,10.0.0.1,physical\r\n",
     ["line 2: host: Only a virtual server runs on a host."]),
    ("servers", f"{SERVERS_HEADER},host\r\nweb01,STTTT,10.0.0.1,virtual,igate-app01\r\n",
     ["line 2: host: The host must be a physical server."]),
    ("servers", f"{SERVERS_HEADER}\r\nweb01,STTTT,10.0.0.1,cloud\r\n",
     ["line 2: kind: Choose one of the listed values."]),
])
def test_a_malformed_file_is_refused_naming_line_and_reason_and_changes_nothing(
        client, auth, coordinator, inventory, db, kind, text, messages):
    before = full_state(db)
    response = upload(client, auth, coordinator, **{kind: text})
    refused(response, *messages)
    assert full_state(db) == before


def test_every_bad_row_is_listed_and_the_good_rows_are_not_written(client, auth, coordinator, inventory, db):
    before = full_state(db)
    text = ("code,name,level,owner_agency\r\nGOOD,Tốt,3,STTTT\r\nBAD1,Tên,0,STTTT\r\n"
            "\r\nBAD2,,3,STTTT\r\nIGATE,Cổng,3,STTTT\r\n")
    page = refused(upload(client, auth, coordinator, systems=text),
                   "line 3: level: Choose a security level from 1 to 5.", "line 5: name: This field is required.")
    assert "line 2" not in page and "line 6" not in page
    assert full_state(db) == before


def test_a_file_that_is_not_utf8_is_refused(client, auth, coordinator, inventory, db):
    before = full_state(db)
    # "Quản lý" as a Windows code page writes it (0xE1, 0xFD): not UTF-8
    text = b"code,name,level,owner_agency\r\nQLVB,Qu\xe1n l\xfd,3,STTTT\r\n"
    refused(upload(client, auth, coordinator, systems=text), "line 2: The file is not UTF-8 text.")
    refused(upload(client, auth, coordinator, systems="code,name\r\n".encode("utf-16")), "The file is not UTF-8 text.")
    assert full_state(db) == before


def test_a_file_above_the_size_limit_is_refused(app, client, auth, coordinator, inventory, db):
    app.config["CSIRT_IMPORT_MAX_BYTES"] = 200
    before = full_state(db)
    text = SYSTEMS_HEADER + "\r\n" + "".join(f"S{i},Hệ thống số {i},3,STTTT\r\n" for i in range(20))
    response = upload(client, auth, coordinator, systems=text)
    assert response.status_code == 413
    refused(response, "The file is larger than 1 MB.")
    assert full_state(db) == before


def test_links_named_in_both_files_must_agree(client, auth, coordinator, inventory, db):
    before = full_state(db)
    systems = "code,name,level,owner_agency,servers\r\nIGATE,Cổng,3,STTTT,igate-app01\r\n"
    servers = f"{SERVERS_HEADER},systems\r\nigate-app01,STTTT,10.10.1.21,virtual,\r\n"
    refused(upload(client, auth, coordinator, systems, servers),
            "line 2: systems: Does not agree with line 2 of the information systems file (IGATE) about this server.")
    assert full_state(db) == before


def test_a_liaison_cannot_import_into_another_agency(client, auth, make, health, inventory, db):
    liaison = make.user("member", agency_obj=health, locale="en")
    before = full_state(db)
    refused(upload(client, auth, liaison, systems="code,name,level,owner_agency\r\nNEW,Mới,2,STTTT\r\n"),
            "line 2: owner_agency: You may only record your own agency&#39;s systems and servers."
            .replace("&#39;", "'"))
    # IGATE belongs to another agency: the liaison cannot see it, so its code is simply taken
    refused(upload(client, auth, liaison, systems="code,name,level,owner_agency\r\nIGATE,Của tôi,2,SYT\r\n"),
            "line 2: code: Another information system already has this code.")
    assert full_state(db) == before


def test_a_liaison_keeps_the_links_they_cannot_see(client, auth, make, health, inventory, db):
    liaison = make.user("member", agency_obj=health, locale="en")
    auth.login(liaison)
    servers_csv = client.get("/systems/servers/export.csv").data
    response = upload(client, auth, liaison, servers=servers_csv)
    assert response.status_code == 302
    assert state(db)[1]["his-db01"]["host"] == "ttdl-host01"  # the host the liaison cannot see stays


def test_a_manager_may_not_import(client, auth, make, inventory):
    manager = make.user("manager", locale="en")
    auth.login(manager)
    assert client.get("/systems/import").status_code == 403
    assert client.get("/systems/export.csv").status_code == 200


def test_the_import_form_needs_its_csrf_token(client, auth, coordinator, unit, db):
    auth.login(coordinator)
    response = client.post("/systems/import", data={
        "systems_file": (io.BytesIO(b"code,name,level,owner_agency\r\nX,Y,3,STTTT\r\n"), "s.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert db.session.execute(db.select(InformationSystem)).first() is None


def test_an_archived_record_stays_archived_and_cannot_be_edited_while_archived(client, auth, coordinator, inventory,
                                                                                db):
    archived = db.session.execute(db.select(InformationSystem).where(
        InformationSystem.code == "OLD_MAIL")).scalar_one().archived_at
    iso = csvio.iso_moment(archived)
    refused(upload(client, auth, coordinator,
                   systems=f"code,name,level,owner_agency,archived_at\r\nOLD_MAIL,Đổi tên,1,STTTT,{iso}\r\n"),
            "line 2: archived_at: This information system is archived; restore it before editing it.")
    # an empty archive cell restores it, with its changes
    restore = "code,name,level,owner_agency,archived_at\r\nOLD_MAIL,Đổi tên,1,STTTT,\r\n"
    assert upload(client, auth, coordinator, systems=restore).status_code == 302
    systems, _servers = state(db)
    assert systems["OLD_MAIL"]["archived_at"] is None and systems["OLD_MAIL"]["name"] == "Đổi tên"
    assert archived <= utcnow()
    restored = db.session.execute(db.select(AuditLog).where(AuditLog.action == "system.update")
                                .order_by(AuditLog.id)).scalars().all()[-1]
    assert restored.after == {"name": "Đổi tên", "archived_at": None}


def test_problems_are_listed_in_vietnamese_for_a_vietnamese_user(client, auth, make, unit, db):
    liaison = make.user("member", agency_obj=unit, locale="vi")
    text = "code,name,level,owner_agency\r\nQLVB,Quản lý văn bản,9,STTTT\r\n"
    page = refused(upload(client, auth, liaison, systems=text))
    assert "dòng 2: level: " in page and "Chưa nhập gì" in page
    assert db.session.execute(db.select(InformationSystem)).first() is None


def test_the_console_exports_and_imports_as_a_named_user(runner, coordinator, inventory, db, tmp_path):
    before = state(db)
    systems_path, servers_path = tmp_path / "systems.csv", tmp_path / "servers.csv"
    for kind, path in (("systems", systems_path), ("servers", servers_path)):
        result = runner.invoke(args=["inventory", "export", kind, "--as", coordinator.username, "-o", str(path)])
        assert result.exit_code == 0, result.output
    _empty_inventory(db)
    result = runner.invoke(args=["inventory", "import", "--as", coordinator.username, "--systems", str(systems_path),
                                 "--servers", str(servers_path)])
    assert result.exit_code == 0, result.output
    assert "systems: created 3" in result.output and "servers: created 3" in result.output
    assert state(db) == before
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,level,owner_agency\r\nX,Y,0,STTTT\r\n", encoding="utf-8")
    result = runner.invoke(args=["inventory", "import", "--as", coordinator.username, "--systems", str(bad)])
    assert result.exit_code == 1 and "level" in result.output and "X" not in state(db)[0]
