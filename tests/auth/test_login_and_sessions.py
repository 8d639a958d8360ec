"""Login, lockout, server-side sessions, cookies, CSRF, redirects, password storage."""
import hashlib
import hmac
import re
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest

from csirt import create_app
from csirt.audit.models import AuditLog
from csirt.auth.models import UserSession
from csirt.clock import freeze, utcnow
from csirt.config import DEV_SECRET_KEY, Config, TestConfig
from csirt.incidents.models import Incident
from csirt.team.models import User
from tests import factories
from tests.conftest import csrf_from

LOGIN_FAILED_EN = "Wrong user name or password, or too many attempts. Try again later."
COOKIE = "csirt_session"
CSRF_VALUE_RE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*')
ALERT_RE = re.compile(r'role="alert">\s*(.*?)\s*<button', re.S)


def _english(client):
    with client.session_transaction() as sess:
        sess["lang"] = "en"


def _alerts(response):
    return [m.strip() for m in ALERT_RE.findall(response.get_data(as_text=True))]


def _post_login(client, username, password, **kw):
    token = csrf_from(client.get("/login", **kw).get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token}, **kw)


def _is_logged_in(client):
    response = client.get("/incidents")
    if response.status_code == 302:
        assert urlsplit(response.headers["Location"]).path == "/login"
        return False
    assert response.status_code == 200
    return True


def _sessions_of(db, user):
    return db.session.execute(db.select(db.func.count(UserSession.id)).where(UserSession.user_id == user.id)).scalar()


def _token(client, page):
    return csrf_from(client.get(page).get_data(as_text=True))


# --- one answer for every failure -------------------------------------------------------

def test_unknown_user_wrong_password_and_disabled_user_get_the_same_answer(client, make):
    make.user("responder", username="known.person")
    make.user("responder", username="disabled.person", active=False)
    _english(client)
    answers = []
    for username, password in [("nobody.here", factories.PASSWORD), ("known.person", "wrong-password-1"),
                               ("disabled.person", factories.PASSWORD)]:
        response = _post_login(client, username, password)
        body = CSRF_VALUE_RE.sub("CSRF", response.get_data(as_text=True).replace(username, "USERNAME"))
        answers.append((response.status_code, _alerts(response), body))
    assert answers[0][0] == answers[1][0] == answers[2][0] == 401
    assert answers[0][1] == answers[1][1] == answers[2][1] == [LOGIN_FAILED_EN]
    assert answers[0][2] == answers[1][2] == answers[2][2]
    assert not _is_logged_in(client)


def test_disabled_user_cannot_log_in_with_the_right_password(client, make, db):
    user = make.user("coordinator", active=False)
    response = _post_login(client, user.username, factories.PASSWORD)
    assert response.status_code == 401
    assert _sessions_of(db, user) == 0
    assert not _is_logged_in(client)


# --- lockout ----------------------------------------------------------------------------

def test_user_name_is_locked_after_max_failures_even_with_the_right_password(app, client, make):
    user = make.user("responder")
    start = utcnow()
    freeze(start)
    _english(client)
    limit = app.config["CSIRT_LOGIN_MAX_FAILURES"]
    assert limit == 5
    for _i in range(limit):
        assert _post_login(client, user.username, "wrong-password-x").status_code == 401
    response = _post_login(client, user.username, factories.PASSWORD)
    assert response.status_code == 401
    assert _alerts(response) == [LOGIN_FAILED_EN]
    assert not _is_logged_in(client)
    # still locked just before the lock ends
    freeze(start + timedelta(minutes=app.config["CSIRT_LOGIN_LOCK_MINUTES"]) - timedelta(seconds=5))
    assert _post_login(client, user.username, factories.PASSWORD).status_code == 401
    freeze(start + timedelta(minutes=app.config["CSIRT_LOGIN_LOCK_MINUTES"], seconds=1))
    response = _post_login(client, user.username, factories.PASSWORD)
    assert response.status_code == 302
    assert _is_logged_in(client)


def test_fewer_failures_than_the_limit_do_not_lock_and_success_resets_the_count(app, client, make, auth):
    user = make.user("responder")
    limit = app.config["CSIRT_LOGIN_MAX_FAILURES"]
    for _i in range(limit - 1):
        assert _post_login(client, user.username, "wrong-password-x").status_code == 401
    assert _post_login(client, user.username, factories.PASSWORD).status_code == 302
    auth.logout()
    for _i in range(limit - 1):
        assert _post_login(client, user.username, "wrong-password-x").status_code == 401
    assert _post_login(client, user.username, factories.PASSWORD).status_code == 302


