"""`record()` is the one way to write the audit log; services call it inside their transaction.

Each entry also says through which channel the change came: a page ("web"), the JSON API
("api", with the token's name), the console ("cli"), the scheduler, or the system itself.
"""
import datetime
import decimal
from contextlib import contextmanager
from contextvars import ContextVar

import click
from flask import g, has_request_context, request

from ..clock import utcnow
from ..extensions import db
from .models import AuditLog

SECRET_FIELDS = {"password", "password_hash", "token", "token_hash", "secret"}
CHANNELS = ("web", "api", "cli", "scheduler", "system")
VIA_LENGTH = 120

# Set by the scheduler (and anything else that runs outside a request) for the work it does.
# A context variable, not flask.g: each thread and each request starts without it.
_channel = ContextVar("audit_channel", default=None)


def _plain(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def clean(values):
    """A JSON-safe copy of a dict with secrets removed."""
    if values is None:
        return None
    return {k: _plain(v) for k, v in values.items() if k not in SECRET_FIELDS}


def snapshot(obj, fields):
    return clean({f: getattr(obj, f) for f in fields})


def client_ip():
    if not has_request_context():
        return None
    return request.remote_addr


def set_channel(channel, via=None):
    """Mark the work that follows in this thread or task as coming from `channel` ("cli",
    "scheduler", ...), optionally with a detail such as a job's id; returns a token for
    `reset_channel`. Requests need no marking: they are "web" or "api" by themselves."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown audit channel {channel!r}")
    return _channel.set((channel, via[:VIA_LENGTH] if via else None))


def reset_channel(token):
    _channel.reset(token)


@contextmanager
def channel(name, via=None):
    """`with channel("scheduler", via=job_id): ...` marks the entries written inside the block."""
    token = set_channel(name, via)
    try:
        yield
    finally:
        reset_channel(token)


def current_channel():
    """(channel, via) for an entry written now.

    A request decides by itself (a test or a console command may make requests, and what they
    write came through the web or the API); otherwise an explicit mark; otherwise a running
    console command (click's context is per thread, so scheduler threads started by
    `csirt serve` do not inherit it); otherwise the system itself.
    """
    if has_request_context():
        token = g.get("api_token")
        if token is not None:
            return "api", f"{token.name} #{token.id}"[:VIA_LENGTH]
        if (request.blueprint or "").split(".")[0] == "api":
            return "api", None  # refused before a token was accepted
        return "web", None
    marked = _channel.get()
    if marked is not None:
        return marked
    if click.get_current_context(silent=True) is not None:
        return "cli", None
    return "system", None


def record(actor, action, obj=None, before=None, after=None, object_type=None, object_id=None,
           actor_name=None, channel=None, via=None):
    """Add one audit entry to the current transaction (the caller commits). The channel is
    found by `current_channel()` unless given.

    When the session holds no pending change, the entry is written at once by one INSERT: the
    same row a flush would write, without the unit of work's bookkeeping (which cost more than
    the INSERT itself). Otherwise it joins the pending changes and is flushed with
    them, so the order of the rows and the errors a commit raises stay as they were."""
    values = entry(actor, action, obj, before, after, object_type, object_id, actor_name, channel, via)
    session = db.session()
    if session.new or session.dirty or session.deleted:
        session.add(AuditLog(**values))
    else:
        session.execute(_INSERT, values)


def entry(actor, action, obj=None, before=None, after=None, object_type=None, object_id=None,
          actor_name=None, channel=None, via=None):
    """The audit row `record` writes, as a dict of every column but the id (for a caller that
    writes it with others: `bulk.Writes`)."""
    found_channel, found_via = current_channel() if channel is None else (channel, via)
    if found_channel not in CHANNELS:
        raise ValueError(f"unknown audit channel {found_channel!r}")
    return dict(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=actor_name or getattr(actor, "username", None),
        ip=client_ip(),
        action=action,
        object_type=object_type or (obj.__tablename__ if obj is not None else None),
        object_id=str(object_id if object_id is not None else getattr(obj, "id", "") or ""),
        before=clean(before),
        after=clean(after),
        channel=found_channel,
        via=found_via[:VIA_LENGTH] if found_via else None,
    )


_INSERT = AuditLog.__table__.insert()


def diff(before, after):
    """Only the fields that changed, as two dicts."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
