"""The audit log: every change recorded with who, from where, what and before/after; append-only;
no secrets; the audit page filters."""
import io
import json
import re

import pytest

from csirt.audit.models import AppendOnlyViolation, AuditLog
from csirt.auth.models import ApiToken
from csirt.incidents.models import Evidence, Incident, Task, TimelineEntry
from csirt.team.models import Agency, User
from tests import factories
from tests.conftest import csrf_from

IP = "203.0.113.7"
SECRET_KEYS = {"password", "password_hash", "token", "token_hash", "secret", "secret_hash",
               "new_password", "current_password", "csrf_token"}


@pytest.fixture
def desk(app, client, make):
    """An admin and a coordinator of the provincial unit, a member agency; requests come from IP."""
    client.environ_base["REMOTE_ADDR"] = IP
    unit = make.agency(code="CSIRT", name="Đơn vị chuyên trách")
    member_agency = make.agency(code="SYT", name="Sở Y tế")
    return {"admin": make.user("admin", agency_obj=unit, username="quan.tri"),
            "coordinator": make.user("coordinator", agency_obj=unit, username="dieu.phoi"),
            "unit": unit, "agency": member_agency}


def _post(client, path, data, page=None, **kw):
    token = csrf_from(client.get(page or path).get_data(as_text=True))
    response = client.post(path, data={**data, "csrf_token": token}, **kw)
    assert response.status_code in (200, 302), (path, response.status_code, response.get_data(as_text=True)[:800])
    return response


def _rows(db, action=None):
    query = db.select(AuditLog).order_by(AuditLog.id)
    if action:
        query = query.where(AuditLog.action == action)
    return db.session.execute(query).scalars().all()


def _one(db, action):
    rows = _rows(db, action)
    assert len(rows) == 1, [(r.action, r.object_id) for r in _rows(db)]
    return rows[0]


def _assert_row(row, actor, object_type, object_id):
    assert row.actor_id == actor.id
    assert row.actor_name == actor.username
    assert row.ip == IP
    assert row.at is not None
    assert row.object_type == object_type
    assert row.object_id == str(object_id)


def _incident_form(agency_id, title="Máy chủ thư bị dò mật khẩu", version=None):
    data = {"title": title, "description": "", "category": "unauthorized_access", "sub_type": "brute_force",
            "severity": "ordinary", "priority": "P2", "tlp": "AMBER", "agency_id": str(agency_id),
            "discovered_at": "2024-05-02T09:15", "assignee_id": "", "affected_systems": "", "affected_servers": ""}
    if version is not None:
        data["version"] = str(version)
    return data


def _open(client, auth, desk, db):
    auth.login(desk["coordinator"])
    _post(client, "/incidents/new", _incident_form(desk["agency"].id))
    return db.session.execute(db.select(Incident)).scalar_one()


# --- incidents --------------------------------------------------------------------------

def test_incident_creation_is_audited_with_its_values(client, auth, desk, db):
    incident = _open(client, auth, desk, db)
    row = _one(db, "incident.create")
    _assert_row(row, desk["coordinator"], "incident", incident.id)
    assert row.before is None
    assert row.after["title"] == "Máy chủ thư bị dò mật khẩu"
    assert row.after["status"] == "new" and row.after["agency_id"] == desk["agency"].id
    assert row.after["priority"] == "P2"


def test_incident_edit_is_audited_with_only_the_changed_fields(client, auth, desk, db):
    incident = _open(client, auth, desk, db)
    view = f"/incidents/{incident.id}"
    _post(client, f"{view}/edit", _incident_form(desk["agency"].id, "Tiêu đề mới", incident.version), view)
    row = _one(db, "incident.update")
    _assert_row(row, desk["coordinator"], "incident", incident.id)
    assert row.before == {"title": "Máy chủ thư bị dò mật khẩu"}
    assert row.after == {"title": "Tiêu đề mới"}


def test_incident_status_change_is_audited_with_before_and_after(client, auth, desk, db):
    incident = _open(client, auth, desk, db)
    view = f"/incidents/{incident.id}"
    _post(client, f"{view}/status", {"target": "triaged", "note": "", "reason": "", "version": str(incident.version)},
          view)
    row = _one(db, "incident.status")
    _assert_row(row, desk["coordinator"], "incident", incident.id)
    assert row.before == {"status": "new"} and row.after == {"status": "triaged"}


