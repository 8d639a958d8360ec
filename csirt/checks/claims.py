"""Claiming due work items, releasing them with their result, and recovering the runs of a
scheduler that died.

- `claim_due`: the due rows (active, `next_run_at` <= now, not claimed), oldest first, at most
  `limit`. On PostgreSQL they are selected `FOR UPDATE SKIP LOCKED` (two schedulers never wait on,
  nor take, one row; several share a large load); on SQLite they are taken by compare-and-set
  UPDATEs (`WHERE id IN (...) AND claimed_until IS NULL ... RETURNING id`: the ids returned are
  ours). A claimed row gets `claimed_by`, `claimed_until` (its mark), `run_started_at` and
  `next_run_at` = now + interval: runs missed during downtime coalesce into one. Committed at
  once.
- `release`: the run's result is stored only while the row still carries this claim's mark
  (holder and `claimed_until`); the claim is cleared in the same statement.
- `recover_interrupted`: a claim whose `claimed_until` passed with no result was left by a killed
  (or stopped) scheduler: an "interrupted" result is stored, the claim cleared, and the run
  retried once at once (`retry` marks the retry; an interrupted retry waits for its interval).
"""
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update

from .. import bulk
from ..extensions import db, on_postgres
from .models import CheckConfig, CheckResult, ServerCheck

logger = logging.getLogger(__name__)
MARGIN_SECONDS = 60  # beyond the timeout: starting, storing, a slow database
INTERRUPTED_REASON = "scheduler_stopped"

_ITEMS = ServerCheck.__table__
_CONFIGS = CheckConfig.__table__


@dataclass
class Claim:
    """What one claim took: the rows' ids (oldest due first) and its mark (holder, until)."""

    holder: str
    started_at: datetime
    until: datetime | None
    ids: list = field(default_factory=list)


def default_lease(candidates):
    """Seconds a claim lasts for `candidates` (rows with timeout_seconds): the longest timeout and
    a margin. The runner passes its own estimate (it knows how many run at once)."""
    return max((row.timeout_seconds for row in candidates), default=0) + MARGIN_SECONDS


def _candidates(where, limit, lock):
    query = (select(_ITEMS.c.id, _ITEMS.c.kind, _ITEMS.c.config_id, _CONFIGS.c.timeout_seconds,
                    _CONFIGS.c.interval_seconds)
             .select_from(_ITEMS.join(_CONFIGS, _CONFIGS.c.id == _ITEMS.c.config_id))
             .where(*where).order_by(_ITEMS.c.next_run_at, _ITEMS.c.id))
    if limit is not None:
        query = query.limit(limit)
    if lock:
        query = query.with_for_update(skip_locked=True, of=_ITEMS)
    return db.session.execute(query).all()


def _take(rows, holder, claim, now, where):
    """Set the claim on the candidate `rows`; the ids taken, in the rows' order. One UPDATE per
    interval (it sets next_run_at; on SQLite per 500 ids too, `bulk.chunks`), not one per row: the same compare-and-set
    (`claimed_until IS NULL` and the claim's conditions, in the statement), so on SQLite only
    the rows still unclaimed are taken; on PostgreSQL the rows are locked by this transaction,
    no one else can take them, and the statement takes them all."""
    by_interval = {}
    for row in rows:
        by_interval.setdefault(row.interval_seconds, []).append(row.id)
    taken = set()
    for interval, ids in by_interval.items():
        values = dict(claimed_by=holder, claimed_until=claim.until, run_started_at=now,
                      next_run_at=now + timedelta(seconds=interval))
        for chunk in bulk.chunks(ids, 500):
            statement = (update(_ITEMS).where(bulk.among(_ITEMS.c.id, chunk), _ITEMS.c.claimed_until.is_(None),
                                              *where)
                         .values(**values).returning(_ITEMS.c.id))
            taken.update(db.session.execute(statement).scalars())
    return [row.id for row in rows if row.id in taken]


def _claim(holder, now, where, limit, lease_seconds_for):
    rows = _candidates(where, limit, lock=on_postgres())
    claim = Claim(holder=holder, started_at=now, until=None)
    if not rows:
        db.session.commit()
        return claim
    claim.until = now + timedelta(seconds=int(lease_seconds_for(rows)))
    claim.ids = _take(rows, holder, claim, now, where)
    db.session.commit()
    return claim


