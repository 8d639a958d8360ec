"""Login with lockout, server-side sessions, logout, password change."""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app, session
from flask_babel import gettext as _

from ..audit.services import record
from ..clock import utcnow
from ..errors import DomainError, invalid
from ..extensions import db
from ..team.models import User
from ..team.passwords import access_revoked, password_problem
from .models import LoginThrottle, UserSession

SESSION_KEY = "sid"
# A real hash, so an unknown user costs as much time as a wrong password.
_DUMMY_HASH = None


class LoginFailed(DomainError):
    status = 401


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _dummy_check(password):
    global _DUMMY_HASH
    from werkzeug.security import check_password_hash, generate_password_hash

    if _DUMMY_HASH is None:
        _DUMMY_HASH = generate_password_hash(secrets.token_hex(8), method="scrypt")
    check_password_hash(_DUMMY_HASH, password)


def _throttle_keys(username, ip):
    return [f"user:{username.strip().lower()[:150]}", f"ip:{ip or '-'}"]


def _locked(keys, now):
    rows = db.session.execute(db.select(LoginThrottle).where(LoginThrottle.key.in_(keys))).scalars()
    return any(row.locked_until and row.locked_until > now for row in rows)


def _register_failure(keys, now):
    cfg = current_app.config
    window = timedelta(minutes=cfg["CSIRT_LOGIN_LOCK_MINUTES"])
    for key in keys:
        limit = cfg["CSIRT_LOGIN_MAX_FAILURES"] * (4 if key.startswith("ip:") else 1)
        row = db.session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_start=now)
            db.session.add(row)
        if row.window_start < now - window:
            row.failures, row.window_start, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= limit:
            row.locked_until = now + window


def _clear_failures(username):
    row = db.session.get(LoginThrottle, _throttle_keys(username, None)[0])
    if row is not None:
        db.session.delete(row)


def authenticate(username, password, ip=None):
    """The active user with these credentials. One message for every failure (unknown user,
    wrong password, disabled account, lockout) so the answer tells an attacker nothing."""
    username = (username or "").strip()
    password = password or ""
    now = utcnow()
    keys = _throttle_keys(username, ip)
    failure = LoginFailed(_("Wrong user name or password, or too many attempts. Try again later."))
    if _locked(keys, now):
        _dummy_check(password)
        record(None, "auth.login_locked", object_type="user", object_id=username[:64], actor_name=username[:64])
        db.session.commit()
        raise failure
    user = db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        _dummy_check(password)
        ok = False
    else:
        ok = user.check_password(password) and user.is_active
    if not ok:
        _register_failure(keys, now)
        record(user, "auth.login_failed", user, object_type="user", object_id=username[:64],
               actor_name=username[:64])
        db.session.commit()
        raise failure
    _clear_failures(username)
    return user


def start_session(user, ip=None, user_agent=None):
    """A new server-side session for `user`; returns the token to keep in the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    hours = current_app.config["CSIRT_SESSION_HOURS"]
    db.session.add(UserSession(token_hash=_digest(token), user_id=user.id, created_at=now,
                               expires_at=now + timedelta(hours=hours), ip=ip,
                               user_agent=(user_agent or "")[:300]))
    user.last_login_at = now
    record(user, "auth.login", user)
    db.session.commit()
    return token


def load_session_user(user_id):
    """Flask-Login's user loader: the user only if the cookie's session row is still live."""
    token = session.get(SESSION_KEY)
    if not token or not str(user_id).isdigit():
        return None
    row = db.session.execute(
        db.select(UserSession).where(UserSession.token_hash == _digest(token))
    ).scalar_one_or_none()
    if row is None or row.user_id != int(user_id) or row.expires_at <= utcnow():
        return None
    user = db.session.get(User, row.user_id)
    return user if user is not None and user.is_active else None


def end_session(user):
    token = session.get(SESSION_KEY)
    if token:
        db.session.execute(db.delete(UserSession).where(UserSession.token_hash == _digest(token)))
    if user is not None and getattr(user, "id", None):
        record(user, "auth.logout", user)
    db.session.commit()


def connect_signals():
    """Called by the factory: the team's `access_revoked` ends the member's sessions."""
    access_revoked.connect(_on_access_revoked, weak=False)


def _on_access_revoked(user):
    end_all_sessions(user)


def end_all_sessions(user, keep_token=None):
    query = db.delete(UserSession).where(UserSession.user_id == user.id)
    if keep_token:
        query = query.where(UserSession.token_hash != _digest(keep_token))
    db.session.execute(query)


def change_password(user, current_password, new_password):
    """Change the user's own password and end every other session of theirs."""
    errors = {}
    if not user.check_password(current_password or ""):
        errors["current_password"] = _("The current password is wrong.")
    problem = password_problem(new_password, user.username)
    if problem:
        errors["new_password"] = problem
    if errors:
        raise invalid(errors)
    user.set_password(new_password)
    end_all_sessions(user, keep_token=session.get(SESSION_KEY))
    record(user, "auth.password_change", user)
    db.session.commit()


def purge_expired_sessions():
    """Scheduler job: drop expired session rows and stale throttle rows."""
    now = utcnow()
    db.session.execute(db.delete(UserSession).where(UserSession.expires_at <= now))
    db.session.execute(db.delete(LoginThrottle).where(
        LoginThrottle.window_start < now - timedelta(days=1)))
    db.session.commit()
