"""Token rules: create (the secret is shown once), revoke, authenticate a bearer header."""
import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm.attributes import set_committed_value

from ..audit.services import record
from ..catalogue import gettext as _
from ..clock import utcnow
from ..errors import Forbidden, NotFound, invalid
from ..extensions import db
from ..ids import as_id
from .models import SCOPES, ApiToken

PREFIX = "csirt_"
MAX_DAYS = 366
LAST_USE_EVERY = timedelta(minutes=1)
# Built once: every API request runs it, and building it (with its cache key) costs about as
# much as running it. The user and the user's agency come joined (ApiToken.user, User.agency).
_BY_LOOKUP = select(ApiToken).where(ApiToken.lookup == bindparam("lookup"))


def _hash(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(actor, user, name, scopes, days=90):
    """A new token for `user`; returns (row, the full token text shown once)."""
    if actor is not None and actor.id != user.id and actor.role != "admin":
        raise Forbidden(_("You may only create tokens for yourself."))
    errors = {}
    name = (name or "").strip()
    if not name or len(name) > 100:
        errors["name"] = _("1–100 characters.")
    scopes = list(dict.fromkeys(scopes or []))
    if not scopes or any(s not in SCOPES for s in scopes):
        errors["scopes"] = _("Choose one or more of: %(scopes)s.", scopes=", ".join(SCOPES))
    try:
        days = int(days)
        if not 1 <= days <= MAX_DAYS:
            raise ValueError
    except (TypeError, ValueError):
        errors["days"] = _("Between 1 and %(n)d days.", n=MAX_DAYS)
    if errors:
        raise invalid(errors)
    lookup, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(user_id=user.id, name=name, lookup=lookup, secret_hash=_hash(secret),
                     scopes=" ".join(scopes), created_at=now, expires_at=now + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    record(actor, "token.create", token, after={"user_id": user.id, "name": name,
                                                "scopes": token.scopes, "expires_at": token.expires_at},
           actor_name=None if actor else "console")
    db.session.commit()
    return token, f"{PREFIX}{lookup}.{secret}"


def revoke_token(actor, token_id):
    token_id = as_id(token_id)
    token = db.session.get(ApiToken, token_id) if token_id else None
    if token is None or (actor is not None and actor.role != "admin" and token.user_id != actor.id):
        raise NotFound("token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(actor, "token.revoke", token, after={"revoked_at": token.revoked_at},
               actor_name=None if actor else "console")
        db.session.commit()
    return token


def authenticate(header_value):
    """The usable token for an `Authorization: Bearer ...` value, else None.

    One indexed SELECT (the token joined with its user and the user's agency) and nothing else:
    the last use is written later, at most once a minute (`last_use_due`, `write_last_use`)."""
    scheme, _space, text = (header_value or "").partition(" ")
    if scheme.lower() != "bearer":  # the scheme name is case-insensitive (RFC 9110)
        return None
    text = text.strip()
    if not text.startswith(PREFIX) or "." not in text:
        return None
    lookup, _sep, secret = text[len(PREFIX):].partition(".")
    if len(lookup) != 16 or not secret:
        return None
    token = db.session.execute(_BY_LOOKUP, {"lookup": lookup}).scalar_one_or_none()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(secret)):
        return None
    if not token.is_usable(utcnow()):
        return None
    return token


def last_use_due(token, now):
    """Whether `token.last_used_at` is old enough to be written again (once a minute at most:
    writing it on every call would cost every request an UPDATE and a row lock)."""
    return token.last_used_at is None or now - token.last_used_at >= LAST_USE_EVERY


def write_last_use(token, now, session=None):
    """Record the use in the current transaction (the caller commits). The WHERE clause makes
    parallel requests with one token write it once: the others find it fresh and change nothing."""
    table = ApiToken.__table__
    (session or db.session).execute(
        table.update()
        .where(table.c.id == token.id,
               or_(table.c.last_used_at.is_(None), table.c.last_used_at <= now - LAST_USE_EVERY))
        .values(last_used_at=now)
    )
    set_committed_value(token, "last_used_at", now)
