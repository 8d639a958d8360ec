"""Rollups of the manager dashboard, rewritten by the scheduler (`jobs.py`), so that a request
never reads the whole incident or alert table.

- `IncidentTimeRollup`: over the last `rollup.MONTHS` months (Hanoi months of `created_at`), per
  slice (every agency: `agency_id` NULL; one agency: its id) and per group (a month: `month` set;
  a category: `category` set), the incidents, how many were acknowledged and closed, and the
  median and 90th percentile of the times to acknowledge and to resolve, in seconds
  (`percentiles.nearest_rank`).
- `AlertDayRollup`: alerts per local day, source and agency (NULL: no agency) over the last
  `rollup.ALERT_DAYS` days.
- `RollupState`: when each rollup was last rewritten (the page says "as of"); for the compliance
  figures (`reports/compliance/stored.py`), the figures themselves (`data`, JSON): of every system
  (`compliance`), of each agency (`compliance:<id>`) and the compliance dashboard's agencies table
  (`compliance:agencies`).
"""
from ...extensions import db


class IncidentTimeRollup(db.Model):
    __tablename__ = "incident_time_rollup"

    id = db.Column(db.Integer, primary_key=True)
    agency_id = db.Column(db.Integer, db.ForeignKey("agency.id", ondelete="CASCADE"))  # NULL: every agency
    month = db.Column(db.Date)  # a month's row (category NULL)
    category = db.Column(db.String(32))  # a category's row over the whole window (month NULL)
    incidents = db.Column(db.Integer, nullable=False, default=0)
    acknowledged = db.Column(db.Integer, nullable=False, default=0)
    ack_median = db.Column(db.Integer)  # seconds; NULL when none was acknowledged
    ack_p90 = db.Column(db.Integer)
    resolved = db.Column(db.Integer, nullable=False, default=0)
    resolve_median = db.Column(db.Integer)
    resolve_p90 = db.Column(db.Integer)

    __table_args__ = (db.Index("ix_incident_time_rollup_agency", "agency_id", "month"),)


class AlertDayRollup(db.Model):
    __tablename__ = "alert_day_rollup"

    id = db.Column(db.Integer, primary_key=True)
    day = db.Column(db.Date, nullable=False)
    source = db.Column(db.String(64), nullable=False)
    agency_id = db.Column(db.Integer, db.ForeignKey("agency.id", ondelete="CASCADE"))  # NULL: no agency
    alerts = db.Column(db.Integer, nullable=False)

    __table_args__ = (db.Index("ix_alert_day_rollup_agency_day", "agency_id", "day"),)


class RollupState(db.Model):
    __tablename__ = "dashboard_rollup_state"

    name = db.Column(db.String(32), primary_key=True)
    refreshed_at = db.Column(db.DateTime, nullable=False)
    data = db.Column(db.JSON)
