"""The rollups' contents, computed from the records (incident times by pure grouping in Python,
alerts counted per local day by the database with a portable CASE, so SQLite and PostgreSQL give
the same figures), and the job's rewrite of the rollup tables.

The same functions serve the direct path: a reader whose scope is neither every agency nor one
agency (no rollup slice fits) gets the figures computed from their visible records, and the
tests compare both.
"""
import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func

from ...alerts.models import Alert
from ...clock import local_to_utc, utc_to_local, utcnow
from ...extensions import db, on_postgres
from ...incidents.models import Incident
from ..compliance import stored as stored_compliance
from .models import AlertDayRollup, IncidentTimeRollup, RollupState
from .percentiles import summary

logger = logging.getLogger(__name__)
MONTHS = 12  # months of incidents the time figures cover (the current one included)
ALERT_DAYS = 30  # days of alerts the volume figure covers (today included)
INCIDENTS, ALERTS, COMPLIANCE = "incidents", "alerts", "compliance"
AGENCY_TABLE = stored_compliance.AGENCY_TABLE


def month_of(day):
    return date(day.year, day.month, 1)


def months_back(first, count):
    """The first days of `count` months ending with the month of `first`, oldest first."""
    months = [month_of(first)]
    while len(months) < count:
        previous = months[-1] - timedelta(days=1)
        months.append(date(previous.year, previous.month, 1))
    return months[::-1]


def incident_window(now=None):
    """(the months covered, oldest first; their start as naive UTC)."""
    months = months_back(utc_to_local(now or utcnow()).date(), MONTHS)
    return months, local_to_utc(datetime.combine(months[0], time()))


def alert_window(now=None):
    """(the days covered, oldest first; their start as naive UTC)."""
    today = utc_to_local(now or utcnow()).date()
    days = [today - timedelta(days=n) for n in range(ALERT_DAYS - 1, -1, -1)]
    return days, local_to_utc(datetime.combine(days[0], time()))


# --- incidents: times to acknowledge and to resolve ---------------------------------------------

def incident_columns():
    return (Incident.agency_id, Incident.created_at, Incident.category, Incident.status,
            Incident.acknowledged_at, Incident.closed_at)


def incident_statement(start, query=None):
    """The rows the time figures read, from `start` (a query over `incident_columns()` may be
    given already scoped)."""
    query = query if query is not None else db.select(*incident_columns())
    return query.where(Incident.created_at >= start)


class Times:
    """One group's incidents and their times (seconds)."""

    __slots__ = ("incidents", "ack", "resolve")

    def __init__(self):
        self.incidents, self.ack, self.resolve = 0, [], []

    def add(self, created, status, acknowledged, closed):
        self.incidents += 1
        if acknowledged is not None:
            self.ack.append(max(0, int((acknowledged - created).total_seconds())))
        if status == "closed" and closed is not None:
            self.resolve.append(max(0, int((closed - created).total_seconds())))

    def row(self):
        acked, ack_median, ack_p90 = summary(self.ack)
        resolved, resolve_median, resolve_p90 = summary(self.resolve)
        return {"incidents": self.incidents, "acknowledged": acked, "ack_median": ack_median, "ack_p90": ack_p90,
                "resolved": resolved, "resolve_median": resolve_median, "resolve_p90": resolve_p90}


def group_times(rows, per_agency=False):
    """{slice: ({month: Times}, {category: Times})} from rows of `incident_columns()`; the slice
    is None (the rows together) and, with `per_agency`, each agency id."""
    slices = defaultdict(lambda: (defaultdict(Times), defaultdict(Times)))
    for agency_id, created, category, status, acknowledged, closed in rows:
        month = month_of(utc_to_local(created).date())
        keys = (None, agency_id) if per_agency else (None,)
        for key in keys:
            by_month, by_category = slices[key]
            by_month[month].add(created, status, acknowledged, closed)
            by_category[category].add(created, status, acknowledged, closed)
    return slices


# --- alerts: volume per day and source ------------------------------------------------------------

def day_index(days, column):
    """SQL: the index in `days` (consecutive local days) of the local day of `column`, a naive UTC
    time at or after the first day's start: a CASE over the days' starts in UTC, exact in any time
    zone (daylight saving included) and the same on SQLite and PostgreSQL. Times from the last
    day's start on (a sender's clock ahead of ours too) count on the last day."""
    starts = [local_to_utc(datetime.combine(d, time())) for d in days[1:]]
    return case(*[(column < start, n) for n, start in enumerate(starts)], else_=len(days) - 1)


def alert_counts(days, start, scope=lambda query: query):
    """{(local day, source, agency id): alerts} over `days` (from `start`), counted by the
    database (GROUP BY): one row per day, source and agency comes back, not one per alert. `scope`
    narrows the alerts read (a policy filter)."""
    inner = scope(db.select(day_index(days, Alert.received_at).label("day"), Alert.source, Alert.agency_id)
                  .where(Alert.received_at >= start)).subquery()
    query = (db.select(inner.c.day, inner.c.source, inner.c.agency_id, func.count())
             .group_by(inner.c.day, inner.c.source, inner.c.agency_id))
    return {(days[day], source, agency_id): alerts for day, source, agency_id, alerts in db.session.execute(query)}