def test_failures_from_many_addresses_only_slow_the_user_name_down_briefly(app, client, make):
    user = make.user("responder")
    start = utcnow()
    freeze(start)
    for i in range(app.config["CSIRT_LOGIN_MAX_FAILURES"]):
        address = {"REMOTE_ADDR": f"198.51.100.{i + 1}"}
        assert _post_login(client, user.username, "wrong-password-x", environ_base=address).status_code == 401
    fresh = app.test_client()
    # the name (in any case) is held back for a moment from a new address, even with the password ...
    response = _post_login(fresh, user.username.upper(), factories.PASSWORD,
                           environ_base={"REMOTE_ADDR": "203.0.113.99"})
    assert response.status_code == 401
    # ... for seconds, not for the whole lock time
    freeze(start + timedelta(seconds=app.config["CSIRT_LOGIN_SLOWDOWN_MAX_SECONDS"]))
    response = _post_login(fresh, user.username, factories.PASSWORD, environ_base={"REMOTE_ADDR": "203.0.113.99"})
    assert response.status_code == 302


# --- server-side sessions ---------------------------------------------------------------

def test_logout_invalidates_the_session_on_the_server(app, client, auth, make, db):
    user = make.user("responder")
    auth.login(user)
    assert _is_logged_in(client)
    stolen = client.get_cookie(COOKIE).value
    response = auth.logout()
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    assert _sessions_of(db, user) == 0
    client.set_cookie(COOKIE, stolen)
    assert not _is_logged_in(client)
    replay = app.test_client()
    replay.set_cookie(COOKIE, stolen)
    response = replay.get(f"/team/members/{user.id}")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


def test_password_change_ends_other_sessions_but_keeps_the_current_one(app, make, db):
    user = make.user("responder")
    first, second = app.test_client(), app.test_client()
    assert _post_login(first, user.username, factories.PASSWORD).status_code == 302
    assert _post_login(second, user.username, factories.PASSWORD).status_code == 302
    assert _sessions_of(db, user) == 2
    new_password = "a-brand-new-passphrase"
    response = first.post("/account/password", data={
        "current_password": factories.PASSWORD, "new_password": new_password,
        "csrf_token": _token(first, "/account/password")})
    assert response.status_code == 302
    assert _is_logged_in(first)
    assert not _is_logged_in(second)
    assert _sessions_of(db, user) == 1
    db.session.refresh(user)
    assert user.check_password(new_password) and not user.check_password(factories.PASSWORD)


def test_password_change_with_a_wrong_current_password_changes_nothing(app, client, auth, make, db):
    user = make.user("responder")
    other = app.test_client()
    _post_login(other, user.username, factories.PASSWORD)
    auth.login(user)
    response = client.post("/account/password", data={
        "current_password": "not-my-password", "new_password": "a-brand-new-passphrase",
        "csrf_token": _token(client, "/account/password")})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.check_password(factories.PASSWORD)
    assert _is_logged_in(other)


def test_admin_password_reset_ends_the_users_sessions(app, client, auth, make, db):
    admin = make.user("admin")
    user = make.user("responder")
    theirs = app.test_client()
    _post_login(theirs, user.username, factories.PASSWORD)
    assert _is_logged_in(theirs)
    auth.login(admin)
    page = f"/team/members/{user.id}"
    response = client.post(f"{page}/password", data={"password": "reset-by-the-admin-1",
                                                      "csrf_token": _token(client, page)})
    assert response.status_code == 302
    assert not _is_logged_in(theirs)
    assert _sessions_of(db, user) == 0
    db.session.refresh(user)
    assert user.check_password("reset-by-the-admin-1")
    assert _is_logged_in(client)


def test_disabling_a_user_ends_their_sessions(app, client, auth, make, db):
    admin = make.user("admin")
    user = make.user("responder")
    theirs = app.test_client()
    _post_login(theirs, user.username, factories.PASSWORD)
    assert _sessions_of(db, user) == 1
    auth.login(admin)
    page = f"/team/members/{user.id}"
    response = client.post(f"{page}/disable", data={"csrf_token": _token(client, page)})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.active is False
    assert _sessions_of(db, user) == 0
    assert not _is_logged_in(theirs)


def test_expired_session_is_refused(app, client, auth, make):
    user = make.user("responder")
    auth.login(user)
    assert _is_logged_in(client)
    freeze(utcnow() + timedelta(hours=app.config["CSIRT_SESSION_HOURS"], minutes=1))
    assert not _is_logged_in(client)


# --- cookies ----------------------------------------------------------------------------

def _session_set_cookie(response):
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "=")]
    assert headers, response.headers
    return headers[-1]


