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

    __table_args__ = (db.Index("ix_audit_log_object", "object_type", "object_id"),)


class AuditLogIsAppendOnly(Exception):
    pass


@event.listens_for(AuditLog, "before_update")
@event.listens_for(AuditLog, "before_delete")
def _refuse_change(mapper, connection, target):
    raise AuditLogIsAppendOnly("audit entries cannot be changed or deleted")


# Tables whose rows are never changed or deleted through the ORM; other domains add theirs.
APPEND_ONLY_TABLES = {AuditLog.__tablename__}


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_change(state):
    """Bulk UPDATE and DELETE statements (`session.execute(update(AuditLog))`, `query.delete()`)
    bypass the mapper events above, so they are refused here."""
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if (state.is_update or state.is_delete) and table in APPEND_ONLY_TABLES:
        raise AuditLogIsAppendOnly(f"{table} rows cannot be changed or deleted")