# --- the job ---------------------------------------------------------------------------------------

# The PostgreSQL advisory lock that lets one run of the job at a time rewrite the rollups (two
# schedulers, or the job and `csirt` CLI, overlapping); any constant no other code locks on.
LOCK_KEY = 7_361_202_604


def compliance_data(board):
    """The compliance summary as plain data (JSON): from `reports/compliance/figures.compute`."""
    overall = board.overall
    return {"systems": overall.systems, "all_valid": overall.all_valid, "share": overall.share,
            "layers": {str(n): counts for n, counts in overall.layers.items()},
            "servers": board.servers["total"],
            "controls": {c: {"expected": f["expected"], "verified": f["verified"]}
                         for c, f in board.servers["controls"].items()}}


agency_state = stored_compliance.agency_state  # the name of an agency's compliance summary


def compliance_states(now):
    """{state name: data}: the compliance summary of every system, of each agency's systems and
    servers (the compliance dashboard's own figures, filtered by agency: what a liaison of it sees),
    and the agencies table of the compliance dashboard (`reports/compliance/stored.py`). Reads only."""
    overall, agencies = stored_compliance.summaries(now=now)
    found = {COMPLIANCE: overall}
    for agency_id, (_name, data) in agencies.items():
        found[agency_state(agency_id)] = data
    found[AGENCY_TABLE] = {"rows": stored_compliance.agency_rows(agencies)}
    return found


def incident_rows(now):
    """The rows of the incident time rollup (every agency together, and each agency). Reads only."""
    _months, start = incident_window(now)
    slices = group_times(db.session.execute(incident_statement(start)), per_agency=True)
    rows = []
    for agency_id, (by_month, by_category) in slices.items():
        rows += [{"agency_id": agency_id, "month": m, "category": None, **t.row()} for m, t in by_month.items()]
        rows += [{"agency_id": agency_id, "month": None, "category": c, **t.row()} for c, t in by_category.items()]
    return rows


def alert_rows(now):
    """The rows of the alert volume rollup over the window. Reads only."""
    days, start = alert_window(now)
    return [{"day": d, "source": s, "agency_id": a, "alerts": n} for (d, s, a), n in alert_counts(days, start).items()]


def _insert(table):
    """The dialect's INSERT, which has `on_conflict_do_update` (SQLite >= 3.35 and PostgreSQL)."""
    if on_postgres():
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _stamp(states, now):
    """Write when each of `states` ({name: data}) was refreshed, and its data: one upsert, so two
    first runs together cannot both insert a name."""
    table = RollupState.__table__
    stmt = _insert(table)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=[table.c.name], set_={"refreshed_at": stmt.excluded.refreshed_at, "data": stmt.excluded.data}),
        [{"name": name, "refreshed_at": now, "data": data} for name, data in states.items()])


def _rewrite(model, rows):
    db.session.execute(model.__table__.delete())
    if rows:
        db.session.execute(model.__table__.insert(), rows)


def refresh(now=None):
    """The scheduler's job: every rollup rewritten in one transaction (readers see the old rows
    until it commits).

    Everything is read and computed first; the writes come last, in one short block before the
    commit: on SQLite the first write takes the database's only write lock, so alert intake
    waits for the writes alone, never for the reads. On PostgreSQL an advisory lock held until
    the commit makes overlapping runs (two schedulers) take turns: each rewrites the tables
    whole, never interleaved with another's DELETE and INSERT."""
    now = now or utcnow()
    if on_postgres():
        db.session.execute(db.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    incidents, alerts, summaries = incident_rows(now), alert_rows(now), compliance_states(now)
    _rewrite(IncidentTimeRollup, incidents)
    _rewrite(AlertDayRollup, alerts)
    _stamp({INCIDENTS: None, ALERTS: None, **summaries}, now)
    db.session.commit()
    logger.info("dashboard rollups: %d incident rows, %d alert rows", len(incidents), len(alerts))
    return len(incidents), len(alerts)


def states():
    """{rollup name: (refreshed_at, data)} of the rollups written so far, the agencies'
    compliance summaries aside (one small read)."""
    return {name: (at, data) for name, at, data in db.session.execute(
        db.select(RollupState.name, RollupState.refreshed_at, RollupState.data)
        .where(RollupState.name.not_like(f"{COMPLIANCE}:%")))}


def stored(name):
    """(refreshed_at, data) of one rollup, or (None, None)."""
    row = db.session.execute(db.select(RollupState.refreshed_at, RollupState.data)
                             .where(RollupState.name == name)).first()
    return (row[0], row[1]) if row is not None else (None, None)
