"""Every page renders for a signed-in worker, and the main incident flow works through forms."""
import io

from tests.conftest import csrf_from


def _post(client, path, data, page=None, **kw):
    token = csrf_from(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token}, **kw)


def test_every_page_renders_for_an_admin(client, auth, make):
    admin = make.user("admin")
    auth.login(admin)
    incident = make.incident(actor=admin)
    for path in ["/incidents", "/incidents/new", f"/incidents/{incident.id}", f"/incidents/{incident.id}/edit",
                 "/team/", f"/team/members/{admin.id}", "/team/members/new", f"/team/members/{admin.id}/edit",
                 "/team/agencies", f"/team/agencies/{admin.agency_id}", "/team/agencies/new",
                 f"/team/agencies/{admin.agency_id}/edit", "/audit/", "/systems/", "/systems/servers",
                 "/account/password", "/account/tokens", "/incidents/export.csv"]:
        response = client.get(path)
        assert response.status_code == 200, path


def test_incident_flow_through_the_forms(client, auth, make, db):
    from csirt.incidents.models import Incident

    user = make.user("coordinator")
    auth.login(user)
    response = _post(client, "/incidents/new", {
        "title": "Website bị thay đổi giao diện", "description": "Trang chủ hiển thị **nội dung lạ**",
        "category": "defacement", "sub_type": "", "severity": "serious", "priority": "P1", "tlp": "AMBER",
        "agency_id": str(user.agency_id), "discovered_at": "2026-11-20T08:30", "assignee_id": str(user.id),
        "affected_systems": "Cổng thông tin", "affected_servers": "web-01"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    incident = db.session.execute(db.select(Incident)).scalar_one()
    assert incident.reference.startswith("LC-")
    view = f"/incidents/{incident.id}"
    assert _post(client, f"{view}/notes", {"body": "Đã cô lập máy chủ", "kind": "action"}, view).status_code == 302
    assert _post(client, f"{view}/tasks", {"title": "Thu thập log", "owner_id": str(user.id), "due_at": ""},
                 view).status_code == 302
    response = _post(client, f"{view}/evidence", {"description": "log", "file": (io.BytesIO(b"abc"), "access.log")},
                     view, content_type="multipart/form-data")
    assert response.status_code == 302
    for target in ["triaged", "contained", "eradicated", "recovered"]:
        data = {"target": target, "note": "", "version": str(incident.version)}
        response = _post(client, f"{view}/status", data, view)
        assert response.status_code == 302, target
        db.session.refresh(incident)
    data = {"target": "closed", "note": "Đã khắc phục", "version": str(incident.version)}
    response = _post(client, f"{view}/status", data, view)
    assert response.status_code == 302
    db.session.refresh(incident)
    assert incident.status == "closed"
    html = client.get(view).get_data(as_text=True)
    assert "Đã cô lập máy chủ" in html and "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" in html
