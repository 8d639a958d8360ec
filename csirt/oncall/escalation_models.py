"""The escalation of one incident: the playbook's policy copied when the incident opened, and
where it stands (which round and step fire next, and when)."""
from ..clock import utcnow
from ..extensions import db

ACTIVE = "active"
STOP_REASONS = ("acknowledged", "resolved", "closed", "done")


class Escalation(db.Model):
    """One per incident. `steps` is the policy as plain data, copied at the start so a later
    playbook change never alters a running escalation: [{"after": seconds from the round's start,
    "to": [{"kind", "value", "layer"}], "channels": [...]}]. Round r's step i fires at
    started_at + r × (the last step's `after`) + step i's `after`; `repeat` rounds follow the
    first. `next_at` is the next firing (NULL once stopped)."""

    __tablename__ = "escalation"
    __table_args__ = (db.Index("ix_escalation_due", "status", "next_at"),)

    id = db.Column(db.Integer, primary_key=True)
    incident_id = db.Column(db.Integer, db.ForeignKey("incident.id", ondelete="CASCADE"), nullable=False,
                            unique=True)
    playbook_id = db.Column(db.String(64))
    steps = db.Column(db.JSON, nullable=False)
    repeat = db.Column(db.Integer, nullable=False, default=0)
    round = db.Column(db.Integer, nullable=False, default=0)
    step_index = db.Column(db.Integer, nullable=False, default=0)
    fired = db.Column(db.Integer, nullable=False, default=0)
    started_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    next_at = db.Column(db.DateTime)
    status = db.Column(db.String(16), nullable=False, default=ACTIVE)
    stopped_at = db.Column(db.DateTime)
    stop_reason = db.Column(db.String(16))
