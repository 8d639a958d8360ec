"""`record()` is the one way to write the audit log; services call it inside their transaction."""
import datetime
import decimal

from flask import has_request_context, request

from ..extensions import db
from .models import AuditLog

SECRET_FIELDS = {"password", "password_hash", "token", "token_hash", "secret"}


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


def record(actor, action, obj=None, before=None, after=None, object_type=None, object_id=None,
           actor_name=None):
    """Add one audit entry to the current transaction (the caller commits)."""
    entry = AuditLog(
        actor_id=getattr(actor, "id", None),
        actor_name=actor_name or getattr(actor, "username", None),
        ip=client_ip(),
        action=action,
        object_type=object_type or (obj.__tablename__ if obj is not None else None),
        object_id=str(object_id if object_id is not None else getattr(obj, "id", "") or ""),
        before=clean(before),
        after=clean(after),
    )
    db.session.add(entry)
    return entry


def diff(before, after):
    """Only the fields that changed, as two dicts."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