def test_note_is_audited_with_its_timeline_entry(client, auth, desk, db):
    incident = _open(client, auth, desk, db)
    view = f"/incidents/{incident.id}"
    _post(client, f"{view}/notes", {"kind": "action", "body": "Đã chặn IP nguồn"}, view)
    row = _one(db, "incident.action")
    _assert_row(row, desk["coordinator"], "incident", incident.id)
    entry = db.session.get(TimelineEntry, row.after["timeline_entry"])
    assert entry.body == "Đã chặn IP nguồn" and entry.incident_id == incident.id


def test_task_creation_and_completion_are_audited(client, auth, desk, db):
    incident = _open(client, auth, desk, db)
    view = f"/incidents/{incident.id}"
    _post(client, f"{view}/tasks", {"title": "Đổi mật khẩu quản trị", "owner_id": "", "due_at": ""}, view)
    task = db.session.execute(db.select(Task)).scalar_one()
    created = _one(db, "task.create")
    _assert_row(created, desk["coordinator"], "incident_task", task.id)
    assert created.after["title"] == "Đổi mật khẩu quản trị" and created.after["incident_id"] == incident.id
    _post(client, f"{view}/tasks/{task.id}/done", {}, view)
    done = _one(db, "task.done")
    _assert_row(done, desk["coordinator"], "incident_task", task.id)
    assert done.before["done_at"] is None and done.after["done_at"] is not None
    assert done.after["done_by_id"] == desk["coordinator"].id


