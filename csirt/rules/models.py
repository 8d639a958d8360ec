"""One row per rule value of one regime: a deadline or a frequency, its legal source and the
dates it is in force. `lookup.py` finds the row in force for (key, date, level)."""
from ..clock import utcnow
from ..extensions import db

UNITS = ("hours", "days", "months", "date")  # "date": a day of the year written MM-DD
# To which incidents a duty applies (incident clocks): every one, serious ones, those beyond the
# operator's capacity, those affecting national security or public order (csirt/incidents/clocks.py).
APPLIES_TO = ("all", "serious", "beyond_capacity", "national_security")


class Rule(db.Model):
    __tablename__ = "rule"

    id = db.Column(db.Integer, primary_key=True)
    regime = db.Column(db.String(20), nullable=False)  # "2017", "2026", ...
    key = db.Column(db.String(64), nullable=False)  # e.g. "incident.notice", "assessment.interval"
    level = db.Column(db.Integer)  # None: every level
    value = db.Column(db.String(20), nullable=False)  # a number of `unit`, or MM-DD for "date"
    unit = db.Column(db.String(10), nullable=False)
    legal_reference = db.Column(db.String(300), nullable=False, default="")
    effective_from = db.Column(db.Date, nullable=False)
    effective_to = db.Column(db.Date)  # None: still in force; exclusive
    confirmed = db.Column(db.Boolean, nullable=False, default=True)  # False: from secondary copies
    notes = db.Column(db.Text, nullable=False, default="")
    applies_to = db.Column(db.String(20), nullable=False, default="all", server_default="all")
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        db.CheckConstraint("level is null or level between 1 and 5", name="level"),
        db.CheckConstraint("unit in ('hours', 'days', 'months', 'date')", name="unit"),
        db.CheckConstraint("applies_to in ('all', 'serious', 'beyond_capacity', 'national_security')",
                           name="applies_to"),
        db.CheckConstraint("effective_to is null or effective_to > effective_from", name="dates"),
        db.Index("ix_rule_key_from", "key", "effective_from"),
    )
