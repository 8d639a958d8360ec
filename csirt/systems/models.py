"""The inventory (information systems, servers) and the four-layer protection records.

A system is archived, never deleted (incidents point to it). A layer's status is never stored:
`compliance.py` derives it from the record's dates; only the monthly snapshot keeps past statuses.
Lists of short values (domains, addresses) are JSON arrays; a firewall baseline is its canonical
text (`ports.py`: "22/tcp, 443/tcp, 161/udp"), which the checks parse.
"""
from ..clock import utcnow
from ..extensions import db

LEVELS = (1, 2, 3, 4, 5)
LAYERS = (1, 2, 3, 4)
SERVER_KINDS = ("physical", "virtual")
# Classification inputs (Decree 85/2016 Art. 7-11, Decree 331/2026): what information the system
# holds and whom it serves. Together with the impact they decide the level.
INFORMATION_KINDS = ("public", "internal", "confidential", "state_secret")
SERVED = ("internal", "public_service", "infrastructure", "national_critical")
ASSESSMENT_KINDS = ("compliance", "effectiveness", "technical")
FINDING_SEVERITIES = ("low", "medium", "high", "critical")

system_server = db.Table(
    "system_server",
    db.Column("system_id", db.Integer, db.ForeignKey("information_system.id", ondelete="CASCADE"),
              primary_key=True),
    db.Column("server_id", db.Integer, db.ForeignKey("server.id", ondelete="CASCADE"),
              primary_key=True, index=True),
)


class InformationSystem(db.Model):
    __tablename__ = "information_system"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False)
    level = db.Column(db.Integer, nullable=False, default=3)
    owner_agency_id = db.Column(db.Integer, db.ForeignKey("agency.id"), nullable=False, index=True)
    operator = db.Column(db.String(200), nullable=False, default="")
    purpose = db.Column(db.Text, nullable=False, default="")
    description = db.Column(db.Text, nullable=False, default="")
    information_kind = db.Column(db.String(20), nullable=False, default="internal")
    served = db.Column(db.String(20), nullable=False, default="internal")
    classification_notes = db.Column(db.Text, nullable=False, default="")
    level_decision = db.Column(db.String(100), nullable=False, default="")
    level_decision_date = db.Column(db.Date)
    level_approver = db.Column(db.String(200), nullable=False, default="")
    domains = db.Column(db.JSON, nullable=False, default=list)
    public_addresses = db.Column(db.JSON, nullable=False, default=list)
    hosting = db.Column(db.String(200), nullable=False, default="")
    archived_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    owner_agency = db.relationship("Agency", lazy="joined")
    servers = db.relationship("Server", secondary=system_server, back_populates="systems",
                              order_by="Server.hostname")
    layers = db.relationship("LayerRecord", back_populates="system", order_by="LayerRecord.id",
                             passive_deletes=True)
    assessments = db.relationship("Assessment", back_populates="system",
                                  order_by="Assessment.performed_on.desc()", passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        db.CheckConstraint("level between 1 and 5", name="level"),
        db.Index("ix_information_system_agency_level", "owner_agency_id", "level", "id"),
    )


class Server(db.Model):
    __tablename__ = "server"

    id = db.Column(db.Integer, primary_key=True)
    hostname = db.Column(db.String(100), nullable=False, unique=True)
    agency_id = db.Column(db.Integer, db.ForeignKey("agency.id"), nullable=False, index=True)
    addresses = db.Column(db.JSON, nullable=False, default=list)
    kind = db.Column(db.String(10), nullable=False, default="virtual")  # physical / virtual
    host_id = db.Column(db.Integer, db.ForeignKey("server.id", ondelete="SET NULL"), index=True)
    operating_system = db.Column(db.String(100), nullable=False, default="")
    role = db.Column(db.String(200), nullable=False, default="")
    data_centre = db.Column(db.String(100), nullable=False, default="")
    rack = db.Column(db.String(50), nullable=False, default="")
    baseline_ports = db.Column(db.Text, nullable=False, default="")  # ports.py canonical text
    antivirus_expected = db.Column(db.String(100), nullable=False, default="")
    agent_expected = db.Column(db.String(100), nullable=False, default="")
    archived_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    agency = db.relationship("Agency", lazy="joined")
    host = db.relationship("Server", remote_side=[id], lazy="select")
    systems = db.relationship("InformationSystem", secondary=system_server, back_populates="servers",
                              order_by="InformationSystem.code")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        db.CheckConstraint("kind in ('physical', 'virtual')", name="kind"),
        db.CheckConstraint("host_id is null or kind = 'virtual'", name="host_of_virtual"),
    )


