"""The append-only audit log."""
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..clock import utcnow
from ..extensions import db


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    actor_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), index=True)
    actor_name = db.Column(db.String(64))
    ip = db.Column(db.String(64))
    action = db.Column(db.String(64), nullable=False, index=True)
    object_type = db.Column(db.String(40), index=True)
    object_id = db.Column(db.String(64))
    before = db.Column(db.JSON)
    after = db.Column(db.JSON)
    # How the change came in (web, api, cli, scheduler, system) and through what: the API
    # token's name and id. Empty on entries written before these columns existed.
    channel = db.Column(db.String(16), index=True)
    via = db.Column(db.String(120))

    __table_args__ = (db.Index("ix_audit_log_object", "object_type", "object_id"),)


class AppendOnlyViolation(Exception):
    """An attempt to change or delete a row of an append-only table."""


def _refuse_change(mapper, connection, target):
    raise AppendOnlyViolation(f"{mapper.local_table.name} rows cannot be changed or deleted")


def _refuse_bulk_change(state, tables):
    """Bulk UPDATE and DELETE statements (`session.execute(update(AuditLog))`, `query.delete()`)
    bypass the mapper events, so they are refused here."""
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if (state.is_update or state.is_delete) and table in tables:
        raise AppendOnlyViolation(f"{table} rows cannot be changed or deleted")


_guarded = set()


def guard_append_only(*models):
    """Make the tables of `models` append-only through the ORM; called by the app factory
    (idempotent, so building several apps in one process is fine)."""
    for model in models:
        if model.__tablename__ in _guarded:
            continue
        event.listen(model, "before_update", _refuse_change)
        event.listen(model, "before_delete", _refuse_change)
        _guarded.add(model.__tablename__)
    if not event.contains(Session, "do_orm_execute", _bulk_listener):
        event.listen(Session, "do_orm_execute", _bulk_listener)


def _bulk_listener(state):
    _refuse_bulk_change(state, _guarded)
