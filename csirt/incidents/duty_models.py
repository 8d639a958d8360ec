"""What the national reports need beyond the incident itself, and the reports the team sent.

- `IncidentFacts` (one per incident, made when first asked): the facts the forms ask once and keep
  (beyond the operator's capacity, affecting national security, how it was handled, damage, and the
  other Form 03/04 answers in `answers`). Two of them decide which regulatory clocks run
  (`rule.applies_to`, csirt/incidents/clocks.py); `handled_with` is what Form 05 counts.
- `SentReport`: a report sent to an authority (date, channel, recipient, reference, file); the
  first one for a duty (`duty`, a rule key) stops that duty's clock.
"""
from ..clock import utcnow
from ..extensions import db

HANDLED_WITH = ("in_house", "domestic", "foreign", "coordinator")  # Form 05's four columns
REPORT_KINDS = ("notice", "initial", "preliminary", "update", "closing", "report", "other")
CHANNELS = ("email", "portal", "post", "fax", "phone", "in_person", "other")


class IncidentFacts(db.Model):
    __tablename__ = "incident_facts"

    incident_id = db.Column(db.Integer, db.ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True)
    beyond_capacity = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    national_security = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    handled_with = db.Column(db.String(16))  # None: not said yet
    damage_estimate = db.Column(db.Text, nullable=False, default="", server_default="")
    answers = db.Column(db.JSON)  # {field: text} the other answers of Forms 03 and 04
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    version = db.Column(db.Integer, nullable=False, default=1)

    incident = db.relationship("Incident", backref=db.backref("facts", uselist=False, lazy="select",
                                                              passive_deletes=True))
    updated_by = db.relationship("User", lazy="select")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        db.CheckConstraint("handled_with is null or handled_with in ('in_house', 'domestic', 'foreign', "
                           "'coordinator')", name="handled_with"),
        db.Index("ix_incident_facts_handled_with", "handled_with"),
    )


class SentReport(db.Model):
    __tablename__ = "sent_report"

    id = db.Column(db.Integer, primary_key=True)
    incident_id = db.Column(db.Integer, db.ForeignKey("incident.id", ondelete="CASCADE"), nullable=False)
    duty = db.Column(db.String(64))  # the rule key it meets (None: an update or another report)
    kind = db.Column(db.String(16), nullable=False, default="report")
    sent_at = db.Column(db.DateTime, nullable=False)
    channel = db.Column(db.String(16), nullable=False)
    recipient = db.Column(db.String(200), nullable=False)
    reference = db.Column(db.String(100), nullable=False, default="")
    note = db.Column(db.Text, nullable=False, default="")
    evidence_id = db.Column(db.Integer, db.ForeignKey("evidence.id", ondelete="SET NULL"))  # the file sent
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False)
    recorded_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    evidence = db.relationship("Evidence", lazy="joined")
    recorded_by = db.relationship("User", lazy="joined")
    incident = db.relationship("Incident", backref=db.backref("sent_reports", order_by="SentReport.sent_at",
                                                              lazy="select", passive_deletes=True))

    __table_args__ = (
        db.Index("ix_sent_report_incident_id_sent_at", "incident_id", "sent_at"),
        db.CheckConstraint("kind in ('notice', 'initial', 'preliminary', 'update', 'closing', 'report', 'other')",
                           name="kind"),
        db.CheckConstraint("channel in ('email', 'portal', 'post', 'fax', 'phone', 'in_person', 'other')",
                           name="channel"),
    )