class LayerRecord(db.Model):
    """One period of one protection layer of a system: who provides it, under which contract or
    decision, from when to when. A layer's current record is its latest `valid_from`; older ones
    are its history."""

    __tablename__ = "layer_record"

    id = db.Column(db.Integer, primary_key=True)
    system_id = db.Column(db.Integer, db.ForeignKey("information_system.id", ondelete="CASCADE"),
                          nullable=False)
    layer = db.Column(db.Integer, nullable=False)
    provider = db.Column(db.String(200), nullable=False)  # the team, unit or company
    reference = db.Column(db.String(200), nullable=False, default="")  # contract / decision number
    valid_from = db.Column(db.Date, nullable=False)
    valid_to = db.Column(db.Date)  # None: open-ended (a standing decision)
    last_verified = db.Column(db.Date)
    next_due = db.Column(db.Date)
    notes = db.Column(db.Text, nullable=False, default="")
    created_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    system = db.relationship("InformationSystem", back_populates="layers")
    created_by = db.relationship("User", lazy="joined")
    evidence = db.relationship("LayerEvidence", back_populates="record", order_by="LayerEvidence.id",
                               passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        db.CheckConstraint("layer between 1 and 4", name="layer"),
        db.CheckConstraint("valid_to is null or valid_to >= valid_from", name="valid_dates"),
        db.Index("ix_layer_record_system_layer", "system_id", "layer", "valid_from"),
    )


class LayerEvidence(db.Model):
    """A file backing a layer record, kept in `csirt/storage.py` like incident evidence."""

    __tablename__ = "layer_evidence"

    id = db.Column(db.Integer, primary_key=True)
    record_id = db.Column(db.Integer, db.ForeignKey("layer_record.id", ondelete="CASCADE"),
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
    record = db.relationship("LayerRecord", back_populates="evidence")


class Assessment(db.Model):
    """A layer-3 inspection of a system: when, by whom, what kind, what it found."""

    __tablename__ = "assessment"

    id = db.Column(db.Integer, primary_key=True)
    system_id = db.Column(db.Integer, db.ForeignKey("information_system.id", ondelete="CASCADE"),
                          nullable=False)
    performed_on = db.Column(db.Date, nullable=False)
    assessor = db.Column(db.String(200), nullable=False)
    kind = db.Column(db.String(20), nullable=False, default="compliance")
    report_reference = db.Column(db.String(200), nullable=False, default="")
    summary = db.Column(db.Text, nullable=False, default="")
    created_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    system = db.relationship("InformationSystem", back_populates="assessments")
    findings = db.relationship("Finding", back_populates="assessment", order_by="Finding.id",
                               passive_deletes=True)

    __table_args__ = (
        db.CheckConstraint("kind in ('compliance', 'effectiveness', 'technical')", name="kind"),
        db.Index("ix_assessment_system_performed", "system_id", "performed_on"),
    )


class Finding(db.Model):
    __tablename__ = "finding"

    id = db.Column(db.Integer, primary_key=True)
    assessment_id = db.Column(db.Integer, db.ForeignKey("assessment.id", ondelete="CASCADE"),
                              nullable=False, index=True)
    title = db.Column(db.String(300), nullable=False)
    severity = db.Column(db.String(10), nullable=False, default="medium")
    remediation_owner = db.Column(db.String(200), nullable=False, default="")
    due_on = db.Column(db.Date)
    closed_on = db.Column(db.Date)

    assessment = db.relationship("Assessment", back_populates="findings")

    __table_args__ = (
        db.CheckConstraint("severity in ('low', 'medium', 'high', 'critical')", name="severity"),
    )


class ComplianceSnapshot(db.Model):
    """The status of each layer of each system at the end of a month, kept so that the trend of
    past months does not change when today's records do. Written by a scheduler job."""

    __tablename__ = "compliance_snapshot"

    month = db.Column(db.Date, primary_key=True)  # the first day of the month
    system_id = db.Column(db.Integer, db.ForeignKey("information_system.id", ondelete="CASCADE"),
                          primary_key=True)
    layer = db.Column(db.Integer, primary_key=True)
    agency_id = db.Column(db.Integer, db.ForeignKey("agency.id"), nullable=False)
    level = db.Column(db.Integer, nullable=False)
    status = db.Column(db.String(10), nullable=False)  # valid / expiring / expired / missing

    __table_args__ = (db.Index("ix_compliance_snapshot_agency_month", "agency_id", "month"),)
