"""Check configurations, their scheduled work items, results and heartbeats.

- `CheckConfig`: what to check (a kind and its parameters), on which servers (one server, or a
  group: every server, an agency's, or those serving a system of a given security level), how
  often and with which timeout. Saved only after validation (`validation.py`): a bad target or
  port set is refused when saved, never at 3 a.m. when it runs.
- `ServerCheck`: one (configuration, server) pair, the unit the scheduler claims: its next run
  time, its current state and whether an alert is firing for it. `workitems.sync` keeps these rows
  in step with the configurations and the inventory.
- `CheckResult`: every run (status, details, duration, and for the firewall its nmap run).
- `CheckScan`: one nmap run, with its command line as a list, stored once for the results of all
  the servers it scanned (10,000 addresses would otherwise be written 10,000 times).
- `ServerHeartbeat`: the latest heartbeat of each server (agent, antivirus), one row per server.
- `HeartbeatGrant`: which servers a heartbeat token may report for.
"""
from ..clock import utcnow
from ..extensions import db

KINDS = ("firewall", "agent", "antivirus", "tls", "portal")
# What a run found. `warn` passes the control (e.g. a baseline port found closed); `error` means
# the check could not run (nmap missing, a timeout): the control's state is unknown.
STATUSES = ("pass", "warn", "fail", "error", "interrupted")
STATES = ("never",) + STATUSES[:4]  # a work item's current state
PASSING = ("pass", "warn")


class CheckConfig(db.Model):
    __tablename__ = "check_config"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(100), nullable=False)
    kind = db.Column(db.String(16), nullable=False)
    # Which servers: one server, or a group (all servers, narrowed by agency and/or level).
    server_id = db.Column(db.Integer, db.ForeignKey("server.id", ondelete="CASCADE"), index=True)
    agency_id = db.Column(db.Integer, db.ForeignKey("agency.id", ondelete="CASCADE"))
    level = db.Column(db.Integer)  # servers serving a system of this security level
    params = db.Column(db.JSON, nullable=False, default=dict)  # per kind, see validation.py
    interval_seconds = db.Column(db.Integer, nullable=False)
    timeout_seconds = db.Column(db.Integer, nullable=False)
    enabled = db.Column(db.Boolean, nullable=False, default=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    server = db.relationship("Server", lazy="joined")
    agency = db.relationship("Agency", lazy="joined")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        db.CheckConstraint("kind in ('firewall', 'agent', 'antivirus', 'tls', 'portal')", name="kind"),
        db.CheckConstraint("interval_seconds >= 60", name="interval"),
        db.CheckConstraint("timeout_seconds >= 1", name="timeout"),
        db.CheckConstraint("level is null or level between 1 and 5", name="level"),
    )


class ServerCheck(db.Model):
    """One configuration applied to one server: what the scheduler claims and runs.

    Claiming sets `claimed_by` / `claimed_until` (and `next_run_at` to the next interval from now,
    so runs missed during downtime coalesce into one). A claim whose `claimed_until` passed with
    no result was left by a killed scheduler: the run is recorded `interrupted` and retried once
    (`retry` marks the retry)."""

    __tablename__ = "server_check"

    id = db.Column(db.Integer, primary_key=True)
    config_id = db.Column(db.Integer, db.ForeignKey("check_config.id", ondelete="CASCADE"), nullable=False)
    server_id = db.Column(db.Integer, db.ForeignKey("server.id", ondelete="CASCADE"), nullable=False,
                          index=True)
    kind = db.Column(db.String(16), nullable=False)  # the configuration's, copied for the figures
    active = db.Column(db.Boolean, nullable=False, default=True)  # false: no longer applies
    next_run_at = db.Column(db.DateTime, nullable=False)
    claimed_by = db.Column(db.String(100))
    claimed_until = db.Column(db.DateTime)
    run_started_at = db.Column(db.DateTime)  # the claimed run's start (None when not running)
    retry = db.Column(db.Boolean, nullable=False, default=False)  # this run retries an interrupted one
    state = db.Column(db.String(16), nullable=False, default="never")
    state_since = db.Column(db.DateTime)
    last_run_at = db.Column(db.DateTime)
    last_result_id = db.Column(db.Integer)  # check_result.id (no FK: results are pruned)
    alerting = db.Column(db.Boolean, nullable=False, default=False)  # a firing alert was sent

    config = db.relationship("CheckConfig", lazy="joined")
    server = db.relationship("Server", lazy="select")

    __table_args__ = (
        db.UniqueConstraint("config_id", "server_id", name="uq_server_check_config_server"),
        db.Index("ix_server_check_due", "active", "next_run_at"),
        db.Index("ix_server_check_kind", "kind", "server_id"),
    )


