"""Heartbeats: what a server's own script reports every few minutes (its agent, its antivirus),
and the tokens those scripts send it with.

`receive(token, payload, remote_address)` checks the body (`parse`, pure), that the token may
report for the server named, and keeps the latest heartbeat of each server (one row, replaced).
A server the inventory does not know and a server the token was not granted get the same 403:
a heartbeat token must not be able to tell which host names exist.

`issue_token(actor, server, days)` creates a token with the scope heartbeats:write owned by the
actor and granted to one server; the token's text is shown once.
"""
import logging
from datetime import date, datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from ..audit.services import record
from ..auth import tokens
from ..catalogue import gettext as _
from ..clock import iso_utc, utcnow
from ..errors import Forbidden, invalid
from ..extensions import db
from ..ids import as_id
from ..systems import policy as systems_policy
from ..systems.models import Server
from . import policy
from .models import HeartbeatGrant, ServerHeartbeat

logger = logging.getLogger(__name__)

SCOPE = "heartbeats:write"
DEFAULT_SKEW = 300
DEFAULT_DAYS = 365
HOSTNAME_LENGTH = 100      # Server.hostname
TIME_LENGTH = 40
PRODUCT_LENGTH = 100       # ServerHeartbeat.antivirus_product
# The body: {"server" | "server_id", "time", "agent": {"name", "version"},
# "antivirus": {"product", "enabled", "signature_date"}}; agent fields with their columns' lengths.
AGENT_FIELDS = {"name": 100, "version": 50}
ANTIVIRUS_FIELDS = ("product", "enabled", "signature_date")
TOP_FIELDS = ("server", "server_id", "time", "agent", "antivirus")


def _text(errors, path, value, limit):
    """Text of at most `limit` characters, without control characters; None (absent) is ""."""
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[path] = _("Must be text.")
        return None
    value = value.strip()
    if len(value) > limit:
        errors[path] = _("At most %(n)d characters.", n=limit)
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        errors[path] = _("Contains a character that is not allowed.")
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        errors[path] = _("Contains a character that is not allowed.")
        return None
    return value


