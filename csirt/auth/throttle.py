"""Login throttling: atomic attempt counters in `login_throttle`, and the rules that use them.

Every try is counted *before* the password is checked, in one INSERT ... ON CONFLICT DO UPDATE
... RETURNING statement that refuses (returns no row) while the key is locked. So the decision
comes from the counted value: parallel guesses queue on the row and never get extra tries, and
two first tries never collide on the primary key. A successful login clears its counters.

Keys (a user name is never stored as typed: `<name>` is an HMAC of it under the SECRET_KEY):

- ``pair:<name>|<address>``: the hard limit. CSIRT_LOGIN_MAX_FAILURES tries without success
  within CSIRT_LOGIN_LOCK_MINUTES, then that pair is locked for CSIRT_LOGIN_LOCK_MINUTES.
- ``name:<name>``: the name alone is only slowed down. From addresses where the user never
  logged in, after the same number of tries each further try waits 1, 2, 4 ... seconds, at most
  CSIRT_LOGIN_SLOWDOWN_MAX_SECONDS, until the name was left alone for a whole window.
- ``addr:<address>``: password spraying. It counts the user names newly tried from the address;
  after CSIRT_LOGIN_MAX_NAMES_PER_ADDRESS of them, further new names from there are refused for
  CSIRT_LOGIN_LOCK_MINUTES. Names already being tried keep their own pair limit, so one person
  mistyping their own password never counts twice, and a login that succeeds gives its place back.
- ``known:<name>|<address>``: the user logged in from this address within CSIRT_LOGIN_KNOWN_DAYS.
  Tries from there skip the name and address rules (only the pair limit holds), so a stranger
  elsewhere (or a sprayer behind the same office proxy) cannot keep the owner out.
- ``pwchange:<user id>``: wrong current passwords on the password-change form (a hard limit).
"""
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from .models import LoginThrottle

_T = LoginThrottle.__table__
KNOWN_PREFIX = "known:"


def _insert():
    """The dialect's INSERT, which has `on_conflict_do_update` (SQLite >= 3.35 and PostgreSQL)."""
    name = db.session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the app supports only these two
        raise RuntimeError(f"login throttling does not support {name}")
    return insert(_T)


def _when(value):
    return sa.literal(value, sa.DateTime())


def count_attempt(key, now, *, window, locks, quiet=timedelta(0)):
    """Count one try on `key` in one statement; the new count, or None when the key is locked
    (then nothing is counted).

    The count starts again at 1 when the key's window is over: `window` after its first try while
    it was never locked, or `quiet` after its lock ended. `locks` lists (count, locked_until),
    highest count first: the try that brings the count to `count` or beyond locks the key until
    `locked_until`. Computed by the database from the row it holds, so concurrent tries queue."""
    c = _T.c
    expired = sa.case((c.locked_until.is_(None), c.window_start <= _when(now - window)),
                      else_=c.locked_until <= _when(now - quiet))
    count = sa.case((expired, 1), else_=c.failures + 1)
    lock = sa.case(*[(count >= n, _when(until)) for n, until in locks], else_=sa.null())
    first_lock = next((until for n, until in locks if n <= 1), None)
    stmt = _insert().values(key=key, failures=1, window_start=now, locked_until=first_lock)
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.key],
        set_={"failures": count, "window_start": sa.case((expired, _when(now)), else_=c.window_start),
              "locked_until": lock},
        where=sa.or_(c.locked_until.is_(None), c.locked_until <= _when(now)),
    ).returning(c.failures)
    return db.session.execute(stmt).scalar_one_or_none()


def hard_limit(key, now):
    """`count_attempt` with the configured limit and lock: the pair and password-change rule."""
    cfg = current_app.config
    lock = timedelta(minutes=cfg["CSIRT_LOGIN_LOCK_MINUTES"])
    return count_attempt(key, now, window=lock, locks=[(cfg["CSIRT_LOGIN_MAX_FAILURES"], now + lock)])


def name_digest(username):
    """A stable, non-reversible stand-in for a typed user name (case and spaces ignored)."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    normalised = (username or "").strip().lower()
    return hmac.new(secret, normalised.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def unknown_label(username):
    """What the audit log shows for a user name that does not exist."""
    return "unknown:" + name_digest(username)[:8]


def _address(ip):
    return (ip or "-")[:64]


def _keys(username, ip):
    name = name_digest(username)[:32]
    return {"pair": f"pair:{name}|{_address(ip)}", "name": f"name:{name}",
            "addr": f"addr:{_address(ip)}", "known": f"{KNOWN_PREFIX}{name}|{_address(ip)}"}


@dataclass
class LoginAttempt:
    """One counted login try: its keys, the rule that refused it (None: go on and check the
    password), and whether it took a place in the address's count (given back on success)."""
    keys: dict
    refused_by: str | None = None
    address_counted: bool = False


