"""Team management: members and agencies through the forms, validation, the directory, the CLI."""
import html as html_lib
import re

import pytest

from csirt.auth.models import UserSession
from csirt.team.models import Agency, User
from tests import factories
from tests.conftest import Auth, csrf_from

FEEDBACK_RE = re.compile(r'<div class="invalid-feedback d-block">(.*?)</div>', re.S)


def _english(client):
    with client.session_transaction() as sess:
        sess["lang"] = "en"


@pytest.fixture
def admin(client, auth, make):
    unit = make.agency(code="CSIRT", name="Đơn vị chuyên trách ATTT", kind="dedicated_unit")
    user = make.user("admin", agency_obj=unit, username="quan.tri")
    _english(client)
    assert auth.login(user).status_code == 302
    return user


def _errors(response):
    return [html_lib.unescape(m.strip()) for m in FEEDBACK_RE.findall(response.get_data(as_text=True))]


def _submit(client, path, data):
    token = csrf_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def _sessions_of(db, user):
    return db.session.execute(db.select(db.func.count(UserSession.id))
                              .where(UserSession.user_id == user.id)).scalar()


def _count(db, model):
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar()


def _member_form(agency_id, **over):
    """The member form's fields; `over` replaces any of them (agency_id included)."""
    data = {"username": "Tran.Thi.Binh", "full_name": "Trần Thị Bình", "title": "Chuyên viên CNTT",
            "agency_id": str(agency_id), "role": "responder", "email": "binh@syt.laocai.gov.vn",
            "phone": "0912 345 678", "phone_alt": "0214 3820 111",
            "chat_handles": "Zalo: 0912345678; Telegram: @binhtt",
            "skills": "Phân tích mã độc\nPháp chứng số", "certifications": "CEH (2023)", "active": "y",
            "password": "Mat-khau-ban-dau-1"}
    data.update(over)
    return data


def _agency_form(**over):
    data = {"code": "syt", "name": "Sở Y tế", "kind": "department", "email": "syt@laocai.gov.vn",
            "phone": "0214 3840 000", "address": "Phường Bắc Cường", "active": "y"}
    data.update(over)
    return data


# --- members and agencies through the forms ----------------------------------------------------

def test_admin_creates_a_member_through_the_form(client, admin, make, db):
    agency = make.agency(code="SYT", name="Sở Y tế")
    response = _submit(client, "/team/members/new", _member_form(agency.id))
    user = db.session.execute(db.select(User).where(User.username == "tran.thi.binh")).scalar_one()
    assert response.status_code == 302 and response.headers["Location"] == f"/team/members/{user.id}"
    assert (user.full_name, user.role, user.agency_id, user.active) == ("Trần Thị Bình", "responder", agency.id, True)
    assert (user.email, user.phone, user.phone_alt) == ("binh@syt.laocai.gov.vn", "0912 345 678", "0214 3820 111")
    assert user.chat_handles == "Zalo: 0912345678; Telegram: @binhtt" and user.certifications == "CEH (2023)"
    assert user.password_hash.startswith("scrypt:") and user.check_password("Mat-khau-ban-dau-1")
    assert Auth(client.application.test_client()).login("tran.thi.binh", "Mat-khau-ban-dau-1").status_code == 302


def test_admin_edits_a_member_through_the_form(client, admin, make, db):
    old_agency, new_agency = make.agency(), make.agency()
    user = make.user("member", agency_obj=old_agency, username="le.van.cuong", full_name="Lê Văn Cường")
    form = _member_form(new_agency.id, username="le.van.cuong", full_name="Lê Văn Cường", role="coordinator",
                        phone="0987 000 111", skills="Quản trị Linux")
    form.pop("password")
    response = _submit(client, f"/team/members/{user.id}/edit", form)
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.role, user.agency_id, user.phone, user.skills) == ("coordinator", new_agency.id, "0987 000 111",
                                                                    "Quản trị Linux")
    assert user.check_password(factories.PASSWORD)  # editing never touches the password


def test_edit_form_cannot_set_the_password_hash_or_id(client, admin, make, db):
    user = make.user("member", username="le.van.cuong")
    original_hash = user.password_hash
    form = _member_form(user.agency_id, username="le.van.cuong", role="member",
                        password_hash="scrypt:1:1:1$x$y", id="9999", password="Mat-khau-moi-12345")
    response = _submit(client, f"/team/members/{user.id}/edit", form)
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.password_hash == original_hash and db.session.get(User, 9999) is None