def _object(errors, path, value, fields):
    """A JSON object (or null, read as empty) with only `fields`."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors[path] = _("Must be a JSON object.")
        return None
    for key in value:
        if key not in fields:
            errors[f"{path}.{str(key)[:50]}"] = _("This field cannot be set.")
    return value


def _time(errors, value, now, skew):
    """The server's clock as naive UTC: ISO 8601 with an offset or Z, at most `skew` seconds
    ahead of `now` (exactly `skew` ahead is accepted)."""
    if value is None:
        errors["time"] = _("This field is required.")
        return None
    if not isinstance(value, str) or len(value) > TIME_LENGTH:
        errors["time"] = _("Not a valid date and time: use ISO 8601 with a time zone, such as %(example)s.",
                           example="2026-01-31T08:00:00+07:00")
        return None
    raw = value.strip()
    if raw[-1:] in ("Z", "z"):
        raw = raw[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in raw.upper():
        errors["time"] = _("Not a valid date and time: use ISO 8601 with a time zone, such as %(example)s.",
                           example="2026-01-31T08:00:00+07:00")
        return None
    try:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 has no UTC date
        errors["time"] = _("Not a valid date and time: use ISO 8601 with a time zone, such as %(example)s.",
                           example="2026-01-31T08:00:00+07:00")
        return None
    if moment > now + timedelta(seconds=skew):
        errors["time"] = _("The time is more than %(n)d seconds ahead of this server's clock.", n=skew)
        return None
    return moment


def _day(errors, path, value, now):
    """A YYYY-MM-DD date no later than tomorrow (UTC): a signature date in the future would keep
    the antivirus check passing for ever."""
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if day > (now + timedelta(days=1)).date():
                errors[path] = _("The date is in the future.")
                return None
            return day
    errors[path] = _("Not a valid date: use YYYY-MM-DD.")
    return None


def _server_ref(errors, payload):
    """("hostname", text) or ("id", number) naming the reporting server."""
    has_name, has_id = payload.get("server") is not None, payload.get("server_id") is not None
    if has_name and has_id:
        errors["server"] = _("Give server or server_id, not both.")
        return None
    if has_id:
        value = payload["server_id"]
        number = None if isinstance(value, bool) or not isinstance(value, int) else as_id(value)
        if number is None:
            errors["server_id"] = _("Must be a whole number from 1 to %(n)d.", n=2**31 - 1)
            return None
        return ("id", number)
    if not has_name:
        errors["server"] = _("This field is required.")
        return None
    name = _text(errors, "server", payload["server"], HOSTNAME_LENGTH)
    if name is not None and not name:
        errors["server"] = _("Must not be empty.")
        return None
    return None if name is None else ("hostname", name.lower())


def parse(payload, now, skew=DEFAULT_SKEW):
    """A heartbeat body as clean values, or a ValidationError naming every bad field. Pure."""
    if not isinstance(payload, dict):
        raise invalid({"body": _("The body must be a JSON object.")})
    errors = {}
    for key in payload:
        if key not in TOP_FIELDS:
            errors[str(key)[:50]] = _("This field cannot be set.")
    server = _server_ref(errors, payload)
    reported_at = _time(errors, payload.get("time"), now, skew)
    agent = _object(errors, "agent", payload.get("agent"), AGENT_FIELDS) or {}
    antivirus = _object(errors, "antivirus", payload.get("antivirus"), ANTIVIRUS_FIELDS) or {}
    values = {}
    for name, limit in AGENT_FIELDS.items():
        values[f"agent_{name}"] = _text(errors, f"agent.{name}", agent.get(name), limit)
    values["antivirus_product"] = _text(errors, "antivirus.product", antivirus.get("product"),
                                        PRODUCT_LENGTH)
    enabled = antivirus.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        errors["antivirus.enabled"] = _("Must be true, false or null.")
    values["antivirus_enabled"] = enabled if isinstance(enabled, bool) else None
    values["signature_date"] = _day(errors, "antivirus.signature_date", antivirus.get("signature_date"), now)
    if errors:
        raise invalid(errors)
    return {"server": server, "reported_at": reported_at, **values}


def _refused(ref):
    shown = str(ref[1]) if ref else ""
    return Forbidden(_("This token may not report for the server %(server)s (unknown, archived, or not "
                       "granted to this token).", server=shown[:HOSTNAME_LENGTH]))


def _granted_server(token, ref):
    """The server named by `ref` if it exists, is not archived and `token` was granted it; else
    the one Forbidden (the same answer for all three, see the module)."""
    column = Server.hostname if ref[0] == "hostname" else Server.id
    row = db.session.execute(
        select(Server.id, Server.hostname, HeartbeatGrant.token_id)
        .outerjoin(HeartbeatGrant, (HeartbeatGrant.server_id == Server.id) & (HeartbeatGrant.token_id == token.id))
        .where(column == ref[1], Server.archived_at.is_(None))).first()
    if row is None or row.token_id is None:
        raise _refused(ref)
    if not may_issue(token.user, db.session.get(Server, row.id)):  # its owner lost that right since
        raise _refused(ref)
    return row.id, row.hostname


def _upsert(values):
    """Insert the server's heartbeat row or replace it, in one statement: two heartbeats of a new
    server arriving together cannot both insert (SQLite >= 3.35 and PostgreSQL)."""
    table = ServerHeartbeat.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(**values)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=[table.c.server_id],
        set_={k: stmt.excluded[k] for k in values if k != "server_id"}))


def receive(token, payload, remote_address=""):
    """Store a heartbeat sent with `token` (an ApiToken with the scope heartbeats:write, already
    authenticated). Returns {"server": hostname, "server_id": id, "received_at": iso}. Raises a
    ValidationError (400) naming the bad fields, or Forbidden (403); then nothing is stored."""
    if SCOPE not in token.scope_list:
        raise Forbidden(_("This token lacks the scope %(scope)s.", scope=SCOPE))
    now = utcnow()
    skew = int(current_app.config.get("CSIRT_HEARTBEAT_MAX_SKEW_SECONDS", DEFAULT_SKEW))
    clean = parse(payload, now, skew)
    server_id, hostname = _granted_server(token, clean.pop("server"))
    _upsert({"server_id": server_id, "received_at": now, "token_id": token.id,
             "remote_address": (remote_address or "")[:45], **clean})
    # No audit entry: every server sends one every few minutes, so the log would hold little
    # else. The row itself records who sent it (token_id), from where and when; tokens and grants
    # (issue_token) and refused heartbeats (403, a permission denial) are audited.
    db.session.commit()
    return {"server": hostname, "server_id": server_id, "received_at": iso_utc(now)}


def may_issue(actor, server):
    """Admins and coordinators (those who configure checks) who may change the server."""
    return policy.can_configure(actor) and systems_policy.can_edit_server(actor, server)


def server_by_hostname(actor, hostname):
    """The server named `hostname` that `actor` may see (NotFound otherwise)."""
    name = (hostname or "").strip().lower()
    server_id = db.session.execute(select(Server.id).where(Server.hostname == name)).scalar_one_or_none()
    return systems_policy.get_server(actor, server_id)


def issue_token(actor, server, days=DEFAULT_DAYS):
    """A token for the heartbeat script of `server`: owned by `actor`, scope heartbeats:write,
    granted to this server only. Returns (the ApiToken, its text, shown once).

    tokens.create_token commits the token by itself; the grant follows in a second transaction.
    Should that one fail, the token is revoked again: a token without its grant could report
    for nothing anyway, but it should not linger in the owner's list as if it worked."""
    systems_policy.require(may_issue(actor, server),
                           _("Only administrators and coordinators who may change this server issue its "
                             "heartbeat tokens."))
    if server.archived_at is not None:
        raise invalid({"server": _("This server is archived.")})
    name = f"heartbeat: {server.hostname}"[:100]
    token, text = tokens.create_token(actor, actor, name, [SCOPE], days)
    try:
        db.session.add(HeartbeatGrant(token_id=token.id, server_id=server.id))
        record(actor, "heartbeat.grant", server, after={"token_id": token.id, "token_name": name,
                                                        "expires_at": token.expires_at})
        db.session.commit()
    except Exception:
        db.session.rollback()
        tokens.revoke_token(actor, token.id)
        raise
    logger.info("heartbeat token %s issued for server %s", token.id, server.id)
    return token, text