def _slowdown(now):
    """(count, locked_until) steps for the name: 1, 2, 4 ... seconds, capped."""
    cfg = current_app.config
    limit, cap = cfg["CSIRT_LOGIN_MAX_FAILURES"], max(1, cfg["CSIRT_LOGIN_SLOWDOWN_MAX_SECONDS"])
    steps, delay = [], 1
    while True:
        steps.append((limit + len(steps), now + timedelta(seconds=min(delay, cap))))
        if delay >= cap:
            return steps[::-1]
        delay *= 2


def _is_known(key, now):
    since = now - timedelta(days=current_app.config["CSIRT_LOGIN_KNOWN_DAYS"])
    return db.session.execute(sa.select(_T.c.key).where(_T.c.key == key, _T.c.window_start > since)
                              ).first() is not None


def claim_login(username, ip, now):
    """Count one login try for (name, address) under every rule that applies, in the caller's
    transaction. When a rule refuses, the transaction is rolled back (nothing counted) and
    `refused_by` says which; otherwise the caller commits before checking the password."""
    cfg = current_app.config
    keys = _keys(username, ip)
    attempt = LoginAttempt(keys)
    known = _is_known(keys["known"], now)
    lock = timedelta(minutes=cfg["CSIRT_LOGIN_LOCK_MINUTES"])
    # Always in this order (pair, name, address) so concurrent transactions cannot deadlock.
    pair_count = hard_limit(keys["pair"], now)
    if pair_count is None:
        attempt.refused_by = "pair"
    elif not known:
        if count_attempt(keys["name"], now, window=lock, quiet=lock, locks=_slowdown(now)) is None:
            attempt.refused_by = "name"
        elif pair_count == 1:  # a name new to this address in this window
            limit = cfg["CSIRT_LOGIN_MAX_NAMES_PER_ADDRESS"]
            if count_attempt(keys["addr"], now, window=lock, locks=[(limit, now + lock)]) is None:
                attempt.refused_by = "address"
            else:
                attempt.address_counted = True
    if attempt.refused_by:
        db.session.rollback()
    return attempt


def login_succeeded(attempt, now):
    """Clear the pair's and the name's counters, give back the address's place, and remember
    the address as one this user logs in from (in the caller's transaction)."""
    keys = attempt.keys
    db.session.execute(sa.delete(_T).where(_T.c.key.in_([keys["pair"], keys["name"]])))
    if attempt.address_counted:
        limit = current_app.config["CSIRT_LOGIN_MAX_NAMES_PER_ADDRESS"]
        db.session.execute(sa.update(_T).where(_T.c.key == keys["addr"], _T.c.failures > 0).values(
            failures=_T.c.failures - 1,
            locked_until=sa.case((_T.c.failures - 1 < limit, sa.null()), else_=_T.c.locked_until)))
    stmt = _insert().values(key=keys["known"], failures=0, window_start=now, locked_until=None)
    db.session.execute(stmt.on_conflict_do_update(index_elements=[_T.c.key],
                                                  set_={"window_start": _when(now)}))


def clear(key):
    db.session.execute(sa.delete(_T).where(_T.c.key == key))


def locked_until(key):
    return db.session.execute(sa.select(_T.c.locked_until).where(_T.c.key == key)).scalar_one_or_none()


def clear_user(username, user_id):
    """Drop every counter that holds `username` back (all its pairs, its name, its password
    change); the number of rows removed. Known addresses stay known."""
    name = name_digest(username)[:32]
    result = db.session.execute(sa.delete(_T).where(sa.or_(
        _T.c.key.startswith(f"pair:{name}|", autoescape=True),
        _T.c.key.in_([f"name:{name}", f"pwchange:{user_id}"]))))
    return result.rowcount


def purge(now):
    """Drop counters idle for a day and known addresses older than CSIRT_LOGIN_KNOWN_DAYS."""
    day = now - timedelta(days=1)
    known = _T.c.key.startswith(KNOWN_PREFIX, autoescape=True)
    db.session.execute(sa.delete(_T).where(
        ~known, _T.c.window_start < day, sa.or_(_T.c.locked_until.is_(None), _T.c.locked_until < day)))
    since = now - timedelta(days=current_app.config["CSIRT_LOGIN_KNOWN_DAYS"])
    db.session.execute(sa.delete(_T).where(known, _T.c.window_start < since))
