"""API tokens: random, stored hashed, compared in constant time, scoped, expiring, revocable;
a disabled user's token stops working; the API does not accept a session cookie alone.
Tokens are made on /account/tokens and with `csirt tokens ...`; both are audited."""
import hashlib
import re
from datetime import timedelta

import pytest

from csirt.audit.models import AuditLog
from csirt.auth import tokens
from csirt.auth.models import ApiToken
from csirt.clock import freeze, utcnow
from csirt.errors import Forbidden, ValidationError
from tests.conftest import csrf_from

API = "/api/v1"
BOTH = ["incidents:read", "incidents:write"]
TOKEN_RE = re.compile(r'id="new-token">\s*(csirt_[0-9a-f]{16}\.[A-Za-z0-9_-]+)\s*<')


def bearer(text):
    return {"Authorization": f"Bearer {text}"}


def assert_401(response):
    assert response.status_code == 401, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["status"] == 401 and body["error"]
    return body


def _incident_body():
    return {"title": "Dò quét cổng từ bên ngoài", "category": "other",
            "discovered_at": (utcnow() - timedelta(hours=1)).isoformat() + "Z"}


@pytest.fixture
def coordinator(make, db):
    return make.user("coordinator")


def _all_rows_text(db):
    """Every value of every table, as one string (to look for leaked secrets)."""
    chunks = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                chunks.append(repr(tuple(row)))
    return "\n".join(chunks)


# --- storage and comparison ----------------------------------------------------------------

def test_token_is_random_and_stored_only_as_a_hash(db, coordinator):
    row, text = tokens.create_token(None, coordinator, "SIEM", BOTH, 30)
    other_row, other_text = tokens.create_token(None, coordinator, "SIEM 2", BOTH, 30)
    assert text != other_text and row.lookup != other_row.lookup
    assert text.startswith("csirt_") and text.count(".") == 1
    lookup, secret = text[len("csirt_"):].split(".")
    assert lookup == row.lookup and len(secret) >= 40  # 32 random bytes, URL-safe base64
    db.session.expire_all()
    stored = db.session.get(ApiToken, row.id)
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    dump = _all_rows_text(db)
    assert secret not in dump and text not in dump  # not in the token row, not in the audit log


def test_authenticate_compares_in_constant_time(coordinator, monkeypatch):
    _row, text = tokens.create_token(None, coordinator, "SIEM", BOTH, 30)
    calls = []
    real = tokens.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    assert tokens.authenticate(f"Bearer {text}") is not None
    assert calls, "the secret must be compared with hmac.compare_digest"
    # one character changed anywhere in the secret, or in the lookup part, is refused
    head, secret = text.rsplit(".", 1)
    for i in (0, len(secret) // 2, len(secret) - 1):
        changed = secret[:i] + ("A" if secret[i] != "A" else "B") + secret[i + 1:]
        assert tokens.authenticate(f"Bearer {head}.{changed}") is None
    lookup = head[len("csirt_"):]
    changed_lookup = ("0" if lookup[0] != "0" else "1") + lookup[1:]
    assert tokens.authenticate(f"Bearer csirt_{changed_lookup}.{secret}") is None
    assert tokens.authenticate(f"Bearer {text}x") is None
    assert tokens.authenticate(f"Bearer {text[:-1]}") is None


def test_using_a_token_records_last_use(client, db, coordinator):
    row, text = tokens.create_token(None, coordinator, "SIEM", BOTH, 30)
    assert row.last_used_at is None
    assert client.get(API + "/incidents", headers=bearer(text)).status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).last_used_at is not None


def test_create_token_validates_its_input(make, coordinator):
    with pytest.raises(ValidationError) as err:
        tokens.create_token(None, coordinator, "", ["incidents:admin"], 0)
    assert set(err.value.errors) == {"name", "scopes", "days"}
    for days in (367, -1, "many", None):
        with pytest.raises(ValidationError):
            tokens.create_token(None, coordinator, "x", BOTH, days)
    with pytest.raises(ValidationError):
        tokens.create_token(None, coordinator, "x", [], 30)
    with pytest.raises(ValidationError):
        tokens.create_token(None, coordinator, "x" * 101, BOTH, 30)
    with pytest.raises(Forbidden):  # only admins create tokens for someone else
        tokens.create_token(make.user("responder"), coordinator, "x", BOTH, 30)
    row, _text = tokens.create_token(make.user("admin"), coordinator, "by admin", BOTH, 30)
    assert row.user_id == coordinator.id