class CheckScan(db.Model):
    """One nmap run: its argv (a list) and how many hosts it scanned; its results point to it."""

    __tablename__ = "check_scan"

    id = db.Column(db.Integer, primary_key=True)
    started_at = db.Column(db.DateTime, nullable=False)
    hosts = db.Column(db.Integer, nullable=False, default=0)
    argv = db.Column(db.JSON, nullable=False)


class CheckResult(db.Model):
    __tablename__ = "check_result"

    id = db.Column(db.Integer, primary_key=True)
    server_check_id = db.Column(db.Integer, db.ForeignKey("server_check.id", ondelete="CASCADE"),
                                nullable=False)
    server_id = db.Column(db.Integer, db.ForeignKey("server.id", ondelete="CASCADE"), nullable=False)
    kind = db.Column(db.String(16), nullable=False)
    status = db.Column(db.String(16), nullable=False)
    changed = db.Column(db.Boolean, nullable=False, default=False)  # the state changed with this run
    started_at = db.Column(db.DateTime, nullable=False)
    finished_at = db.Column(db.DateTime, nullable=False)
    duration_ms = db.Column(db.Integer, nullable=False, default=0)
    details = db.Column(db.JSON, nullable=False, default=dict)  # per kind, see kinds.Result
    scan_id = db.Column(db.Integer, db.ForeignKey("check_scan.id", ondelete="SET NULL"), index=True)
    scan = db.relationship(CheckScan, lazy="selectin")  # the nmap run, when there was one

    __table_args__ = (
        db.CheckConstraint("status in ('pass', 'warn', 'fail', 'error', 'interrupted')", name="status"),
        db.Index("ix_check_result_item", "server_check_id", "started_at"),
        db.Index("ix_check_result_server", "server_id", "started_at"),
        db.Index("ix_check_result_prune", "started_at", "changed"),
    )

    @property
    def command(self):
        """The argv list of the nmap run behind this result, or None."""
        return self.scan.argv if self.scan is not None else None


class ServerHeartbeat(db.Model):
    """The latest heartbeat a server sent (one row per server, replaced by each new one)."""

    __tablename__ = "server_heartbeat"

    server_id = db.Column(db.Integer, db.ForeignKey("server.id", ondelete="CASCADE"), primary_key=True)
    received_at = db.Column(db.DateTime, nullable=False)  # the app's clock
    reported_at = db.Column(db.DateTime, nullable=False)  # the server's clock, as sent
    agent_name = db.Column(db.String(100), nullable=False, default="")
    agent_version = db.Column(db.String(50), nullable=False, default="")
    antivirus_product = db.Column(db.String(100), nullable=False, default="")
    antivirus_enabled = db.Column(db.Boolean)  # None: not reported
    signature_date = db.Column(db.Date)  # the antivirus signatures' date, None: not reported
    token_id = db.Column(db.Integer, db.ForeignKey("api_token.id", ondelete="SET NULL"))
    remote_address = db.Column(db.String(45), nullable=False, default="")


class HeartbeatGrant(db.Model):
    """A heartbeat token may report for this server (one token per server is the usual setup)."""

    __tablename__ = "heartbeat_grant"

    token_id = db.Column(db.Integer, db.ForeignKey("api_token.id", ondelete="CASCADE"), primary_key=True)
    server_id = db.Column(db.Integer, db.ForeignKey("server.id", ondelete="CASCADE"), primary_key=True,
                          index=True)
