"""Incidents link to the information systems and servers they affected: services, the form, the
incident page, the list filters, the API, the panels on the system and server pages, and the edit
conflict page."""
import re
from datetime import timedelta

import pytest

from csirt.audit.models import AuditLog
from csirt.clock import utcnow
from csirt.errors import ValidationError
from csirt.extensions import db as _db
from csirt.incidents import services
from csirt.incidents.models import Incident, TimelineEntry
from csirt.systems.models import InformationSystem, Server
from tests.api.test_incidents_api import Api, _new_incident_body
from tests.conftest import Auth, csrf_from

EN = {"Accept-Language": "en"}


def _system(agency, code, name=None, archived=False):
    row = InformationSystem(code=code, name=name or f"Hệ thống {code}", owner_agency_id=agency.id,
                            archived_at=utcnow() if archived else None)
    _db.session.add(row)
    _db.session.commit()
    return row


def _server(agency, hostname, addresses=(), archived=False):
    row = Server(hostname=hostname, agency_id=agency.id, addresses=list(addresses),
                 archived_at=utcnow() if archived else None)
    _db.session.add(row)
    _db.session.commit()
    return row


@pytest.fixture
def world(app, make):
    """Two agencies, each with a system and a server; a coordinator and a liaison of each."""
    own, other = make.agency(code="STTTT"), make.agency(code="VPUB")
    return {
        "own": own, "other": other,
        "mail": _system(own, "MAIL", "Hệ thống thư điện tử công vụ"),
        "igate": _system(other, "IGATE", "Cổng dịch vụ công"),
        "mail01": _server(own, "dc-mail-01", ["10.0.0.5"]),
        "web01": _server(other, "dc-web-01", ["10.0.0.8"]),
        # pages speak the user's language: English, to read the messages here
        "coordinator": make.user("coordinator", agency_obj=own, locale="en"),
        "liaison": make.user("member", agency_obj=own, locale="en"),
        "other_liaison": make.user("member", agency_obj=other, locale="en"),
    }


def _ids(records):
    return sorted(r.id for r in records)


# --- services ---------------------------------------------------------------------------------

def test_opening_an_incident_links_the_named_systems_and_servers_and_audits_them(make, world):
    incident = make.incident(actor=world["coordinator"], system_ids=[world["mail"].id, world["igate"].id],
                             server_ids=[world["web01"].id])
    _db.session.expire_all()
    incident = _db.session.get(Incident, incident.id)
    assert [s.code for s in incident.systems] == ["IGATE", "MAIL"]
    assert [s.hostname for s in incident.servers] == ["dc-web-01"]
    entry = _db.session.execute(_db.select(AuditLog).where(AuditLog.action == "incident.create")).scalar_one()
    assert entry.after["system_ids"] == _ids([world["mail"], world["igate"]])
    assert entry.after["server_ids"] == [world["web01"].id]


def test_text_naming_known_records_is_linked_and_only_the_rest_stays_as_text(make, world):
    incident = make.incident(actor=world["coordinator"], affected_systems="mail; Phần mềm kế toán",
                             affected_servers="10.0.0.8, máy trạm tài vụ")
    assert _ids(incident.systems) == [world["mail"].id] and incident.affected_systems == "Phần mềm kế toán"
    assert _ids(incident.servers) == [world["web01"].id] and incident.affected_servers == "máy trạm tài vụ"


def test_a_liaison_cannot_link_another_agencys_system_and_nothing_is_written(make, world):
    before = _db.session.execute(_db.select(_db.func.count(Incident.id))).scalar()
    with pytest.raises(ValidationError) as err:
        make.incident(actor=world["liaison"], system_ids=[world["igate"].id], server_ids=[world["web01"].id])
    assert set(err.value.errors) == {"system_ids", "server_ids"}
    assert str(world["igate"].id) in err.value.errors["system_ids"]
    _db.session.rollback()
    assert _db.session.execute(_db.select(_db.func.count(Incident.id))).scalar() == before


def test_a_liaisons_text_naming_another_agencys_system_stays_text(make, world):
    incident = make.incident(actor=world["liaison"], affected_systems="IGATE; MAIL")
    assert _ids(incident.systems) == [world["mail"].id] and incident.affected_systems == "IGATE"


