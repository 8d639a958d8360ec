"""The declarative list of periodic jobs, run by one process at a time under a database lease.

`csirt serve` runs it in-process (the embedded default); production runs `csirt scheduler`
as its own process. Several processes may start it; each gets its own holder id at `start()`
(never at import: forked workers would share it).

- The lease (`scheduler_lease`) is held for `CSIRT_SCHEDULER_LEASE_SECONDS` (30) and renewed by
  a heartbeat every `CSIRT_SCHEDULER_HEARTBEAT_SECONDS` (10) while the holder lives. A standby
  tries to take it at each of its heartbeats, so it takes over within one lease period (plus
  one heartbeat) after the holder dies; a clean shutdown releases it at once.
- When each job last ran is kept in `scheduler_job`, so each job runs once per interval across
  all processes: a run claims its interval by compare-and-set on that row, and only while the
  process holds the lease (both checked in the claiming statement, right before the run). A new
  holder does not run again what the old one has just run.

APScheduler keeps its jobs in memory (never the pickling SQLAlchemyJobStore) and only says when
to look: every job is looked at every heartbeat (or its own interval, if shorter).
"""
import logging
import os
import socket
import uuid
from datetime import timedelta, timezone

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from .audit.services import channel
from .clock import utcnow
from .extensions import db

logger = logging.getLogger(__name__)
LEASE_NAME = "main"
LEASE_SECONDS = 30
HEARTBEAT_SECONDS = 10


class SchedulerLease(db.Model):
    __tablename__ = "scheduler_lease"

    name = db.Column(db.String(50), primary_key=True)
    holder = db.Column(db.String(100), nullable=False)
    expires_at = db.Column(db.DateTime, nullable=False)


class SchedulerJob(db.Model):
    """When a job last ran, for all processes: the start of the interval its last run claimed."""

    __tablename__ = "scheduler_job"

    job_id = db.Column(db.String(50), primary_key=True)
    last_run_at = db.Column(db.DateTime)  # NULL: never ran


def _purge_sessions():
    from .auth.services import purge_expired_sessions

    purge_expired_sessions()


def _compliance_snapshot():
    from .reports.compliance.jobs import run

    run()


def _notify_deliver():
    from .notify.jobs import deliver_job

    deliver_job()  # the outbox's polling fallback; also keeps its woken delivery loop running


def _incident_clocks():
    from .incidents.clock_notices import run

    run()
    db.session.commit()


def _layer_expiry_notices():
    from .systems.expiry_notices import run

    run()
    db.session.commit()


def _summary_digest():
    from .reports.summary.digest import run

    run()
    db.session.commit()


def _escalate():
    from .oncall.escalation import run_due

    run_due()


def _checks_tick():
    from .checks.jobs import tick_job

    tick_job()


def _checks_prune():
    from .checks.jobs import prune_job

    prune_job()


def _dashboard_rollups():
    from .reports.manager.jobs import run

    run()


# (stable id, function, seconds between runs). Later issues add checks, escalations, outbox...
JOBS = [
    ("purge-sessions", _purge_sessions, 3600),
    ("compliance-snapshot", _compliance_snapshot, 6 * 3600),  # reports/compliance/jobs.py
    ("notify-deliver", _notify_deliver, 15),  # notify/jobs.py
    ("escalate", _escalate, 15),  # oncall/escalation.py: due steps of unacknowledged incidents
    ("layer-expiry-notices", _layer_expiry_notices, 6 * 3600),  # systems/expiry_notices.py
    ("incident-clocks", _incident_clocks, 60),  # incidents/clock_notices.py: reports due soon, overdue
    ("checks", _checks_tick, 15),  # checks/runner.py: claim and run the due checks
    ("checks-prune", _checks_prune, 24 * 3600),  # checks/prune.py
    ("summary-digest", _summary_digest, 900),  # reports/summary/digest.py: Monday 07:00 local, once a week
    ("dashboard-rollups", _dashboard_rollups, 600),  # reports/manager/rollup.py: the dashboard's rollups
]
# Jobs every process runs, not only the lease holder: their own claims (FOR UPDATE SKIP LOCKED on
# PostgreSQL) keep them apart, so several schedulers share the load.
UNLEASED = {"checks"}


