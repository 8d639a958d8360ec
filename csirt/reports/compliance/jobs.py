"""The monthly compliance snapshot: each system's four layer statuses on the last day of the
month just ended, stored so that the trend of past months never changes when today's records do.

Idempotent: rows are inserted-or-ignored on the primary key (month, system, layer), so running
it again (the scheduler looks every few hours; `csirt compliance snapshot` by hand) keeps the
first statuses written for a month. Every system counts, whoever runs it (no user scope: the
dashboard scopes the snapshot when it reads it).
"""
import logging
from datetime import datetime, time, timedelta

from sqlalchemy.dialects import postgresql, sqlite

from ...clock import local_to_utc
from ...extensions import db
from ...systems.compliance import month_start
from ...systems.dates import today, window_days
from ...systems.models import LAYERS, ComplianceSnapshot, InformationSystem
from .figures import BY_CODE, current_layers

logger = logging.getLogger(__name__)


def previous_month(day):
    """The first day of the month before the one holding `day`."""
    return month_start(month_start(day) - timedelta(days=1))


def _rows(month):
    """The snapshot rows of `month`: statuses as of its last day, for the systems that existed
    then and were not archived by then."""
    last_day = month_start(month + timedelta(days=31)) - timedelta(days=1)
    end = local_to_utc(datetime.combine(last_day + timedelta(days=1), time()))
    layers = current_layers(last_day, window_days())
    query = (db.select(InformationSystem.id, InformationSystem.owner_agency_id, InformationSystem.level,
                       *(layers.c[f"l{n}"] for n in LAYERS))
             .outerjoin(layers, layers.c.system_id == InformationSystem.id)
             .where(InformationSystem.created_at < end,
                    db.or_(InformationSystem.archived_at.is_(None), InformationSystem.archived_at >= end)))
    rows = []
    for r in db.session.execute(query):
        for n in LAYERS:
            code = r[2 + n]
            rows.append({"month": month, "system_id": r.id, "layer": n, "agency_id": r.owner_agency_id,
                         "level": r.level, "status": BY_CODE[3 if code is None else code]})
    return rows


def _insert_or_ignore(rows):
    table = ComplianceSnapshot.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        module = postgresql if dialect == "postgresql" else sqlite
        db.session.execute(module.insert(table).on_conflict_do_nothing(), rows)
        return
    for row in rows:  # other databases: one guarded insert each
        with db.session.begin_nested():
            exists = db.session.execute(db.select(table.c.month).where(
                table.c.month == row["month"], table.c.system_id == row["system_id"],
                table.c.layer == row["layer"])).first()
            if exists is None:
                db.session.execute(table.insert().values(**row))


def take_snapshot(month=None):
    """Write the snapshot of `month` (a date in it; default: the month just ended) unless it is
    there already; returns (first day of the month, rows added)."""
    month = month_start(month) if month is not None else previous_month(today())
    if month >= month_start(today()):
        raise ValueError("only a month that has ended can be snapshotted")
    count = db.select(db.func.count()).select_from(ComplianceSnapshot).where(ComplianceSnapshot.month == month)
    before = db.session.execute(count).scalar()
    rows = _rows(month)
    if rows:
        _insert_or_ignore(rows)
    db.session.commit()
    added = db.session.execute(count).scalar() - before
    if added:
        logger.info("compliance snapshot of %s: %d rows added", month.isoformat(), added)
    return month, added


def run():
    """The scheduler's entry: the month just ended."""
    take_snapshot()
