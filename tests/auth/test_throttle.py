"""Login throttling: atomic counting, per (user name, address) pair, a slowed-down name, a
spraying limit per address, admin unlock, the password-change throttle, no raw unknown names."""
import hashlib
import hmac
import threading
from datetime import datetime, timedelta

import pytest

from csirt.audit.models import AuditLog
from csirt.auth import services
from csirt.auth.models import LoginThrottle
from csirt.clock import freeze
from csirt.team.models import User
from tests import factories
from tests.conftest import csrf_from

START = datetime(2026, 3, 2, 1, 0, 0)
OWNER_ADDRESS = {"REMOTE_ADDR": "203.0.113.10"}
STRANGER_ADDRESS = {"REMOTE_ADDR": "198.51.100.66"}
LOCKED_EN = "Too many wrong current passwords. Try again in 15 minutes."


def _post_login(client, username, password, address):
    token = csrf_from(client.get("/login", environ_base=address).get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base=address)


def _audit(db, action):
    return db.session.execute(db.select(AuditLog).where(AuditLog.action == action)
                              .order_by(AuditLog.id)).scalars().all()


def _rows(db):
    db.session.expire_all()
    return {row.key: row for row in db.session.execute(db.select(LoginThrottle)).scalars()}


def _pair(rows):
    return [row for key, row in rows.items() if key.startswith("pair:")]


def _login(username, password, ip):
    """The service itself: True when it lets the user in."""
    try:
        services.authenticate(username, password, ip)
    except services.LoginFailed:
        return False
    return True


@pytest.fixture
def clock():
    freeze(START)
    return lambda **delta: freeze(START + timedelta(**delta))


# --- counting is atomic --------------------------------------------------------------------