def test_admin_creates_and_edits_an_agency_through_the_forms(client, admin, db):
    response = _submit(client, "/team/agencies/new", _agency_form())
    agency = db.session.execute(db.select(Agency).where(Agency.code == "SYT")).scalar_one()
    assert response.status_code == 302 and response.headers["Location"] == f"/team/agencies/{agency.id}"
    assert (agency.name, agency.kind, agency.email, agency.phone, agency.address, agency.active) == (
        "Sở Y tế", "department", "syt@laocai.gov.vn", "0214 3840 000", "Phường Bắc Cường", True)
    response = _submit(client, f"/team/agencies/{agency.id}/edit",
                       _agency_form(code="SYT", name="Sở Y tế tỉnh Lào Cai", kind="department", active=""))
    assert response.status_code == 302
    db.session.refresh(agency)
    assert agency.name == "Sở Y tế tỉnh Lào Cai" and agency.active is False


# --- invalid input: a clear message, 400, nothing changed -----------------------------------

INVALID = {
    "duplicate user name": ("member", {"username": "trung.ten"}, "username", "This user name is taken."),
    "bad e-mail": ("member", {"email": "khong-phai-email"}, "email", "Not a valid e-mail address."),
    "unknown agency": ("member", {"agency_id": "999999"}, "agency_id", "Unknown agency."),
    "role not in the list": ("member", {"role": "superuser"}, "role", "Not a valid choice."),
    "short password": ("member", {"password": "ngan"}, "password", "At least 10 characters."),
    "bad user name": ("member", {"username": "tên có dấu"}, "username",
                      "2–64 characters: lower-case letters, digits, dot, dash, underscore."),
    "duplicate agency code": ("agency", {"code": "trung"}, "code", "This code is taken."),
    "duplicate agency name": ("agency", {"name": "Sở Trùng Tên"}, "name", "An agency with this name exists."),
    "agency kind not in the list": ("agency", {"kind": "ministry"}, "kind", "Not a valid choice."),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_input_gets_a_clear_message_400_and_changes_nothing(client, admin, make, db, case):
    kind, override, _field, message = INVALID[case]
    existing = make.agency(code="TRUNG", name="Sở Trùng Tên")
    make.user("member", agency_obj=existing, username="trung.ten")
    if kind == "member":
        path, data, model = "/team/members/new", {**_member_form(existing.id), **override}, User
    else:
        path, data, model = "/team/agencies/new", _agency_form(**override), Agency
    before = _count(db, model)
    response = _submit(client, path, data)
    assert response.status_code == 400
    assert message in _errors(response)
    assert _count(db, model) == before


@pytest.mark.parametrize("change, message", [
    ({"username": "trung.ten"}, "This user name is taken."),
    ({"email": "a@b"}, "Not a valid e-mail address."),
    ({"agency_id": "999999"}, "Unknown agency."),
])
def test_invalid_member_edit_changes_nothing(client, admin, make, db, change, message):
    make.user("member", username="trung.ten")
    user = make.user("member", username="le.van.cuong", full_name="Lê Văn Cường")
    state = lambda: db.session.execute(db.select(User.username, User.full_name, User.email, User.agency_id)  # noqa: E731
                                       .where(User.id == user.id)).one()
    before = state()
    form = {**_member_form(user.agency_id, username="le.van.cuong", full_name="Tên mới"), **change}
    form.pop("password")
    response = _submit(client, f"/team/members/{user.id}/edit", form)
    assert response.status_code == 400
    assert message in _errors(response)
    db.session.expire_all()
    assert state() == before


def test_admin_cannot_disable_himself(client, admin, db):
    page = f"/team/members/{admin.id}"
    html = client.get(page).get_data(as_text=True)
    assert f"/team/members/{admin.id}/disable" not in html  # no button offered
    response = client.post(f"{page}/disable", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302
    follow = client.get(page).get_data(as_text=True)
    assert "You cannot disable yourself or remove your own admin role." in follow
    db.session.refresh(admin)
    assert admin.active is True
    assert client.get("/team/").status_code == 200  # still signed in


@pytest.mark.parametrize("change", [{"active": ""}, {"role": "manager"}])
def test_admin_cannot_disable_or_demote_himself_through_the_edit_form(client, admin, db, change):
    form = {**_member_form(admin.agency_id, username="quan.tri", full_name=admin.full_name, role="admin"), **change}
    form.pop("password")
    response = _submit(client, f"/team/members/{admin.id}/edit", form)
    assert response.status_code == 400
    assert "You cannot disable yourself or remove your own admin role." in response.get_data(as_text=True)
    db.session.expire_all()
    db.session.refresh(admin)
    assert admin.active is True and admin.role == "admin"
    assert _sessions_of(db, admin) == 1


# --- the directory and member pages ---------------------------------------------------------

def _listed(response):
    body = response.get_data(as_text=True).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return sorted(html_lib.unescape(n) for n in re.findall(r'/team/members/\d+">([^<]+)</a>', body))


def test_member_directory_searches_by_name_user_name_and_skill(client, auth, make):
    agency = make.agency()
    make.user("responder", agency_obj=agency, username="binh.tt", full_name="Trần Thị Bình",
              skills="Phân tích mã độc, pháp chứng số")
    make.user("responder", agency_obj=agency, username="cuong.lv", full_name="Lê Văn Cường",
              skills="Quản trị Linux, tường lửa")
    viewer = make.user("member", agency_obj=agency, username="xem", full_name="Người Xem")
    auth.login(viewer)
    assert _listed(client.get("/team/?q=mã độc")) == ["Trần Thị Bình"]
    assert _listed(client.get("/team/?q=linux")) == ["Lê Văn Cường"]
    assert _listed(client.get("/team/?q=Cường")) == ["Lê Văn Cường"]
    assert _listed(client.get("/team/?q=binh.tt")) == ["Trần Thị Bình"]
    assert _listed(client.get("/team/?q=tường lửa")) == ["Lê Văn Cường"]
    assert _listed(client.get("/team/?q=không-ai-cả")) == []
    assert _listed(client.get("/team/?q=%25")) == []  # a LIKE wildcard is searched literally
    assert _listed(client.get("/team/?role=responder")) == ["Lê Văn Cường", "Trần Thị Bình"]


def test_member_page_shows_contacts_skills_role_agency_and_state(client, auth, make):
    agency = make.agency(code="SYT", name="Sở Y tế")
    person = make.user("responder", agency_obj=agency, username="binh.tt", full_name="Trần Thị Bình",
                       email="binh@syt.laocai.gov.vn", phone="0912 345 678", phone_alt="0214 3820 111",
                       chat_handles="Zalo: 0912345678; Telegram: @binhtt", skills="Phân tích mã độc",
                       certifications="GCIH (2024)", title="Chuyên viên")
    gone = make.user("member", agency_obj=agency, username="da.nghi", full_name="Đã Nghỉ", active=False)
    viewer = make.user("member", agency_obj=agency)
    _english(client)
    auth.login(viewer)
    html = html_lib.unescape(client.get(f"/team/members/{person.id}").get_data(as_text=True))
    for text in ("Trần Thị Bình", "binh.tt", "0912 345 678", "0214 3820 111", "binh@syt.laocai.gov.vn",
                 "Zalo: 0912345678; Telegram: @binhtt", "Phân tích mã độc", "GCIH (2024)", "Responder",
                 "Sở Y tế", "Chuyên viên", 'href="tel:0912 345 678"', 'href="mailto:binh@syt.laocai.gov.vn"'):
        assert text in html, text
    assert ">Active</span>" in html and ">Disabled</span>" not in html
    gone_html = client.get(f"/team/members/{gone.id}").get_data(as_text=True)
    assert ">Disabled</span>" in gone_html and ">Active</span>" not in gone_html
    assert "Member (agency liaison)" in gone_html


def test_unknown_member_page_is_404(client, auth, make):
    auth.login(make.user("member"))
    assert client.get("/team/members/987654").status_code == 404


# --- the console ------------------------------------------------------------------------------

def _by_name(db, username):
    db.session.expire_all()
    return db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()


def test_cli_creates_a_user_with_the_given_password(runner, make, db):
    make.agency(code="SYT")
    result = runner.invoke(args=["users", "create", "pham.dung", "--name", "Phạm Dũng", "--agency", "syt",
                                 "--role", "coordinator", "--email", "dung@syt.vn", "--password", "Mat-khau-cli-123"])
    assert result.exit_code == 0, result.output
    assert "created user pham.dung (coordinator)" in result.output
    assert "Mat-khau-cli-123" not in result.output
    user = _by_name(db, "pham.dung")
    assert (user.full_name, user.role, user.email) == ("Phạm Dũng", "coordinator", "dung@syt.vn")
    assert user.agency.code == "SYT"
    assert user.check_password("Mat-khau-cli-123")


def test_cli_create_without_password_prints_a_generated_one_once(runner, make, db):
    make.agency(code="SYT")
    result = runner.invoke(args=["users", "create", "pham.dung", "--name", "Phạm Dũng", "--agency", "SYT"])
    assert result.exit_code == 0, result.output
    (password,) = re.findall(r"^password: (\S+)$", result.output, re.M)
    assert result.output.count(password) == 1
    user = _by_name(db, "pham.dung")
    assert user.role == "member" and user.check_password(password)


@pytest.mark.parametrize("args, message", [
    (["--agency", "NOPE"], "no agency with code"),
    (["--agency", "SYT", "--password", "short"], "password:"),
    (["--agency", "SYT", "--role", "overlord"], "overlord"),
])
def test_cli_create_refuses_bad_input_and_creates_nothing(runner, make, db, args, message):
    make.agency(code="SYT")
    before = _count(db, User)
    result = runner.invoke(args=["users", "create", "pham.dung", "--name", "Phạm Dũng", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert _count(db, User) == before


def test_cli_disable_ends_sessions_and_tokens(app, runner, make, db):
    from csirt.auth.tokens import create_token

    user = make.user("responder")
    browser = app.test_client()
    Auth(browser).login(user)
    _row, token = create_token(None, user, "siem", ["incidents:read"], 30)
    assert browser.get("/incidents").status_code == 200
    result = runner.invoke(args=["users", "disable", user.username])
    assert result.exit_code == 0 and f"disabled {user.username}" in result.output
    assert _by_name(db, user.username).active is False
    assert browser.get("/incidents").status_code == 302
    assert _sessions_of(db, user) == 0
    assert browser.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert runner.invoke(args=["users", "disable", "no.such.user"]).exit_code != 0


def test_cli_reset_password_prints_a_new_one_and_ends_sessions(app, runner, make, db):
    user = make.user("responder")
    browser = app.test_client()
    Auth(browser).login(user)
    result = runner.invoke(args=["users", "reset-password", user.username])
    assert result.exit_code == 0, result.output
    (password,) = re.findall(r"^password: (\S+)$", result.output, re.M)
    refreshed = _by_name(db, user.username)
    assert refreshed.check_password(password) and not refreshed.check_password(factories.PASSWORD)
    assert browser.get("/incidents").status_code == 302
    result = runner.invoke(args=["users", "reset-password", user.username, "--password", "Chon-san-12345"])
    assert result.exit_code == 0 and "password:" not in result.output
    assert _by_name(db, user.username).check_password("Chon-san-12345")
    assert runner.invoke(args=["users", "reset-password", user.username, "--password", "short"]).exit_code != 0


def test_ensure_admin_uses_the_password_from_the_environment(runner, db, monkeypatch):
    monkeypatch.setenv("CSIRT_ADMIN_PASSWORD", "Mat-khau-tu-env-1")
    result = runner.invoke(args=["ensure-admin"])
    assert result.exit_code == 0, result.output
    assert "CSIRT_ADMIN_PASSWORD" in result.output and "Mat-khau-tu-env-1" not in result.output
    admin = _by_name(db, "admin")
    assert admin.role == "admin" and admin.active and admin.check_password("Mat-khau-tu-env-1")
    assert admin.agency.code == "CSIRT"


def test_ensure_admin_prints_a_generated_password_once_and_then_says_it_exists(runner, db, monkeypatch):
    monkeypatch.delenv("CSIRT_ADMIN_PASSWORD", raising=False)
    first = runner.invoke(args=["ensure-admin"])
    assert first.exit_code == 0, first.output
    lines = [line.strip() for line in first.output.splitlines() if line.strip()]
    password = lines[-1]
    assert "generated" in first.output and len(password) >= 10
    assert first.output.count(password) == 1
    assert _by_name(db, "admin").check_password(password)
    second = runner.invoke(args=["ensure-admin"])
    assert second.exit_code == 0
    assert second.output.strip() == "admin exists"
    assert _count(db, User) == 1
    assert _by_name(db, "admin").check_password(password)


def test_ids_too_large_for_the_database_are_not_found_or_ignored_never_a_server_error(client, auth, make):
    auth.login(make.user("admin"))
    huge = "99999999999999999999"
    assert client.get(f"/team/members/{huge}").status_code == 404
    assert client.get(f"/team/agencies/{huge}").status_code == 404
    assert client.get(f"/team/?agency={huge}").status_code == 200
    assert client.get(f"/audit/?before={huge}").status_code == 200