def claim_due(holder, now, limit, lease_seconds_for=default_lease):
    """Claim up to `limit` due work items for `holder` (committed); a Claim."""
    where = (_ITEMS.c.active.is_(True), _ITEMS.c.next_run_at <= now, _ITEMS.c.claimed_until.is_(None))
    return _claim(holder, now, where, limit, lease_seconds_for)


def claim_items(holder, now, ids, lease_seconds_for=default_lease):
    """Claim the active work items `ids` now, due or not ("run now"); those claimed by someone
    else are left out. Committed; a Claim."""
    if not ids:
        return Claim(holder=holder, started_at=now, until=None)
    where = (_ITEMS.c.active.is_(True), _ITEMS.c.id.in_(list(ids)), _ITEMS.c.claimed_until.is_(None))
    return _claim(holder, now, where, None, lease_seconds_for)


def release(claim, item_ids):
    """Clear the claim of `item_ids` that still carry `claim`'s mark (in the caller's transaction,
    which then stores their results); the ids released. A row whose claim ran out and was taken
    over (recovered, claimed again) is not ours any more: its result is dropped."""
    ids = list(item_ids)
    if not ids or claim.until is None:
        return []
    released = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        result = db.session.execute(
            update(_ITEMS).where(_ITEMS.c.id.in_(chunk), _ITEMS.c.claimed_by == claim.holder,
                                 _ITEMS.c.claimed_until == claim.until)
            .values(claimed_by=None, claimed_until=None, run_started_at=None, retry=False)
            .returning(_ITEMS.c.id))
        released.extend(result.scalars())
    return released


def _interrupt(row, now):
    """Record `row`'s run as interrupted and clear its claim by compare-and-set (no commit); True
    if this caller did it (another scheduler recovering the same row at once does nothing)."""
    values = dict(claimed_by=None, claimed_until=None, run_started_at=None, retry=not row.retry)
    if not row.retry:
        values["next_run_at"] = now  # retried once, at once; an interrupted retry keeps its interval
    done = db.session.execute(update(_ITEMS).where(
        _ITEMS.c.id == row.id, _ITEMS.c.claimed_by == row.claimed_by,
        _ITEMS.c.claimed_until == row.claimed_until).values(**values))
    if done.rowcount != 1:
        return False
    db.session.add(CheckResult(
        server_check_id=row.id, server_id=row.server_id, kind=row.kind, status="interrupted", changed=False,
        started_at=row.run_started_at or now, finished_at=now, duration_ms=0,
        details={"reason": INTERRUPTED_REASON, "claimed_by": row.claimed_by, "retried": not row.retry}))
    return True


def _left_behind(where):
    return db.session.execute(
        select(_ITEMS.c.id, _ITEMS.c.server_id, _ITEMS.c.kind, _ITEMS.c.retry, _ITEMS.c.claimed_by,
               _ITEMS.c.claimed_until, _ITEMS.c.run_started_at)
        .where(*where).order_by(_ITEMS.c.id)).all()


def recover_interrupted(now):
    """Mark the runs whose claim ran out as interrupted and schedule their retry; commits. The
    number of rows recovered."""
    rows = _left_behind((_ITEMS.c.claimed_until < now, _ITEMS.c.run_started_at.is_not(None)))
    count = sum(1 for row in rows if _interrupt(row, now))
    db.session.commit()
    if count:
        logger.warning("%d check run(s) left behind by a stopped scheduler marked interrupted", count)
    return count


def interrupt(claim, item_ids, now):
    """Mark `item_ids` of `claim` interrupted now (this scheduler is stopping in the middle of
    their run); commits. The number marked."""
    if claim.until is None or not item_ids:
        return 0
    rows = _left_behind((_ITEMS.c.id.in_(list(item_ids)), _ITEMS.c.claimed_by == claim.holder,
                         _ITEMS.c.claimed_until == claim.until))
    count = sum(1 for row in rows if _interrupt(row, now))
    db.session.commit()
    return count