def test_parallel_wrong_guesses_for_one_pair_get_exactly_the_limit(app, make, db, clock):
    username = make.user("responder").username
    limit = app.config["CSIRT_LOGIN_MAX_FAILURES"]
    clients = [app.test_client() for _i in range(20)]
    tokens = [csrf_from(c.get("/login", environ_base=STRANGER_ADDRESS).get_data(as_text=True)) for c in clients]
    start = threading.Barrier(len(clients))
    statuses, errors = [], []

    def guess(client, token, n):
        try:
            start.wait()
            response = client.post("/login", environ_base=STRANGER_ADDRESS, data={
                "username": username, "password": f"wrong-guess-{n}", "csrf_token": token})
            statuses.append(response.status_code)
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(repr(err))

    threads = [threading.Thread(target=guess, args=(c, t, n)) for n, (c, t) in enumerate(zip(clients, tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert statuses == [401] * 20
    assert len(_audit(db, "auth.login_failed")) == limit  # exactly `limit` passwords were checked
    assert len(_audit(db, "auth.login_locked")) == 20 - limit
    (pair,) = _pair(_rows(db))
    assert pair.failures == limit
    # the right password from that pair is refused while it is locked
    assert _post_login(app.test_client(), username, factories.PASSWORD, STRANGER_ADDRESS).status_code == 401
    assert len(_audit(db, "auth.login_locked")) == 20 - limit + 1


def test_parallel_first_failures_are_all_counted_without_a_collision(app, make, db, clock):
    username = make.user("responder").username
    start = threading.Barrier(4)
    outcomes, errors = [], []

    def guess():
        try:
            start.wait()
            with app.app_context():
                outcomes.append(_login(username, "wrong-guess", "192.0.2.1"))
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(repr(err))

    threads = [threading.Thread(target=guess) for _n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and outcomes == [False] * 4
    counts = {key.split(":")[0]: row.failures for key, row in _rows(db).items()}
    assert counts == {"pair": 4, "name": 4, "addr": 1}  # one new name for the address


# --- one stranger cannot keep the owner out ------------------------------------------------

def test_a_strangers_failures_do_not_lock_the_owner_out_of_their_usual_address(app, make, clock):
    user = make.user("admin", username="admin")
    assert _login("admin", factories.PASSWORD, OWNER_ADDRESS["REMOTE_ADDR"])  # the owner's usual address
    for n in range(app.config["CSIRT_LOGIN_MAX_FAILURES"] * 3):
        assert not _login("admin", f"guess-{n}", f"198.51.100.{n + 1}")
    assert not _login("admin", factories.PASSWORD, STRANGER_ADDRESS["REMOTE_ADDR"])
    # at the very same moment, the owner logs in from their own address
    response = _post_login(app.test_client(), user.username, factories.PASSWORD, OWNER_ADDRESS)
    assert response.status_code == 302


def test_a_strangers_failures_only_slow_the_owner_down_briefly_from_a_new_address(app, make, clock):
    user = make.user("responder")
    limit = app.config["CSIRT_LOGIN_MAX_FAILURES"]
    for n in range(limit):
        assert not _login(user.username, f"guess-{n}", STRANGER_ADDRESS["REMOTE_ADDR"])
    # the stranger's pair is locked for the whole window
    clock(minutes=10)
    assert not _login(user.username, factories.PASSWORD, STRANGER_ADDRESS["REMOTE_ADDR"])
    # the owner, from an address never used before, gets in (the name's delay is seconds)
    assert _login(user.username, factories.PASSWORD, OWNER_ADDRESS["REMOTE_ADDR"])


def test_the_name_alone_gets_a_growing_delay_that_is_capped(app, make, db, clock):
    user = make.user("responder")
    limit = app.config["CSIRT_LOGIN_MAX_FAILURES"]
    cap = app.config["CSIRT_LOGIN_SLOWDOWN_MAX_SECONDS"]
    now = timedelta(0)
    delays = []
    for n in range(limit + 9):  # every guess from a new address: no pair limit ever applies
        freeze(START + now)
        assert not _login(user.username, "guess", f"198.51.100.{n + 1}")
        until = _rows(db)[f"name:{services.throttle.name_digest(user.username)[:32]}"].locked_until
        if until is not None:
            delays.append((until - (START + now)).total_seconds())
            # one second early the name is still refused, from anywhere new, even with the password
            freeze(until - timedelta(seconds=1))
            assert not _login(user.username, factories.PASSWORD, "192.0.2.200")
            now = until - START
    assert delays == [1, 2, 4, 8, 16, 32, 64, cap, cap, cap]
    assert max(delays) < app.config["CSIRT_LOGIN_LOCK_MINUTES"] * 60
    freeze(START + now)
    assert _login(user.username, factories.PASSWORD, "192.0.2.200")


# --- the address limit counts user names, not tries -----------------------------------------

def test_people_mistyping_their_passwords_behind_one_address_do_not_lock_the_office(app, make, clock):
    office = "203.0.113.200"
    limit = app.config["CSIRT_LOGIN_MAX_FAILURES"]
    for _person in range(5):
        typo = make.user("responder")
        for n in range(limit * 2):  # each locks only their own (name, address) pair
            assert not _login(typo.username, f"typo-{n}", office)
    assert _login(make.user("responder").username, factories.PASSWORD, office)


def test_many_successful_logins_from_one_address_never_fill_its_limit(app, make, clock):
    app.config["CSIRT_LOGIN_MAX_NAMES_PER_ADDRESS"] = 3
    for _i in range(6):
        assert _login(make.user("responder").username, factories.PASSWORD, "203.0.113.200")


def test_spraying_many_names_from_one_address_is_stopped_but_its_known_users_still_log_in(app, make, db, clock):
    app.config["CSIRT_LOGIN_MAX_NAMES_PER_ADDRESS"] = 4
    office = "203.0.113.200"
    regular = make.user("responder")
    newcomer = make.user("responder")
    assert _login(regular.username, factories.PASSWORD, office)
    for n in range(4):
        assert not _login(f"sprayed.name.{n}", "Spring2026!", office)
    assert not _login("sprayed.name.99", "Spring2026!", office)
    (refused,) = _audit(db, "auth.login_locked")
    assert refused.after == {"rule": "address"}
    # a new name from the address waits for the window; a user who logs in from there does not
    assert not _login(newcomer.username, factories.PASSWORD, office)
    assert _login(regular.username, factories.PASSWORD, office)
    clock(minutes=app.config["CSIRT_LOGIN_LOCK_MINUTES"], seconds=1)
    assert _login(newcomer.username, factories.PASSWORD, office)


# --- unlock ---------------------------------------------------------------------------------

def _lock_out(app, user):
    for n in range(app.config["CSIRT_LOGIN_MAX_FAILURES"]):
        assert not _login(user.username, f"guess-{n}", OWNER_ADDRESS["REMOTE_ADDR"])
    assert not _login(user.username, factories.PASSWORD, OWNER_ADDRESS["REMOTE_ADDR"])


def test_admin_unlock_button_lets_a_locked_member_in_and_is_audited(app, client, auth, make, db, clock):
    admin = make.user("admin")
    user = make.user("responder")
    _lock_out(app, user)
    auth.login(admin)
    page = f"/team/members/{user.id}"
    html = client.get(page).get_data(as_text=True)
    assert f'action="/team/members/{user.id}/unlock"' in html
    response = client.post(f"{page}/unlock", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302 and response.headers["Location"] == page
    (entry,) = _audit(db, "auth.unlock")
    assert (entry.actor_id, entry.object_id) == (admin.id, str(user.id))
    assert entry.after["cleared"] >= 2
    assert _post_login(app.test_client(), user.username, factories.PASSWORD, OWNER_ADDRESS).status_code == 302


@pytest.mark.parametrize("who", ["responder", "no-csrf"])
def test_unlock_is_refused_to_non_admins_and_without_csrf_and_changes_nothing(app, client, auth, make, db,
                                                                              clock, who):
    user = make.user("responder")
    _lock_out(app, user)
    before = {key: row.failures for key, row in _rows(db).items()}
    auth.login(make.user("admin" if who == "no-csrf" else "responder"))
    data = {} if who == "no-csrf" else {"csrf_token": csrf_from(client.get("/team/").get_data(as_text=True))}
    response = client.post(f"/team/members/{user.id}/unlock", data=data)
    assert response.status_code == (400 if who == "no-csrf" else 403)
    rows = _rows(db)
    assert {key: rows[key].failures for key in before if key in rows} == before
    assert _audit(db, "auth.unlock") == []
    if who == "responder":
        assert "/unlock" not in client.get(f"/team/members/{user.id}").get_data(as_text=True)


def test_cli_unlock_lets_a_locked_user_in(app, runner, make, db, clock):
    user = make.user("responder")
    _lock_out(app, user)
    result = runner.invoke(args=["users", "unlock", user.username])
    assert result.exit_code == 0, result.output
    assert f"unlocked {user.username}" in result.output
    (entry,) = _audit(db, "auth.unlock")
    assert (entry.actor_id, entry.actor_name) == (None, "console")
    assert _login(user.username, factories.PASSWORD, OWNER_ADDRESS["REMOTE_ADDR"])
    result = runner.invoke(args=["users", "unlock", "no.such.user"])
    assert result.exit_code != 0 and "no user named" in result.output


# --- what is stored about unknown names ---------------------------------------------------

def test_a_password_typed_as_the_user_name_is_stored_nowhere(app, client, make, db, clock):
    user = make.user("responder")
    mistyped = "My-Secret-Passphrase-42"
    expected = "unknown:" + hmac.new(b"test-secret-key", mistyped.lower().encode(),
                                     hashlib.sha256).hexdigest()[:8]
    for _i in range(2):
        _post_login(client, mistyped, factories.PASSWORD, OWNER_ADDRESS)
    _post_login(client, user.username, "wrong-password-x", OWNER_ADDRESS)
    failed = _audit(db, "auth.login_failed")
    assert [(r.actor_name, r.object_id) for r in failed] == [(expected, expected), (expected, expected),
                                                              (user.username, user.username)]
    for _i in range(app.config["CSIRT_LOGIN_MAX_FAILURES"]):
        _post_login(client, mistyped, factories.PASSWORD, OWNER_ADDRESS)
    locked = _audit(db, "auth.login_locked")
    assert locked and {(r.actor_name, r.object_id) for r in locked} == {(expected, expected)}
    with db.engine.connect() as conn:
        for table in ("audit_log", "login_throttle"):
            dump = repr(conn.execute(db.text(f"SELECT * FROM {table}")).all()).lower()
            assert mistyped.lower() not in dump and "secret-passphrase" not in dump, table


# --- password change ------------------------------------------------------------------------

def _change(client, current, new="a-brand-new-passphrase"):
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    return client.post("/account/password", data={"current_password": current, "new_password": new,
                                                   "csrf_token": token})


def test_password_change_is_throttled_after_wrong_current_passwords(app, client, auth, make, db, clock):
    user = make.user("responder")
    auth.login(user)
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    limit = app.config["CSIRT_LOGIN_MAX_FAILURES"]
    for n in range(limit):
        response = _change(client, f"not-my-password-{n}")
        assert response.status_code == 400
        assert "The current password is wrong." in response.get_data(as_text=True)
    response = _change(client, factories.PASSWORD)
    assert response.status_code == 400
    assert LOCKED_EN in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(factories.PASSWORD)
    assert len(_audit(db, "auth.password_change_failed")) == limit
    (locked,) = _audit(db, "auth.password_change_locked")
    assert locked.actor_id == user.id
    clock(minutes=app.config["CSIRT_LOGIN_LOCK_MINUTES"], seconds=1)
    assert _change(client, factories.PASSWORD).status_code == 302
    db.session.refresh(user)
    assert user.check_password("a-brand-new-passphrase")


def test_password_change_refuses_an_overlong_current_password_without_hashing_it(client, auth, make, db,
                                                                                monkeypatch):
    user = make.user("responder")
    auth.login(user)
    checked = []
    monkeypatch.setattr(User, "check_password", lambda self, pw: checked.append(len(pw)) or False)
    response = _change(client, "x" * 10_000)
    assert response.status_code == 400
    assert checked == []
    with pytest.raises(services.DomainError):
        services.change_password(user, "x" * 257, "a-brand-new-passphrase")
    assert checked == []
    db.session.refresh(user)
    assert user.password_hash == factories._HASH


# --- housekeeping ---------------------------------------------------------------------------

def test_purge_drops_stale_throttle_rows_but_keeps_live_ones_and_known_addresses(app, make, db, clock):
    user = make.user("responder")
    assert _login(user.username, factories.PASSWORD, OWNER_ADDRESS["REMOTE_ADDR"])
    assert not _login("someone.else", "guess", STRANGER_ADDRESS["REMOTE_ADDR"])
    clock(days=2)
    assert not _login("a.later.name", "guess", STRANGER_ADDRESS["REMOTE_ADDR"])
    services.purge_expired_sessions()
    kinds = sorted(key.split(":")[0] for key in _rows(db))
    assert kinds == ["addr", "known", "name", "pair"]  # the later try's rows, and the known address
    clock(days=app.config["CSIRT_LOGIN_KNOWN_DAYS"] + 1)
    services.purge_expired_sessions()
    assert _rows(db) == {}