def make_holder():
    """A holder id for this process, made when it starts its scheduler."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[-100:]


def acquire_lease(holder, seconds=LEASE_SECONDS, name=LEASE_NAME):
    """True if `holder` now holds the lease for `seconds` more (taken, renewed or found expired)."""
    now = utcnow()
    table = SchedulerLease.__table__
    expires = now + timedelta(seconds=seconds)
    result = db.session.execute(
        table.update()
        .where(table.c.name == name, (table.c.holder == holder) | (table.c.expires_at < now))
        .values(holder=holder, expires_at=expires)
    )
    if result.rowcount == 0:
        if db.session.execute(select(table.c.name).where(table.c.name == name)).first() is not None:
            db.session.commit()  # someone else holds it
            return False
        try:
            with db.session.begin_nested():
                db.session.execute(table.insert().values(name=name, holder=holder, expires_at=expires))
        except IntegrityError:  # another process inserted it first
            db.session.commit()
            return False
    db.session.commit()
    return True


def release_lease(holder, name=LEASE_NAME):
    """Give the lease up (clean shutdown), so a standby takes it at its next heartbeat."""
    table = SchedulerLease.__table__
    db.session.execute(table.delete().where(table.c.name == name, table.c.holder == holder))
    db.session.commit()


def claim_run(job_id, seconds, holder, name=LEASE_NAME):
    """Mark `job_id` as run if it is due and `holder` holds the lease; True if this caller may run it.

    Intervals lie on a grid from the job's first run: a claim takes the latest interval that has
    begun, so a process that was down runs the job once when it returns, not once per missed
    interval. The claim is a compare-and-set on `last_run_at` whose statement also checks the
    lease: two processes can never claim the same interval, even if both think they hold it."""
    now = utcnow()
    jobs, lease = SchedulerJob.__table__, SchedulerLease.__table__
    row = db.session.execute(select(jobs.c.last_run_at).where(jobs.c.job_id == job_id)).first()
    previous = row[0] if row is not None else None
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.execute(jobs.insert().values(job_id=job_id, last_run_at=None))
        except IntegrityError:  # another process added it; the compare-and-set below decides
            pass
    if previous is None:
        slot = now
    else:
        interval = timedelta(seconds=seconds)
        due = previous + interval
        if now < due:
            db.session.commit()
            return False
        slot = due + (now - due) // interval * interval
    holds = exists().where(lease.c.name == name, lease.c.holder == holder, lease.c.expires_at > now)
    unchanged = jobs.c.last_run_at.is_(None) if previous is None else jobs.c.last_run_at == previous
    result = db.session.execute(
        jobs.update().where(jobs.c.job_id == job_id, unchanged, holds).values(last_run_at=slot))
    db.session.commit()
    return result.rowcount == 1


class Runner:
    """One process's scheduler: its holder id, its heartbeat and its jobs."""

    def __init__(self, app, jobs=None, lease_seconds=None, heartbeat_seconds=None):
        self.app = app
        self.jobs = list(JOBS if jobs is None else jobs)
        self.lease_seconds = lease_seconds or app.config.get("CSIRT_SCHEDULER_LEASE_SECONDS", LEASE_SECONDS)
        self.heartbeat_seconds = heartbeat_seconds or app.config.get(
            "CSIRT_SCHEDULER_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS)
        if not 0 < self.heartbeat_seconds < self.lease_seconds:
            raise ValueError("CSIRT_SCHEDULER_HEARTBEAT_SECONDS must be at least 1 and shorter than "
                             "CSIRT_SCHEDULER_LEASE_SECONDS")
        self.holder = make_holder()
        self.holding = False
        self._scheduler = None

    def heartbeat(self):
        """Take or renew the lease; True while this process holds it. Never raises."""
        with self.app.app_context():
            try:
                held = acquire_lease(self.holder, self.lease_seconds)
            except Exception:  # e.g. the database is down: then we do not hold it
                db.session.rollback()
                logger.exception("could not renew the scheduler lease")
                held = False
        if held != self.holding:
            logger.info("scheduler %s %s the lease", self.holder, "took" if held else "lost")
        self.holding = held
        return held

    def run_job(self, job_id, func, seconds):
        """Run one job if it is due and this process holds the lease; True if it ran. Never raises."""
        unleased = job_id in UNLEASED
        if not self.holding and not unleased:  # a standby does not even ask (the claim checks the lease again)
            return False
        with self.app.app_context():
            try:
                if not unleased and not claim_run(job_id, seconds, self.holder):
                    return False
                with channel("scheduler", via=job_id):
                    func()
                return True
            except Exception:
                db.session.rollback()
                logger.exception("scheduled job %s failed", job_id)
                return False

    def start(self):
        self.heartbeat()
        scheduler = BackgroundScheduler(
            timezone="UTC",
            # the heartbeat has its own thread, so long jobs never delay the lease's renewal
            executors={"default": ThreadPoolExecutor(10), "lease": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        now = utcnow().replace(tzinfo=timezone.utc)
        scheduler.add_job(self.heartbeat, "interval", seconds=self.heartbeat_seconds, id="lease-heartbeat",
                          executor="lease", next_run_time=now + timedelta(seconds=self.heartbeat_seconds))
        for job_id, func, seconds in self.jobs:
            every = seconds if job_id in UNLEASED else min(seconds, self.heartbeat_seconds)
            scheduler.add_job(self.run_job, "interval", seconds=every, id=job_id,
                              args=(job_id, func, seconds), next_run_time=now)
        scheduler.start()
        self._scheduler = scheduler
        logger.info("scheduler started as %s with %d jobs (%s the lease)", self.holder, len(self.jobs),
                    "holding" if self.holding else "waiting for")
        return self

    def shutdown(self, wait=True):
        """Stop looking for work, let running jobs finish (`wait`), then release the lease."""
        if self._scheduler is not None:
            _stop_checks()  # a scan in flight is killed and recorded interrupted (retried once)
            self._scheduler.shutdown(wait=wait)
            self._scheduler = None
        from .notify.jobs import stop_loop

        stop_loop(self.app)  # its message in flight is finished and marked sent first
        if self.holding:
            with self.app.app_context():
                try:
                    release_lease(self.holder)
                    logger.info("scheduler %s released the lease", self.holder)
                except Exception:
                    db.session.rollback()
                    logger.exception("could not release the scheduler lease")
            self.holding = False


def _stop_checks():
    try:
        from .checks.jobs import stop

        stop()
    except Exception:
        logger.exception("could not stop the running checks")


def start(app, jobs=None):
    """Start this process's scheduler in background threads; returns the Runner, whose
    `shutdown()` the caller calls on exit (SIGTERM included)."""
    return Runner(app, jobs).start()