# --- scopes --------------------------------------------------------------------------------

def test_read_only_token_cannot_write(client, make, coordinator):
    incident = make.incident(actor=coordinator)
    _row, text = tokens.create_token(None, coordinator, "dashboard", ["incidents:read"], 30)
    h = bearer(text)
    assert client.get(API + "/incidents", headers=h).status_code == 200
    assert client.get(f"{API}/incidents/{incident.id}", headers=h).status_code == 200
    for method, path, body in (
        ("POST", "/incidents", _incident_body()),
        ("PATCH", f"/incidents/{incident.id}", {"title": "x"}),
        ("POST", f"/incidents/{incident.id}/notes", {"body": "x"}),
        ("POST", f"/incidents/{incident.id}/status", {"status": "triaged"}),
    ):
        response = client.open(API + path, method=method, headers=h, json=body)
        assert response.status_code == 403, (method, path)
        assert "incidents:write" in response.get_json()["error"]
    # the incident is unchanged
    response = client.get(f"{API}/incidents/{incident.id}", headers=h).get_json()
    assert response["status"] == "new" and response["title"] != "x" and response["version"] == incident.version


def test_write_only_token_cannot_read(client, make, coordinator):
    incident = make.incident(actor=coordinator)
    _row, text = tokens.create_token(None, coordinator, "intake", ["incidents:write"], 30)
    h = bearer(text)
    assert client.get(API + "/incidents", headers=h).status_code == 403
    assert client.get(f"{API}/incidents/{incident.id}", headers=h).status_code == 403
    assert client.post(API + "/incidents", headers=h, json=_incident_body()).status_code == 201


def test_scopes_do_not_widen_the_users_rights(client, make, coordinator):
    member = make.user("member")
    incident = make.incident(actor=coordinator)  # another agency's incident
    _row, text = tokens.create_token(None, member, "member", BOTH, 30)
    assert client.get(f"{API}/incidents/{incident.id}", headers=bearer(text)).status_code == 404
    mine = make.incident(actor=coordinator, agency_obj=member.agency)
    response = client.post(f"{API}/incidents/{mine.id}/status", headers=bearer(text), json={"status": "triaged"})
    assert response.status_code == 403


# --- tokens that stop working ------------------------------------------------------------------

def test_expired_token_is_401(client, coordinator):
    now = utcnow().replace(microsecond=0)
    freeze(now)
    row, text = tokens.create_token(None, coordinator, "short", BOTH, 1)
    assert row.expires_at == now + timedelta(days=1)
    freeze(now + timedelta(days=1) - timedelta(seconds=1))
    assert client.get(API + "/incidents", headers=bearer(text)).status_code == 200
    freeze(now + timedelta(days=1))
    assert_401(client.get(API + "/incidents", headers=bearer(text)))
    freeze(now + timedelta(days=400))
    assert_401(client.get(API + "/incidents", headers=bearer(text)))


def test_revoked_token_is_401(client, db, coordinator):
    row, text = tokens.create_token(None, coordinator, "SIEM", BOTH, 30)
    assert client.get(API + "/incidents", headers=bearer(text)).status_code == 200
    tokens.revoke_token(None, row.id)
    assert_401(client.get(API + "/incidents", headers=bearer(text)))
    assert_401(client.post(API + "/incidents", headers=bearer(text), json=_incident_body()))


def test_disabled_users_token_is_401(client, coordinator):
    from csirt.team import services as team

    _row, text = tokens.create_token(None, coordinator, "SIEM", BOTH, 30)
    assert client.get(API + "/incidents", headers=bearer(text)).status_code == 200
    team.set_user_active(None, coordinator, False)
    assert_401(client.get(API + "/incidents", headers=bearer(text)))
    assert_401(client.post(API + "/incidents", headers=bearer(text), json=_incident_body()))


def test_a_session_cookie_alone_is_401(client, auth, make, coordinator, db):
    from csirt.incidents.models import Incident

    incident = make.incident(actor=coordinator)
    assert auth.login(coordinator).status_code == 302
    assert client.get("/incidents").status_code == 200  # the cookie works for pages
    assert_401(client.get(API + "/incidents"))
    assert_401(client.get(f"{API}/incidents/{incident.id}"))
    assert_401(client.post(API + "/incidents", json=_incident_body()))
    assert_401(client.patch(f"{API}/incidents/{incident.id}", json={"title": "via cookie"}))
    assert db.session.execute(db.select(db.func.count(Incident.id))).scalar() == 1
    # a cookie next to a broken token does not help either
    assert_401(client.get(API + "/incidents", headers={"Authorization": "Bearer nonsense"}))