def test_an_archived_system_cannot_be_newly_linked_but_an_existing_link_stays(make, world):
    coordinator = world["coordinator"]
    old = _system(world["own"], "OLD")
    incident = make.incident(actor=coordinator, system_ids=[old.id])
    old.archived_at = utcnow()
    _db.session.commit()
    archived = _system(world["own"], "GONE", archived=True)
    with pytest.raises(ValidationError) as err:
        services.update_incident(coordinator, incident, {"system_ids": [old.id, archived.id]})
    assert "GONE" in err.value.errors["system_ids"]
    _db.session.rollback()
    incident = _db.session.get(Incident, incident.id)
    services.update_incident(coordinator, incident, {"system_ids": [old.id, world["mail"].id]})
    assert _ids(_db.session.get(Incident, incident.id).systems) == sorted([old.id, world["mail"].id])


def test_an_unknown_id_or_a_malformed_list_is_refused_per_field(make, world):
    for value, field in (([999999], "system_ids"), (["x"], "system_ids"), ({"a": 1}, "system_ids")):
        with pytest.raises(ValidationError) as err:
            make.incident(actor=world["coordinator"], **{field: value})
        assert field in err.value.errors
        _db.session.rollback()


def test_changing_only_the_links_raises_the_version_and_is_in_the_timeline_and_audit(make, world):
    coordinator = world["coordinator"]
    incident = make.incident(actor=coordinator, system_ids=[world["mail"].id])
    version = incident.version
    services.update_incident(coordinator, incident, {"system_ids": [world["igate"].id],
                                                     "server_ids": [world["mail01"].id]}, version)
    _db.session.expire_all()
    incident = _db.session.get(Incident, incident.id)
    assert incident.version == version + 1
    assert _ids(incident.systems) == [world["igate"].id] and _ids(incident.servers) == [world["mail01"].id]
    edit = _db.session.execute(_db.select(TimelineEntry).where(TimelineEntry.kind == "edit")).scalar_one()
    assert edit.data["fields"] == ["server_ids", "system_ids"]
    entry = _db.session.execute(_db.select(AuditLog).where(AuditLog.action == "incident.update")).scalar_one()
    assert entry.before == {"system_ids": [world["mail"].id], "server_ids": []}
    assert entry.after == {"system_ids": [world["igate"].id], "server_ids": [world["mail01"].id]}


def test_sending_the_same_links_again_changes_nothing(make, world):
    coordinator = world["coordinator"]
    incident = make.incident(actor=coordinator, system_ids=[world["mail"].id])
    services.update_incident(coordinator, incident, {"system_ids": [world["mail"].id]})
    assert _db.session.get(Incident, incident.id).version == 1


# --- the form and the incident page -----------------------------------------------------------

def _form(client, path):
    html = client.get(path).get_data(as_text=True)
    return html, csrf_from(html)


def _new_form(token, **kw):
    data = {"csrf_token": token, "title": "Dò mật khẩu thư điện tử", "category": "unauthorized_access",
            "severity": "ordinary", "priority": "P3", "tlp": "AMBER", "description": "",
            "discovered_at": "2026-01-05T08:00", "affected_systems": "", "affected_servers": ""}
    data.update(kw)
    return data


def test_the_form_offers_the_systems_and_servers_the_user_may_see(client, world):
    Auth(client).login(world["liaison"])
    html, _token = _form(client, "/incidents/new")
    assert 'name="system_ids"' in html and "MAIL" in html and "dc-mail-01" in html
    assert "IGATE" not in html and "dc-web-01" not in html


