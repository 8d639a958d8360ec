"""Stored alerts and the groups that gather them into one incident (ARCHITECTURE.md flow 2).

An alert row is written once: `dedup_key` (see `intake.dedup_key`) is unique, so the same alert
sent again, or by fifty workers at once, is the same row (insert-or-ignore, never check-then-insert).
An alert group is the state of one playbook's `group`: the incident its alerts go to, when its
last alert came, and which of its alerts are still firing (for `on_resolved: close`).
"""
from ..clock import utcnow
from ..extensions import db
from .canonical import SEVERITIES, STATUSES

FINGERPRINT_MAX = 200


def _in(values):
    return ", ".join(f"'{v}'" for v in values)


class Alert(db.Model):
    __tablename__ = "alert"

    id = db.Column(db.Integer, primary_key=True)
    dedup_key = db.Column(db.String(64), nullable=False)
    fingerprint = db.Column(db.String(FINGERPRINT_MAX), nullable=False, index=True)
    source = db.Column(db.String(64), nullable=False)
    format = db.Column(db.String(16), nullable=False, default="generic")
    severity = db.Column(db.String(10), nullable=False)
    status = db.Column(db.String(10), nullable=False)
    title = db.Column(db.String(300), nullable=False)
    description = db.Column(db.Text, nullable=False, default="")
    host = db.Column(db.String(255), nullable=False, default="")
    labels = db.Column(db.JSON, nullable=False, default=dict)
    occurred_at = db.Column(db.DateTime, nullable=False)
    received_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    raw = db.Column(db.JSON)
    # Scoping (policy.visible): the agency of the incident it went to, else of the host's server.
    agency_id = db.Column(db.Integer, db.ForeignKey("agency.id"))
    server_id = db.Column(db.Integer, db.ForeignKey("server.id", ondelete="SET NULL"))
    incident_id = db.Column(db.Integer, db.ForeignKey("incident.id", ondelete="SET NULL"))
    # The playbook that took it (None: unmatched) and the content hash of its file then.
    playbook_id = db.Column(db.String(64))
    playbook_version = db.Column(db.String(64))
    # The decision in short (executor.summary): playbooks, group key, actions, planned notify and
    # escalate steps (the on-call outbox executes them), and what the executor noted.
    route = db.Column(db.JSON)
    reporter_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False)

    incident = db.relationship("Incident", lazy="select")
    reporter = db.relationship("User", lazy="select")
    agency = db.relationship("Agency", lazy="select")

    __table_args__ = (
        db.UniqueConstraint("dedup_key", name="uq_alert_dedup_key"),
        # The list's filters, each with its keyset order (id, newest first).
        db.Index("ix_alert_received_at_id", "received_at", "id"),
        db.Index("ix_alert_source_id", "source", "id"),
        db.Index("ix_alert_severity_id", "severity", "id"),
        db.Index("ix_alert_status_id", "status", "id"),
        db.Index("ix_alert_incident_id_id", "incident_id", "id"),
        db.Index("ix_alert_agency_id_id", "agency_id", "id"),
        db.CheckConstraint(f"severity in ({_in(SEVERITIES)})", name="severity"),
        db.CheckConstraint(f"status in ({_in(STATUSES)})", name="status"),
    )

    def __repr__(self):
        return f"<Alert {self.id} {self.source} {self.status}>"


class AlertGroup(db.Model):
    """One group of one playbook (`Decision.group_key`). The intake locks this row (SELECT ... FOR
    UPDATE on PostgreSQL; SQLite serialises writers) before it decides to join or open, so two
    alerts of one group arriving at once make one incident."""

    __tablename__ = "alert_group"

    id = db.Column(db.Integer, primary_key=True)
    playbook_id = db.Column(db.String(64), nullable=False)
    group_key = db.Column(db.String(64), nullable=False)
    incident_id = db.Column(db.Integer, db.ForeignKey("incident.id", ondelete="SET NULL"), index=True)
    first_at = db.Column(db.DateTime, nullable=False)
    last_at = db.Column(db.DateTime, nullable=False)
    # Fingerprints of the current incident's alerts still firing: reset when a new incident
    # opens; empty after a resolved alert → `on_resolved: close` closes the incident.
    firing = db.Column(db.JSON, nullable=False, default=list)

    __table_args__ = (db.UniqueConstraint("playbook_id", "group_key", name="uq_alert_group_playbook_key"),)