@pytest.mark.parametrize("header", [
    "", "Bearer", "Bearer ", "Basic dXNlcjpjb3JyZWN0LWhvcnNl", "Token {t}", "{t}", "Bearer: {t}",
    "Bearer {t} extra", "Bearer {t}{t}", "Bearer csirt_", "Bearer csirt_.", "Bearer csirt_abc.def",
    "Bearer csirt_0123456789abcdef.", "Bearer csirt_0123456789abcdef", "Bearer {lookup}",
    "Bearer csirt_{lookup}", "Bearer {secret}", "Bearer csirt_é{lookup}.{secret}", "Bearer " + "x" * 5000,
    "Bearer csirt_{lookup}.{secret}.{secret}", "Bearer csirt_{lookup}..{secret}", "Bearer\t{t}",
])
def test_malformed_authorization_headers_are_401(client, coordinator, header):
    _row, text = tokens.create_token(None, coordinator, "SIEM", BOTH, 30)
    lookup, secret = text[len("csirt_"):].split(".")
    value = header.format(t=text, lookup=lookup, secret=secret)
    assert_401(client.get(API + "/incidents", headers={"Authorization": value}))
    assert client.get(API + "/incidents", headers=bearer(text)).status_code == 200  # the real one works


def test_the_openapi_document_needs_no_token(client):
    assert client.get(API + "/openapi.json").status_code == 200


# --- the account page ---------------------------------------------------------------------

def _create_on_page(client, name="SIEM", scopes=("incidents:read",), days=30):
    token = csrf_from(client.get("/account/tokens").get_data(as_text=True))
    return client.post("/account/tokens", data={"csrf_token": token, "name": name, "scopes": list(scopes),
                                                "days": str(days)})


def test_account_page_creates_a_token_shown_once(client, auth, db, coordinator):
    auth.login(coordinator)
    response = _create_on_page(client, scopes=BOTH)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    match = TOKEN_RE.search(html)
    assert match, html[:3000]
    text = match.group(1)
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    assert row.user_id == coordinator.id and row.name == "SIEM" and row.scopes == "incidents:read incidents:write"
    assert text not in client.get("/account/tokens").get_data(as_text=True)  # shown once only
    # the token works on the API, without any cookie
    fresh = client.application.test_client()
    assert fresh.post(API + "/incidents", headers=bearer(text), json=_incident_body()).status_code == 201


def test_account_page_refuses_bad_input_and_forms_without_csrf(client, auth, db, coordinator):
    auth.login(coordinator)
    response = _create_on_page(client, name="", scopes=(), days=9999)
    assert response.status_code == 200 and not TOKEN_RE.search(response.get_data(as_text=True))
    response = _create_on_page(client, scopes=("incidents:admin",))
    assert not TOKEN_RE.search(response.get_data(as_text=True))
    response = client.post("/account/tokens", data={"name": "no csrf", "scopes": ["incidents:read"], "days": "30"})
    assert response.status_code == 400
    assert db.session.execute(db.select(ApiToken)).first() is None


def test_account_page_revokes_a_token(client, auth, db, coordinator):
    auth.login(coordinator)
    text = TOKEN_RE.search(_create_on_page(client).get_data(as_text=True)).group(1)
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    api = client.application.test_client()
    assert api.get(API + "/incidents", headers=bearer(text)).status_code == 200
    # without the CSRF token nothing happens
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 400
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is None
    page = client.get("/account/tokens").get_data(as_text=True)
    response = client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is not None
    assert_401(api.get(API + "/incidents", headers=bearer(text)))


def test_account_page_cannot_revoke_someone_elses_token(client, auth, db, make, coordinator):
    victim = make.user("responder")
    row, text = tokens.create_token(None, victim, "victim", BOTH, 30)
    auth.login(coordinator)
    assert "victim" not in client.get("/account/tokens").get_data(as_text=True)
    page = client.get("/account/tokens").get_data(as_text=True)
    response = client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is None
    assert client.application.test_client().get(API + "/incidents", headers=bearer(text)).status_code == 200


# --- the console -------------------------------------------------------------------------

