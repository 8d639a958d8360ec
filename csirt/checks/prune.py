"""Pruning old check results: those older than CSIRT_CHECK_RETENTION_DAYS go, except the runs
that changed a work item's state (the history of each control) and each item's latest result,
then the nmap runs (`CheckScan`) no remaining result points to.
Deleted in batches, each committed, so a large backlog never holds one long transaction."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from ..clock import utcnow
from ..extensions import db
from .models import CheckResult, CheckScan, ServerCheck

BATCH = 1000


def prune(now=None, days=None, batch=BATCH):
    """Delete the old results; the number deleted."""
    now = now or utcnow()
    days = int(days if days is not None else current_app.config.get("CSIRT_CHECK_RETENTION_DAYS", 90))
    cutoff = now - timedelta(days=days)
    latest = select(ServerCheck.last_result_id).where(ServerCheck.last_result_id.is_not(None))
    total = 0
    while True:
        ids = db.session.execute(
            select(CheckResult.id).where(CheckResult.started_at < cutoff, CheckResult.changed.is_(False),
                                         CheckResult.id.not_in(latest))
            .order_by(CheckResult.id).limit(batch)).scalars().all()
        if not ids:
            _prune_scans(cutoff)
            db.session.commit()
            return total
        db.session.execute(delete(CheckResult).where(CheckResult.id.in_(ids)))
        db.session.commit()
        total += len(ids)


def _prune_scans(cutoff):
    """The old nmap runs no result points to any more (a kept result keeps its run)."""
    used = select(CheckResult.scan_id).where(CheckResult.scan_id.is_not(None))
    db.session.execute(delete(CheckScan).where(CheckScan.started_at < cutoff, CheckScan.id.not_in(used)))