def test_session_cookie_is_httponly_and_samesite_lax(client, make):
    user = make.user("responder")
    response = _post_login(client, user.username, factories.PASSWORD)
    header = _session_set_cookie(response)
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert not any(h.startswith("remember_token=") for h in response.headers.getlist("Set-Cookie"))


def test_session_cookie_is_secure_in_production(monkeypatch, database_url, tmp_path, make, db):
    user = make.user("responder")
    monkeypatch.setenv("CSIRT_ENV", "production")
    monkeypatch.setenv("CSIRT_SECRET_KEY", "x" * 64)
    config = TestConfig(database_url, tmp_path / "prod")
    assert config.SECRET_KEY != DEV_SECRET_KEY
    prod = create_app(config)
    try:
        client = prod.test_client()
        # over HTTPS Flask-WTF also checks that the Referer is this site
        response = _post_login(client, user.username, factories.PASSWORD, base_url="https://localhost",
                               headers={"Referer": "https://localhost/login"})
        assert response.status_code == 302
        header = _session_set_cookie(response)
        assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
        assert prod.config["REMEMBER_COOKIE_SECURE"] is True
    finally:
        with prod.app_context():
            db.engine.dispose()


def test_login_gives_a_new_session_id(app, client, make):
    user = make.user("responder")
    client.get("/login")
    with client.session_transaction() as sess:
        sess["sid"] = "planted-by-an-attacker"
        sess["extra"] = "pre-login data"
    before_cookie = client.get_cookie(COOKIE).value
    before_csrf = _token(client, "/login")
    assert _post_login(client, user.username, factories.PASSWORD).status_code == 302
    with client.session_transaction() as sess:
        first_sid = sess["sid"]
        assert first_sid != "planted-by-an-attacker"
        assert "extra" not in sess
    assert client.get_cookie(COOKIE).value != before_cookie
    # the pre-login cookie does not carry the login
    replay = app.test_client()
    replay.set_cookie(COOKIE, before_cookie)
    assert not _is_logged_in(replay)
    # the pre-login CSRF token no longer works
    response = client.post("/lang", data={"lang": "en", "csrf_token": before_csrf})
    assert response.status_code == 400
    # a second login gets yet another id
    client.post("/logout", data={"csrf_token": _token(client, "/team/")})
    _post_login(client, user.username, factories.PASSWORD)
    with client.session_transaction() as sess:
        assert sess["sid"] not in (first_sid, "planted-by-an-attacker")


# --- CSRF -------------------------------------------------------------------------------

def _incident_form(agency_id):
    return {"title": "CSRF probe incident", "description": "", "category": "malware", "sub_type": "",
            "severity": "ordinary", "priority": "P3", "tlp": "AMBER", "agency_id": str(agency_id),
            "discovered_at": "2024-03-01T08:00", "assignee_id": "", "affected_systems": "",
            "affected_servers": ""}


def _member_form(agency_id):
    return {"username": "csrf.probe", "full_name": "CSRF Probe", "title": "", "agency_id": str(agency_id),
            "role": "member", "email": "", "phone": "", "phone_alt": "", "chat_handles": "", "skills": "",
            "certifications": "", "active": "y", "password": "a-long-password-1"}


def _count(db, model):
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar()


def _lang(client):
    with client.session_transaction() as sess:
        return sess.get("lang")


CSRF_CASES = {
    "new-incident": ("coordinator", "/incidents/new", lambda u: _incident_form(u.agency_id),
                     lambda db, c, u: _count(db, Incident)),
    "logout": ("responder", "/logout", lambda u: {},
               lambda db, c, u: (_sessions_of(db, u), _is_logged_in(c))),
    "language": ("responder", "/lang", lambda u: {"lang": "en", "next": "/team/"},
                 lambda db, c, u: (_lang(c), db.session.get(User, u.id).locale)),
    "new-member": ("admin", "/team/members/new", lambda u: _member_form(u.agency_id),
                   lambda db, c, u: _count(db, User)),
}


