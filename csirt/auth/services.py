"""Login with lockout, server-side sessions, logout, password change."""
import hashlib
import math
import secrets
from datetime import timedelta

from flask import current_app, session

from ..audit.services import record
from ..catalogue import gettext as _
from ..clock import utcnow
from ..errors import DomainError, invalid
from ..extensions import db
from ..team.models import User
from ..team.passwords import MAX_PASSWORD, access_revoked, password_problem
from ..team.services import require_admin
from . import throttle
from .models import UserSession

SESSION_KEY = "sid"
MAX_USERNAME = 64
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


def _audit_name(username, user):
    """Existing user names as they are; anything else (often a password typed in the wrong
    field) only as a keyed digest, so repeated tries on one unknown name stay visible."""
    return user.username if user is not None else throttle.unknown_label(username)


def authenticate(username, password, ip=None):
    """The active user with these credentials. One message for every failure (unknown user,
    wrong password, disabled account, throttled) so the answer tells an attacker nothing.

    The try is counted (see `throttle`) and committed before the password is checked, so
    parallel guesses cannot get more tries than the limit."""
    username = (username or "").strip()
    password = password or ""
    now = utcnow()
    failure = LoginFailed(_("Wrong user name or password, or too many attempts. Try again later."))
    user = None
    if 0 < len(username) <= MAX_USERNAME:
        user = db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
    name = _audit_name(username, user)
    attempt = throttle.claim_login(username, ip, now)
    if attempt.refused_by:
        _dummy_check(password)
        record(None, "auth.login_locked", object_type="user", object_id=name, actor_name=name,
               after={"rule": attempt.refused_by})
        db.session.commit()
        raise failure
    db.session.commit()
    if user is None or len(password) > MAX_PASSWORD:
        _dummy_check(password[:MAX_PASSWORD])
        ok = False
    else:
        ok = user.check_password(password) and user.is_active
    if not ok:
        record(user, "auth.login_failed", user, object_type="user", object_id=name, actor_name=name)
        db.session.commit()
        raise failure
    throttle.login_succeeded(attempt, now)
    db.session.commit()
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
    # one statement: the user, joined to the live session row of this cookie
    user = db.session.execute(
        db.select(User).join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == _digest(token), UserSession.user_id == int(user_id),
               UserSession.expires_at > utcnow())
    ).scalar_one_or_none()
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
    """Change the user's own password and end every other session of theirs.

    Wrong current passwords count under the key "pwchange:<user id>" like login tries: after
    CSIRT_LOGIN_MAX_FAILURES of them the form is refused for CSIRT_LOGIN_LOCK_MINUTES."""
    current_password = current_password or ""
    if len(current_password) > MAX_PASSWORD:
        raise invalid({"current_password": _("At most %(n)d characters.", n=MAX_PASSWORD)})
    key = f"pwchange:{user.id}"
    now = utcnow()
    # Counted and committed before the check (and kept when the form is refused below).
    if throttle.hard_limit(key, now) is None:
        db.session.rollback()
        until = throttle.locked_until(key) or now
        minutes = max(1, math.ceil((until - now).total_seconds() / 60))
        record(user, "auth.password_change_locked", user)
        db.session.commit()
        raise invalid({"current_password": _(
            "Too many wrong current passwords. Try again in %(n)d minutes.", n=minutes)})
    db.session.commit()
    errors = {}
    if user.check_password(current_password):
        throttle.clear(key)
        db.session.commit()
    else:
        errors["current_password"] = _("The current password is wrong.")
        record(user, "auth.password_change_failed", user)
        db.session.commit()
    problem = password_problem(new_password, user.username)
    if problem:
        errors["new_password"] = problem
    if errors:
        raise invalid(errors)
    user.set_password(new_password)
    end_all_sessions(user, keep_token=session.get(SESSION_KEY))
    record(user, "auth.password_change", user)
    db.session.commit()


def unlock_user(actor, user):
    """Clear every login and password-change counter that holds `user` back, whoever caused
    them; `actor` None: the console. Returns how many counters were cleared."""
    if actor is not None:
        require_admin(actor)
    cleared = throttle.clear_user(user.username, user.id)
    record(actor, "auth.unlock", user, after={"cleared": cleared}, actor_name=None if actor else "console")
    db.session.commit()
    return cleared


def purge_expired_sessions():
    """Scheduler job: drop expired session rows and stale throttle rows."""
    now = utcnow()
    db.session.execute(db.delete(UserSession).where(UserSession.expires_at <= now))
    throttle.purge(now)
    db.session.commit()
