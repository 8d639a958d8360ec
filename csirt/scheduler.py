"""The declarative list of periodic jobs, run by one process at a time under a database lease.

`csirt serve` runs it in-process (the embedded default); production runs `csirt scheduler`
as its own process. Several processes may start it: only the lease holder runs the jobs.
APScheduler keeps jobs in memory (never the pickling SQLAlchemyJobStore); the work items
themselves live in the app's tables.
"""
import logging
import os
import socket
import uuid
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import IntegrityError

from .clock import utcnow
from .extensions import db

logger = logging.getLogger(__name__)
LEASE_SECONDS = 90


class SchedulerLease(db.Model):
    __tablename__ = "scheduler_lease"

    name = db.Column(db.String(50), primary_key=True)
    holder = db.Column(db.String(100), nullable=False)
    expires_at = db.Column(db.DateTime, nullable=False)


def _purge_sessions():
    from .auth.services import purge_expired_sessions

    purge_expired_sessions()


# (stable id, function, seconds between runs). Later issues add checks, escalations, outbox...
JOBS = [
    ("purge-sessions", _purge_sessions, 3600),
]

HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire_lease(name="main", holder=HOLDER, seconds=LEASE_SECONDS):
    """True if `holder` now holds the lease (taken, renewed or found expired)."""
    now = utcnow()
    table = SchedulerLease.__table__
    result = db.session.execute(
        table.update()
        .where(table.c.name == name, (table.c.holder == holder) | (table.c.expires_at < now))
        .values(holder=holder, expires_at=now + timedelta(seconds=seconds))
    )
    if result.rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.execute(table.insert().values(name=name, holder=holder,
                                                         expires_at=now + timedelta(seconds=seconds)))
        except IntegrityError:
            db.session.commit()
            return False
    db.session.commit()
    return True


def run_job(app, job_id, func):
    """Run one job inside an app context, only while holding the lease; never raises."""
    with app.app_context():
        try:
            if not acquire_lease():
                return
            func()
        except Exception:
            db.session.rollback()
            logger.exception("scheduled job %s failed", job_id)


def start(app):
    """Start the in-process scheduler; returns it so the caller can shut it down."""
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})
    for job_id, func, seconds in JOBS:
        scheduler.add_job(run_job, "interval", seconds=seconds, id=job_id, args=(app, job_id, func),
                          replace_existing=True, next_run_time=utcnow_aware())
    scheduler.start()
    logger.info("scheduler started as %s with %d jobs", HOLDER, len(JOBS))
    return scheduler


def utcnow_aware():
    from datetime import timezone

    return utcnow().replace(tzinfo=timezone.utc)