def test_cli_creates_lists_and_revokes_tokens(runner, client, db, coordinator):
    result = runner.invoke(args=["tokens", "create", coordinator.username, "--name", "n",
                                 "--scope", "incidents:read"])
    assert result.exit_code == 0, result.output
    text = re.search(r"csirt_[0-9a-f]{16}\.[A-Za-z0-9_-]+", result.output).group(0)
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    assert f"token {row.id} for {coordinator.username}" in result.output
    assert row.scopes == "incidents:read" and row.name == "n"
    assert client.get(API + "/incidents", headers=bearer(text)).status_code == 200
    assert client.post(API + "/incidents", headers=bearer(text), json=_incident_body()).status_code == 403

    listed = runner.invoke(args=["tokens", "list"])
    assert listed.exit_code == 0
    line = next(line for line in listed.output.splitlines() if line.startswith(f"{row.id}\t"))
    assert coordinator.username in line and "incidents:read" in line and "expires" in line
    assert text not in listed.output and text.split(".")[1] not in listed.output

    revoked = runner.invoke(args=["tokens", "revoke", str(row.id)])
    assert revoked.exit_code == 0 and f"revoked token {row.id}" in revoked.output
    assert_401(client.get(API + "/incidents", headers=bearer(text)))
    line = next(line for line in runner.invoke(args=["tokens", "list"]).output.splitlines()
                if line.startswith(f"{row.id}\t"))
    assert "revoked" in line


def test_cli_token_with_both_scopes_and_days(runner, db, coordinator):
    result = runner.invoke(args=["tokens", "create", coordinator.username, "--name", "siem",
                                 "--scope", "incidents:read", "--scope", "incidents:write", "--days", "7"])
    assert result.exit_code == 0, result.output
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    assert row.scope_list == BOTH
    assert timedelta(days=6, hours=23) < row.expires_at - row.created_at <= timedelta(days=7)


@pytest.mark.parametrize("args", [
    ["tokens", "create", "nobody", "--name", "n"],
    ["tokens", "create", "{user}", "--name", "n", "--scope", "incidents:admin"],
    ["tokens", "create", "{user}", "--name", "n", "--days", "0"],
    ["tokens", "create", "{user}", "--name", "n", "--days", "1000"],
    ["tokens", "create", "{user}", "--name", ""],
    ["tokens", "revoke", "424242"],
    ["tokens", "revoke", "abc"],
])
def test_cli_refuses_bad_input(runner, db, coordinator, args):
    result = runner.invoke(args=[a.format(user=coordinator.username) for a in args])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert db.session.execute(db.select(ApiToken)).first() is None


# --- audit ------------------------------------------------------------------------------------

def _audit(db, action):
    return db.session.execute(db.select(AuditLog).where(AuditLog.action == action)
                              .order_by(AuditLog.id)).scalars().all()


def test_token_create_and_revoke_are_audited_from_the_page(client, auth, db, coordinator):
    auth.login(coordinator)
    text = TOKEN_RE.search(_create_on_page(client, name="SIEM").get_data(as_text=True)).group(1)
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    [created] = _audit(db, "token.create")
    assert created.actor_id == coordinator.id and created.object_type == "api_token"
    assert created.object_id == str(row.id) and created.ip
    assert created.after["name"] == "SIEM" and created.after["user_id"] == coordinator.id
    assert created.after["scopes"] == "incidents:read"
    page = client.get("/account/tokens").get_data(as_text=True)
    client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf_from(page)})
    [revoked] = _audit(db, "token.revoke")
    assert revoked.actor_id == coordinator.id and revoked.object_id == str(row.id)
    # revoking again is a no-op: no second entry
    page = client.get("/account/tokens").get_data(as_text=True)
    client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf_from(page)})
    assert len(_audit(db, "token.revoke")) == 1
    secret = text.split(".")[1]
    for entry in _audit(db, "token.create") + _audit(db, "token.revoke"):
        assert secret not in repr(entry.after) and text not in repr(entry.after)


def test_token_create_and_revoke_are_audited_from_the_console(runner, db, coordinator):
    runner.invoke(args=["tokens", "create", coordinator.username, "--name", "cli"])
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    runner.invoke(args=["tokens", "revoke", str(row.id)])
    [created] = _audit(db, "token.create")
    [revoked] = _audit(db, "token.revoke")
    for entry in (created, revoked):
        assert entry.actor_id is None and entry.actor_name == "console" and entry.object_id == str(row.id)
    assert created.after["user_id"] == coordinator.id
