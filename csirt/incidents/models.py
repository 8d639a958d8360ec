"""Incidents and what hangs off them: timeline entries, tasks, evidence."""
from sqlalchemy import DDL, event

from ..clock import utcnow
from ..extensions import db


class ReferenceCounter(db.Model):
    """Last number handed out per (prefix, year); incremented atomically."""

    __tablename__ = "reference_counter"

    prefix = db.Column(db.String(10), primary_key=True)
    year = db.Column(db.Integer, primary_key=True)
    last = db.Column(db.Integer, nullable=False, default=0)


# What an incident affected: links to the inventory. The two free-text fields of the incident keep
# only what could not be matched to a record (names typed before the inventory knew them).
incident_system = db.Table(
    "incident_system",
    db.Column("incident_id", db.Integer, db.ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True),
    db.Column("system_id", db.Integer, db.ForeignKey("information_system.id"), primary_key=True, index=True),
)
incident_server = db.Table(
    "incident_server",
    db.Column("incident_id", db.Integer, db.ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True),
    db.Column("server_id", db.Integer, db.ForeignKey("server.id"), primary_key=True, index=True),
)


class Incident(db.Model):
    __tablename__ = "incident"

    id = db.Column(db.Integer, primary_key=True)
    reference = db.Column(db.String(32), nullable=False, unique=True)
    title = db.Column(db.String(300), nullable=False)
    description = db.Column(db.Text, nullable=False, default="")
    category = db.Column(db.String(32), nullable=False, index=True)
    sub_type = db.Column(db.String(32), nullable=False, default="")
    severity = db.Column(db.String(16), nullable=False, default="ordinary", index=True)
    priority = db.Column(db.String(2), nullable=False, default="P3")
    tlp = db.Column(db.String(16), nullable=False, default="AMBER")
    status = db.Column(db.String(16), nullable=False, default="new")
    source = db.Column(db.String(16), nullable=False, default="manual")
    agency_id = db.Column(db.Integer, db.ForeignKey("agency.id"), nullable=False)
    affected_systems = db.Column(db.Text, nullable=False, default="")
    affected_servers = db.Column(db.Text, nullable=False, default="")
    discovered_at = db.Column(db.DateTime, nullable=False)
    reported_at = db.Column(db.DateTime, nullable=False)
    reporter_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False)
    assignee_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    closed_at = db.Column(db.DateTime)
    resolution = db.Column(db.Text, nullable=False, default="")
    reject_reason = db.Column(db.String(32))
    # The playbook that opened it (alerts), and the content hash of that playbook's file then.
    # the first acknowledgement (page, API or a notification's link): it stops the escalation;
    # acknowledged_at - created_at is the time to acknowledge the manager views read
    acknowledged_at = db.Column(db.DateTime)
    acknowledged_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    playbook_id = db.Column(db.String(64), index=True)
    playbook_version = db.Column(db.String(64))
    version = db.Column(db.Integer, nullable=False, default=1)

    agency = db.relationship("Agency", lazy="joined")
    reporter = db.relationship("User", foreign_keys=[reporter_id], lazy="joined")
    assignee = db.relationship("User", foreign_keys=[assignee_id], lazy="joined")
    acknowledged_by = db.relationship("User", foreign_keys=[acknowledged_by_id], lazy="select")
    timeline = db.relationship("TimelineEntry", back_populates="incident", order_by="TimelineEntry.id",
                               lazy="dynamic", passive_deletes=True)
    tasks = db.relationship("Task", back_populates="incident", order_by="Task.id",
                            passive_deletes=True)
    evidence = db.relationship("Evidence", back_populates="incident", order_by="Evidence.id",
                               passive_deletes=True)
    systems = db.relationship("InformationSystem", secondary=incident_system, order_by="InformationSystem.code",
                              lazy="select", passive_deletes=True)
    servers = db.relationship("Server", secondary=incident_server, order_by="Server.hostname",
                              lazy="select", passive_deletes=True)
    clocks = db.relationship("IncidentClock", order_by="IncidentClock.id", lazy="select",
                             passive_deletes=True)

    # Optimistic locking: an UPDATE that finds another version raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # Composite indexes serve the list's filters with its default keyset order (id).
        db.Index("ix_incident_status_id", "status", "id"),
        db.Index("ix_incident_agency_id_id", "agency_id", "id"),
        db.Index("ix_incident_updated_at_id", "updated_at", "id"),
        db.Index("ix_incident_discovered_at_id", "discovered_at", "id"),
        db.Index("ix_incident_priority_id", "priority", "id"),
        # PostgreSQL: trigram indexes serve the list's substring search (ILIKE '%...%')
        *(db.Index(f"ix_incident_{col}_trgm", col, postgresql_using="gin",
                   postgresql_ops={col: "gin_trgm_ops"}).ddl_if(dialect="postgresql")
          for col in ("reference", "title", "description")),
        db.CheckConstraint("severity in ('ordinary', 'serious')", name="severity"),
        db.CheckConstraint("priority in ('P1', 'P2', 'P3', 'P4')", name="priority"),
        db.CheckConstraint(
            "status in ('new', 'triaged', 'contained', 'eradicated', 'recovered', 'closed', 'rejected')",
            name="status",
        ),
    )

    def __repr__(self):
        return f"<Incident {self.reference}>"


# pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
event.listen(Incident.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))


class TimelineEntry(db.Model):
    """Append-only record of what happened to an incident, in order (guarded by the factory)."""

    __tablename__ = "timeline_entry"

    id = db.Column(db.Integer, primary_key=True)
    incident_id = db.Column(db.Integer, db.ForeignKey("incident.id", ondelete="CASCADE"),
                            nullable=False)
    at = db.Column(db.DateTime, nullable=False, default=utcnow)
    author_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    kind = db.Column(db.String(16), nullable=False)
    body = db.Column(db.Text, nullable=False, default="")
    data = db.Column(db.JSON)

    author = db.relationship("User", lazy="joined")
    incident = db.relationship("Incident", back_populates="timeline")
    __table_args__ = (db.Index("ix_timeline_entry_incident_id_id", "incident_id", "id"),)


class Task(db.Model):
    __tablename__ = "incident_task"

    id = db.Column(db.Integer, primary_key=True)
    incident_id = db.Column(db.Integer, db.ForeignKey("incident.id", ondelete="CASCADE"),
                            nullable=False, index=True)
    title = db.Column(db.String(300), nullable=False)
    owner_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    due_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    created_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    done_at = db.Column(db.DateTime)
    done_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    # A step of a playbook's checklist: its key in the playbook, what to do (Markdown), the role
    # expected to do it, and whether the incident may close while it is open.
    step_key = db.Column(db.String(64))
    detail = db.Column(db.Text, nullable=False, default="")
    owner_role = db.Column(db.String(20))
    required = db.Column(db.Boolean, nullable=False, default=False)

    owner = db.relationship("User", foreign_keys=[owner_id], lazy="joined")
    done_by = db.relationship("User", foreign_keys=[done_by_id], lazy="joined")
    incident = db.relationship("Incident", back_populates="tasks")


class Evidence(db.Model):
    __tablename__ = "evidence"

    id = db.Column(db.Integer, primary_key=True)
    incident_id = db.Column(db.Integer, db.ForeignKey("incident.id", ondelete="CASCADE"),
                            nullable=False, index=True)
    original_name = db.Column(db.String(255), nullable=False)
    stored_name = db.Column(db.String(64), nullable=False, unique=True)
    content_type = db.Column(db.String(100), nullable=False, default="application/octet-stream")
    size = db.Column(db.BigInteger, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    description = db.Column(db.String(500), nullable=False, default="")
    added_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False)
    added_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    added_by = db.relationship("User", lazy="joined")
    incident = db.relationship("Incident", back_populates="evidence")


class IncidentClock(db.Model):
    """A regulatory clock running on an incident: a duty of the rules table (`key`) started at
    `started_at`, due at `due_at` (None when the regime in force has no period for it); stopped
    when the duty is met (the report was sent)."""

    __tablename__ = "incident_clock"

    id = db.Column(db.Integer, primary_key=True)
    incident_id = db.Column(db.Integer, db.ForeignKey("incident.id", ondelete="CASCADE"), nullable=False)
    key = db.Column(db.String(64), nullable=False)
    started_at = db.Column(db.DateTime, nullable=False)
    due_at = db.Column(db.DateTime, index=True)
    stopped_at = db.Column(db.DateTime)
    started_by = db.Column(db.String(64), nullable=False, default="")  # e.g. "playbook:web-defacement"
    regime = db.Column(db.String(20), nullable=False, default="", server_default="")  # of the rule applied
    warned_at = db.Column(db.DateTime)  # "due soon" sent to the outbox (once)
    overdue_warned_at = db.Column(db.DateTime)  # "overdue" sent to the outbox (once)

    __table_args__ = (db.UniqueConstraint("incident_id", "key", name="uq_incident_clock_incident_key"),
                      db.Index("ix_incident_clock_open_due", "stopped_at", "due_at"))