def test_a_liaison_links_their_own_system_through_the_form_and_the_page_shows_the_links(client, world):
    Auth(client).login(world["liaison"])
    _html, token = _form(client, "/incidents/new")
    response = client.post("/incidents/new", data=_new_form(
        token, system_ids=[str(world["mail"].id)], server_ids=[str(world["mail01"].id)],
        affected_systems="Phần mềm một cửa cũ"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'href="/systems/{world["mail"].id}"' in page and f'href="/systems/servers/{world["mail01"].id}"' in page
    assert "Phần mềm một cửa cũ" in page


def test_a_liaison_posting_another_agencys_system_gets_a_clear_error_and_nothing_is_logged(client, world):
    Auth(client).login(world["liaison"])
    _html, token = _form(client, "/incidents/new")
    before = _db.session.execute(_db.select(_db.func.count(Incident.id))).scalar()
    response = client.post("/incidents/new", data=_new_form(token, system_ids=[str(world["igate"].id)]),
                           headers=EN)
    assert response.status_code == 400
    assert f"No information system you may see has the id {world['igate'].id}." in response.get_data(as_text=True)
    assert _db.session.execute(_db.select(_db.func.count(Incident.id))).scalar() == before


def test_a_linked_record_the_user_may_not_see_is_shown_by_name_without_a_link(client, make, world):
    incident = make.incident(actor=world["coordinator"], agency_obj=world["own"],
                             system_ids=[world["igate"].id], server_ids=[world["web01"].id])
    Auth(client).login(world["liaison"])
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "IGATE — Cổng dịch vụ công" in page and "dc-web-01" in page
    assert f'href="/systems/{world["igate"].id}"' not in page
    assert f'href="/systems/servers/{world["web01"].id}"' not in page


def test_editing_the_links_through_the_form(client, make, world):
    incident = make.incident(actor=world["coordinator"], system_ids=[world["mail"].id])
    Auth(client).login(world["coordinator"])
    html, token = _form(client, f"/incidents/{incident.id}/edit")
    assert re.search(rf'<option selected value="{world["mail"].id}"|<option value="{world["mail"].id}" selected',
                     html)
    response = client.post(f"/incidents/{incident.id}/edit", data=_new_form(
        token, version="1", agency_id=str(world["own"].id), assignee_id="",
        system_ids=[str(world["igate"].id)], server_ids=[str(world["web01"].id)]))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    _db.session.expire_all()
    incident = _db.session.get(Incident, incident.id)
    assert _ids(incident.systems) == [world["igate"].id] and _ids(incident.servers) == [world["web01"].id]


def test_a_stale_edit_of_other_fields_keeps_the_links_someone_else_saved(app, make, world):
    from tests.incidents.test_conflict_upload_assign import form_fields

    coordinator = world["coordinator"]
    incident = make.incident(actor=coordinator, title="Bản gốc", discovered_at="2026-01-05T08:00")
    first, second = app.test_client(), app.test_client()
    Auth(first).login(coordinator)
    Auth(second).login(world["coordinator"])
    path = f"/incidents/{incident.id}/edit"
    first_form, second_form = (form_fields(c.get(path), "incident-form") for c in (first, second))
    first_form.pop("system_ids", None)
    assert first.post(path, data={**first_form, "system_ids": [str(world["mail"].id)]}).status_code == 302
    second_form.pop("system_ids", None)
    stale = second.post(path, data={**second_form, "title": "Tiêu đề mới"}, headers=EN)
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert 'class="conflict-system_ids"' in page and "MAIL" in page
    # the form now holds the other person's links (they did not touch them): saving keeps both
    again = form_fields(stale, "incident-form")
    assert again["system_ids"] == str(world["mail"].id)
    assert second.post(path, data=again).status_code == 302
    _db.session.expire_all()
    incident = _db.session.get(Incident, incident.id)
    assert incident.title == "Tiêu đề mới" and _ids(incident.systems) == [world["mail"].id]


# --- the list filters -------------------------------------------------------------------------

def test_the_list_filters_by_system_and_by_server(client, make, world):
    coordinator = world["coordinator"]
    linked = make.incident(actor=coordinator, title="Gắn với MAIL", system_ids=[world["mail"].id],
                           server_ids=[world["web01"].id])
    make.incident(actor=coordinator, title="Không gắn gì")
    Auth(client).login(coordinator)
    page = client.get(f"/incidents?system={world['mail'].id}").get_data(as_text=True)
    assert "Gắn với MAIL" in page and "Không gắn gì" not in page and 'id="linked-to-system"' in page
    page = client.get(f"/incidents?server={world['web01'].id}").get_data(as_text=True)
    assert linked.reference in page and "Không gắn gì" not in page
    page = client.get(f"/incidents?system={world['igate'].id}").get_data(as_text=True)
    assert "Gắn với MAIL" not in page
    bad = client.get("/incidents?system=abc", headers=EN).get_data(as_text=True)
    assert "Unknown information system." in bad


def test_the_system_filter_keeps_the_agency_scope(client, make, world):
    make.incident(actor=world["coordinator"], agency_obj=world["other"], title="Của cơ quan khác",
                  system_ids=[world["mail"].id])
    Auth(client).login(world["liaison"])
    assert "Của cơ quan khác" not in client.get(f"/incidents?system={world['mail'].id}").get_data(as_text=True)


# --- the API ----------------------------------------------------------------------------------

def test_the_api_creates_updates_and_shows_links(client, world):
    api = Api(client, world["coordinator"])
    response = api.post("/incidents", json=_new_incident_body(system_ids=[world["mail"].id],
                                                              server_ids=[world["mail01"].id]))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["systems"] == [{"id": world["mail"].id, "code": "MAIL", "name": "Hệ thống thư điện tử công vụ"}]
    assert body["servers"] == [{"id": world["mail01"].id, "hostname": "dc-mail-01"}]
    path = f"/incidents/{body['id']}"
    patched = api.patch(path, json={"server_ids": [], "system_ids": [world["igate"].id], "version": 1})
    assert patched.status_code == 200, patched.get_json()
    assert [s["code"] for s in patched.get_json()["systems"]] == ["IGATE"] and patched.get_json()["servers"] == []
    assert api.get(path).get_json()["systems"] == patched.get_json()["systems"]
    listed = api.get("/incidents").get_json()["items"]
    assert listed[0]["systems"] == patched.get_json()["systems"] and listed[0]["servers"] == []


def test_the_api_list_filters_by_system_and_server(client, make, world):
    coordinator = world["coordinator"]
    linked = make.incident(actor=coordinator, system_ids=[world["mail"].id], server_ids=[world["mail01"].id])
    make.incident(actor=coordinator)
    api = Api(client, coordinator)
    for query in (f"system={world['mail'].id}", f"server={world['mail01'].id}"):
        body = api.get(f"/incidents?{query}").get_json()
        assert [i["id"] for i in body["items"]] == [linked.id] and body["total"] == 1
    response = api.get("/incidents?system=x1")
    assert response.status_code == 400 and "system" in response.get_json()["errors"]


def test_the_api_refuses_a_liaisons_link_to_another_agencys_system(client, world):
    api = Api(client, world["liaison"])
    before = _db.session.execute(_db.select(_db.func.count(Incident.id))).scalar()
    response = api.post("/incidents", json=_new_incident_body(system_ids=[world["igate"].id]), headers=EN)
    assert response.status_code == 400
    assert response.get_json()["errors"]["system_ids"] == (
        f"No information system you may see has the id {world['igate'].id}.")
    assert _db.session.execute(_db.select(_db.func.count(Incident.id))).scalar() == before


def test_the_api_refuses_ids_that_are_not_a_list_of_numbers(client, world):
    api = Api(client, world["coordinator"])
    for value in ("1", [0], ["1"], list(range(1, 300))):
        response = api.post("/incidents", json=_new_incident_body(system_ids=value))
        assert response.status_code == 400 and any(k.startswith("system_ids") for k in response.get_json()["errors"])


# --- the panels on the system and server pages ------------------------------------------------

def test_the_system_page_lists_its_incidents_the_user_may_see(client, make, world):
    coordinator = world["coordinator"]
    own = make.incident(actor=coordinator, agency_obj=world["own"], title="Sự cố của Sở",
                        system_ids=[world["mail"].id])
    make.incident(actor=coordinator, agency_obj=world["other"], title="Sự cố của Văn phòng",
                  system_ids=[world["mail"].id])
    Auth(client).login(coordinator)
    page = client.get(f"/systems/{world['mail'].id}").get_data(as_text=True)
    assert 'id="affected-incidents"' in page and "Sự cố của Sở" in page and "Sự cố của Văn phòng" in page
    assert f'/incidents?system={world["mail"].id}' in page
    Auth(client).logout()
    Auth(client).login(world["liaison"])
    page = client.get(f"/systems/{world['mail'].id}").get_data(as_text=True)
    assert own.reference in page and "Sự cố của Văn phòng" not in page


def test_the_server_panel_shows_the_newest_ten_and_the_count(client, make, world):
    coordinator = world["coordinator"]
    for n in range(12):
        make.incident(actor=coordinator, title=f"Sự cố số {n:02d}", server_ids=[world["mail01"].id],
                      discovered_at=utcnow() - timedelta(hours=2 + n))
    Auth(client).login(coordinator)
    page = client.get(f"/systems/servers/{world['mail01'].id}", headers=EN).get_data(as_text=True)
    shown = re.findall(r"Sự cố số (\d\d)", page)
    assert sorted(shown) == [f"{n:02d}" for n in range(2, 12)]
    link = re.search(r'id="affected-incidents-all" href="([^"]+)">([^<]+)<', page)
    assert link and link.group(1) == f"/incidents?server={world['mail01'].id}" and "12" in link.group(2)


# --- the demo province ------------------------------------------------------------------------

def test_the_demo_incidents_link_the_systems_and_servers_their_story_names(app):
    from csirt.demo import data, load

    load()
    incidents = _db.session.execute(_db.select(Incident).order_by(Incident.id)).scalars().all()
    by_title = {i.title: i for i in incidents}
    for spec in data.INCIDENTS:
        incident = by_title[spec["title"]]
        codes = sorted(c.strip() for c in spec.get("systems", "").split(",") if c.strip())
        hostnames = sorted(h.strip() for h in spec.get("servers", "").split(",") if h.strip())
        assert [s.code for s in incident.systems] == codes, spec["title"]
        assert [s.hostname for s in incident.servers] == hostnames, spec["title"]
        assert incident.affected_systems == "" and incident.affected_servers == ""