def test_evidence_upload_is_audited_with_name_size_and_hash(client, auth, desk, db):
    incident = _open(client, auth, desk, db)
    view = f"/incidents/{incident.id}"
    _post(client, f"{view}/evidence", {"description": "nhật ký", "file": (io.BytesIO(b"abc"), "auth.log")}, view,
          content_type="multipart/form-data")
    item = db.session.execute(db.select(Evidence)).scalar_one()
    row = _one(db, "evidence.add")
    _assert_row(row, desk["coordinator"], "evidence", item.id)
    assert row.after == {"incident_id": incident.id, "name": "auth.log", "size": 3,
                         "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}


# --- team ------------------------------------------------------------------------------

def _member_form(agency_id, **over):
    data = {"username": "nguyen.van.a", "full_name": "Nguyễn Văn A", "title": "Chuyên viên",
            "agency_id": str(agency_id), "role": "member", "email": "a@syt.example.vn", "phone": "0912000111",
            "phone_alt": "", "chat_handles": "Zalo: 0912000111", "skills": "", "certifications": "",
            "active": "y", "password": "Mat-khau-ban-dau-1"}
    data.update(over)
    return data


def test_user_creation_update_and_disable_are_audited(client, auth, desk, db):
    admin = desk["admin"]
    auth.login(admin)
    _post(client, "/team/members/new", _member_form(desk["agency"].id))
    user = db.session.execute(db.select(User).where(User.username == "nguyen.van.a")).scalar_one()
    created = _one(db, "user.create")
    _assert_row(created, admin, "user_account", user.id)
    assert created.after["username"] == "nguyen.van.a" and created.after["role"] == "member"
    assert created.after["agency_id"] == desk["agency"].id

    page = f"/team/members/{user.id}/edit"
    form = _member_form(desk["agency"].id, full_name="Nguyễn Văn Á", role="responder")
    form.pop("password")
    _post(client, page, form)
    updated = _one(db, "user.update")
    _assert_row(updated, admin, "user_account", user.id)
    assert updated.before == {"full_name": "Nguyễn Văn A", "role": "member"}
    assert updated.after == {"full_name": "Nguyễn Văn Á", "role": "responder"}

    _post(client, f"/team/members/{user.id}/disable", {}, f"/team/members/{user.id}")
    disabled = _one(db, "user.disable")
    _assert_row(disabled, admin, "user_account", user.id)
    assert disabled.before == {"active": True} and disabled.after == {"active": False}


def test_agency_creation_and_edit_are_audited(client, auth, desk, db):
    admin = desk["admin"]
    auth.login(admin)
    _post(client, "/team/agencies/new", {"code": "ubnd-sapa", "name": "UBND thị xã Sa Pa", "kind": "district",
                                         "email": "", "phone": "", "address": "", "active": "y"})
    agency = db.session.execute(db.select(Agency).where(Agency.code == "UBND-SAPA")).scalar_one()
    created = _one(db, "agency.create")
    _assert_row(created, admin, "agency", agency.id)
    assert created.after["code"] == "UBND-SAPA" and created.after["kind"] == "district"
    _post(client, f"/team/agencies/{agency.id}/edit", {"code": "UBND-SAPA", "name": "UBND thị xã Sa Pa",
                                                       "kind": "district", "email": "", "phone": "0214 3871 000",
                                                       "address": "", "active": "y"})
    updated = _one(db, "agency.update")
    assert updated.before == {"phone": ""} and updated.after == {"phone": "0214 3871 000"}


# --- tokens, login, logout ----------------------------------------------------------------

def _create_token_through_the_page(client, name="SIEM"):
    response = _post(client, "/account/tokens", {"name": name, "scopes": ["incidents:read", "incidents:write"],
                                                 "days": "30"})
    match = re.search(r'id="new-token">\s*([^<\s]+)\s*<', response.get_data(as_text=True))
    assert match
    return match.group(1)


def test_token_creation_and_revocation_are_audited(client, auth, desk, db):
    user = desk["coordinator"]
    auth.login(user)
    text = _create_token_through_the_page(client)
    token = db.session.execute(db.select(ApiToken)).scalar_one()
    created = _one(db, "token.create")
    _assert_row(created, user, "api_token", token.id)
    assert created.after["name"] == "SIEM" and created.after["user_id"] == user.id
    assert created.after["scopes"] == "incidents:read incidents:write"
    assert text not in json.dumps(created.after) and text.split(".", 1)[1] not in json.dumps(created.after)
    _post(client, f"/account/tokens/{token.id}/revoke", {}, "/account/tokens")
    revoked = _one(db, "token.revoke")
    _assert_row(revoked, user, "api_token", token.id)
    assert revoked.after["revoked_at"]


def test_login_and_logout_are_audited_with_the_address(client, auth, desk, db):
    user = desk["coordinator"]
    auth.login(user)
    _assert_row(_one(db, "auth.login"), user, "user_account", user.id)
    auth.logout()
    _assert_row(_one(db, "auth.logout"), user, "user_account", user.id)


def test_password_change_and_admin_reset_are_audited(client, auth, desk, db, app):
    user = desk["coordinator"]
    auth.login(user)
    _post(client, "/account/password", {"current_password": factories.PASSWORD, "new_password": "Doi-mat-khau-2024"})
    _assert_row(_one(db, "auth.password_change"), user, "user_account", user.id)
    admin_client = app.test_client()
    admin_client.environ_base["REMOTE_ADDR"] = IP
    from tests.conftest import Auth
    Auth(admin_client).login(desk["admin"])
    page = f"/team/members/{user.id}"
    _post(admin_client, f"{page}/password", {"password": "Dat-lai-boi-admin-1"}, page)
    _assert_row(_one(db, "user.reset_password"), desk["admin"], "user_account", user.id)


# --- no secrets -------------------------------------------------------------------------

def _keys(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner)


def test_no_password_hash_or_token_appears_in_the_audit_log(app, client, auth, desk, db):
    admin = desk["admin"]
    auth.login(admin)
    _post(client, "/team/members/new", _member_form(desk["agency"].id, password="Mat-khau-ban-dau-1"))
    user = db.session.execute(db.select(User).where(User.username == "nguyen.van.a")).scalar_one()
    page = f"/team/members/{user.id}"
    _post(client, f"{page}/password", {"password": "Dat-lai-boi-admin-1"}, page)
    token_text = _create_token_through_the_page(client)
    _post(client, "/account/password", {"current_password": factories.PASSWORD, "new_password": "Doi-mat-khau-2024"})
    other = app.test_client()
    token = csrf_from(other.get("/login").get_data(as_text=True))
    other.post("/login", data={"username": "nguyen.van.a", "password": "Sai-mat-khau-99", "csrf_token": token})
    from csirt.team import services
    services.create_user(None, {"username": "console.user", "full_name": "Console", "role": "member",
                                "agency_id": desk["agency"].id}, "Mat-khau-console-1")

    rows = _rows(db)
    assert {"user.create", "user.reset_password", "token.create", "auth.password_change",
            "auth.login_failed"} <= {r.action for r in rows}
    hashes = [u.password_hash for u in db.session.execute(db.select(User)).scalars()]
    secrets = ["Mat-khau-ban-dau-1", "Dat-lai-boi-admin-1", "Doi-mat-khau-2024", "Sai-mat-khau-99",
               "Mat-khau-console-1", token_text, token_text.split(".", 1)[1], *hashes]
    secret_hash = db.session.execute(db.select(ApiToken.secret_hash)).scalar_one()
    secrets.append(secret_hash)
    for row in rows:
        assert not SECRET_KEYS & set(_keys(row.before)), (row.action, row.before)
        assert not SECRET_KEYS & set(_keys(row.after)), (row.action, row.after)
        text = json.dumps([row.before, row.after, row.actor_name, row.object_id], ensure_ascii=False)
        for secret in secrets:
            assert secret not in text, (row.action, secret)


# --- append-only --------------------------------------------------------------------------

def _seed_row(db, make):
    user = make.user("admin")
    from csirt.audit.services import record
    record(user, "test.seed", user, after={"n": 1})
    db.session.commit()
    return db.session.execute(db.select(AuditLog).where(AuditLog.action == "test.seed")).scalar_one()


def _unchanged(db, row_id):
    db.session.rollback()
    db.session.expire_all()
    row = db.session.get(AuditLog, row_id)
    assert row is not None and row.action == "test.seed" and row.after == {"n": 1}


def test_updating_an_audit_row_through_the_orm_is_refused(app, make, db):
    row = _seed_row(db, make)
    row_id = row.id
    row.action = "test.tampered"
    with pytest.raises(AppendOnlyViolation):
        db.session.commit()
    _unchanged(db, row_id)


def test_deleting_an_audit_row_through_the_orm_is_refused(app, make, db):
    row = _seed_row(db, make)
    row_id = row.id
    db.session.delete(row)
    with pytest.raises(AppendOnlyViolation):
        db.session.commit()
    _unchanged(db, row_id)


@pytest.mark.parametrize("statement", ["update", "delete", "query-update", "query-delete"])
def test_bulk_orm_update_or_delete_of_the_audit_log_is_refused(app, make, db, statement):
    row = _seed_row(db, make)
    row_id = row.id
    with pytest.raises(AppendOnlyViolation):
        if statement == "update":
            db.session.execute(db.update(AuditLog).values(action="test.tampered"))
        elif statement == "delete":
            db.session.execute(db.delete(AuditLog).where(AuditLog.id == row_id))
        elif statement == "query-update":
            db.session.query(AuditLog).update({"action": "test.tampered"})
        else:
            db.session.query(AuditLog).filter(AuditLog.id == row_id).delete()
        db.session.commit()
    _unchanged(db, row_id)


# --- the audit page -----------------------------------------------------------------------

def _listed(html):
    """(user name, action code) of each row: the name is the small print beside the person's
    full name, the code the title of the translated action."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    out = []
    for tr in re.findall(r'<tr id="audit-\d+">(.*?)</tr>', body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        name = re.search(r"<small[^>]*>([^<]*)</small>", cells[1]).group(1)
        out.append((name.strip(), re.search(r'title="([^"]+)"', cells[3]).group(1)))
    return out


def test_audit_page_filters_by_action_and_by_actor(app, client, auth, desk, db):
    coordinator_client = app.test_client()
    from tests.conftest import Auth
    Auth(coordinator_client).login(desk["coordinator"])
    _post(coordinator_client, "/incidents/new", _incident_form(desk["agency"].id))
    auth.login(desk["admin"])
    _post(client, "/team/agencies/new", {"code": "XA-1", "name": "UBND xã Một", "kind": "district", "email": "",
                                         "phone": "", "address": "", "active": "y"})

    everything = _listed(client.get("/audit/").get_data(as_text=True))
    assert ("dieu.phoi", "incident.create") in everything and ("quan.tri", "agency.create") in everything

    by_action = _listed(client.get("/audit/?action=incident.").get_data(as_text=True))
    assert by_action == [("dieu.phoi", "incident.create")]

    by_actor = _listed(client.get("/audit/?actor=dieu.phoi").get_data(as_text=True))
    assert by_actor and all(actor == "dieu.phoi" for actor, _a in by_actor)
    assert {a for _u, a in by_actor} == {"auth.login", "incident.create"}

    both = _listed(client.get("/audit/?actor=quan.tri&action=agency").get_data(as_text=True))
    assert both == [("quan.tri", "agency.create")]

    assert _listed(client.get("/audit/?action=%25").get_data(as_text=True)) == []