@pytest.mark.parametrize("token", ["missing", "forged"])
@pytest.mark.parametrize("case", sorted(CSRF_CASES))
def test_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(client, auth, make, db, case, token):
    role, path, data_for, state = CSRF_CASES[case]
    user = make.user(role)
    auth.login(user)
    before = state(db, client, user)
    data = data_for(user)
    if token == "forged":
        data["csrf_token"] = "IjAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAi.ZZZZZZ.forged"
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert state(db, client, user) == before
    # the same POST with the page's token goes through: the token was what was missing
    data["csrf_token"] = _token(client, "/account/password")
    response = client.post(path, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    assert state(db, client, user) != before


# --- redirects --------------------------------------------------------------------------

HOSTILE_NEXT = ["//evil.example", "//evil.example/incidents", "https://evil.example/", "/\\evil.example",
                "\\\\evil.example", "/\t/evil.example", "/\n/evil.example", "/ /evil.example", "http:evil.example",
                "javascript:alert(1)"]


def _browser_target(location):
    """Where a browser would go: it drops tabs and newlines and resolves against the page."""
    cleaned = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    return urlsplit(urljoin("http://localhost/login", cleaned))


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_next_does_not_redirect_off_site(client, make, target):
    user = make.user("responder")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", query_string={"next": target},
                           data={"username": user.username, "password": factories.PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    landing = _browser_target(response.headers["Location"])
    assert landing.netloc == "localhost" and landing.scheme == "http"
    assert landing.path == "/incidents"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_language_switch_does_not_redirect_off_site(client, target):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/lang", data={"lang": "en", "next": target, "csrf_token": token})
    assert response.status_code == 302
    landing = _browser_target(response.headers["Location"])
    assert landing.netloc == "localhost" and landing.scheme == "http"
    assert "evil" not in landing.path


def test_login_next_keeps_a_local_path(client, make):
    user = make.user("responder")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login?next=/team/agencies", data={
        "username": user.username, "password": factories.PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/team/agencies"


# --- configuration and storage ----------------------------------------------------------

@pytest.mark.parametrize("secret", [None, ""])
def test_production_refuses_to_start_with_the_dev_secret_key(monkeypatch, tmp_path, secret):
    monkeypatch.setenv("CSIRT_ENV", "production")
    monkeypatch.setenv("CSIRT_INSTANCE_PATH", str(tmp_path / "instance"))
    if secret is None:
        monkeypatch.delenv("CSIRT_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("CSIRT_SECRET_KEY", secret)
    config = Config()
    assert config.CSIRT_ENV == "production"
    with pytest.raises(RuntimeError, match="CSIRT_SECRET_KEY"):
        create_app(config)


def test_passwords_are_stored_hashed_never_in_plain_text(client, auth, make, db):
    from csirt.team import services

    agency = make.agency()
    plain = "Plain-Text-Passphrase-77"
    user = services.create_user(None, {"username": "hashed.user", "full_name": "Hashed User", "role": "responder",
                                       "agency_id": agency.id}, plain)
    db.session.refresh(user)
    assert user.password_hash.startswith("scrypt:")
    assert "$" in user.password_hash and plain not in user.password_hash
    auth.login(user, plain)
    changed = "Changed-Passphrase-88"
    client.post("/account/password", data={"current_password": plain, "new_password": changed,
                                           "csrf_token": _token(client, "/account/password")})
    db.session.refresh(user)
    assert user.password_hash.startswith("scrypt:") and user.check_password(changed)
    with db.engine.connect() as conn:
        for table in ("user_account", "audit_log", "user_session", "login_throttle"):
            dump = repr(conn.execute(db.text(f"SELECT * FROM {table}")).all())
            assert plain not in dump and changed not in dump, table


# --- audit ------------------------------------------------------------------------------

def _audit(db, action):
    query = db.select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
    return db.session.execute(query).scalars().all()


def test_login_and_failed_login_are_audited(client, make, db):
    user = make.user("responder")
    _post_login(client, user.username, "wrong-password-x", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    _post_login(client, "no.such.user", "wrong-password-y", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    _post_login(client, user.username, factories.PASSWORD, environ_base={"REMOTE_ADDR": "203.0.113.6"})
    failed = _audit(db, "auth.login_failed")
    unknown = "unknown:" + hmac.new(b"test-secret-key", b"no.such.user", hashlib.sha256).hexdigest()[:8]
    assert [(r.actor_name, r.ip, r.object_id) for r in failed] == [
        (user.username, "203.0.113.5", user.username), (unknown, "203.0.113.5", unknown)]
    assert failed[1].actor_id is None
    (login,) = _audit(db, "auth.login")
    assert (login.actor_id, login.actor_name, login.ip) == (user.id, user.username, "203.0.113.6")
    assert (login.object_type, login.object_id) == ("user_account", str(user.id))
    for row in failed + [login]:
        logged = repr((row.before, row.after))
        assert "wrong-password" not in logged and factories.PASSWORD not in logged


def test_refused_login_while_locked_is_audited(app, client, make, db):
    user = make.user("responder")
    for _i in range(app.config["CSIRT_LOGIN_MAX_FAILURES"]):
        _post_login(client, user.username, "wrong-password-x")
    _post_login(client, user.username, factories.PASSWORD)
    (locked,) = _audit(db, "auth.login_locked")
    assert locked.actor_name == user.username and locked.ip == "127.0.0.1"
