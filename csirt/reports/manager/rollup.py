"""The rollups' contents, computed from the records by pure grouping in Python (so SQLite and
PostgreSQL give the same figures), and the job's rewrite of the rollup tables.

The same functions serve the direct path: a reader whose scope is neither every agency nor one
agency (no rollup slice fits) gets the figures computed from their visible records, and the
tests compare both.
"""
import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from ...alerts.models import Alert
from ...clock import local_to_utc, utc_to_local, utcnow
from ...extensions import db
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

def alert_statement(start, query=None):
    query = query if query is not None else db.select(Alert.received_at, Alert.source, Alert.agency_id)
    return query.where(Alert.received_at >= start)


def count_alerts(rows):
    """{(local day, source, agency id): alerts} from rows (received_at, source, agency_id)."""
    counts = defaultdict(int)
    for received, source, agency_id in rows:
        counts[(utc_to_local(received).date(), source, agency_id)] += 1
    return counts


# --- the job ---------------------------------------------------------------------------------------

def _stamp(name, now, data=None):
    state = db.session.get(RollupState, name)
    if state is None:
        db.session.add(RollupState(name=name, refreshed_at=now, data=data))
    else:
        state.refreshed_at, state.data = now, data


def compliance_data(board):
    """The compliance summary as plain data (JSON): from `reports/compliance/figures.compute`."""
    overall = board.overall
    return {"systems": overall.systems, "all_valid": overall.all_valid, "share": overall.share,
            "layers": {str(n): counts for n, counts in overall.layers.items()},
            "servers": board.servers["total"],
            "controls": {c: {"expected": f["expected"], "verified": f["verified"]}
                         for c, f in board.servers["controls"].items()}}


agency_state = stored_compliance.agency_state  # the name of an agency's compliance summary


def refresh_compliance(now=None):
    """Store the compliance summary of every system, and of each agency's systems and servers
    (the compliance dashboard's own figures, filtered by agency: what a liaison of it sees), and
    the agencies table of the compliance dashboard (`reports/compliance/stored.py`)."""
    now = now or utcnow()
    overall, agencies = stored_compliance.summaries(now=now)
    _stamp(COMPLIANCE, now, overall)
    for agency_id, (_name, data) in agencies.items():
        _stamp(agency_state(agency_id), now, data)
    _stamp(AGENCY_TABLE, now, {"rows": stored_compliance.agency_rows(agencies)})


def refresh_incidents(now=None):
    """Rewrite the incident time rollup (every agency together, and each agency); its rows."""
    now = now or utcnow()
    _months, start = incident_window(now)
    slices = group_times(db.session.execute(incident_statement(start)), per_agency=True)
    rows = []
    for agency_id, (by_month, by_category) in slices.items():
        rows += [{"agency_id": agency_id, "month": m, "category": None, **t.row()} for m, t in by_month.items()]
        rows += [{"agency_id": agency_id, "month": None, "category": c, **t.row()} for c, t in by_category.items()]
    db.session.execute(IncidentTimeRollup.__table__.delete())
    if rows:
        db.session.execute(IncidentTimeRollup.__table__.insert(), rows)
    _stamp(INCIDENTS, now)
    return len(rows)


def refresh_alerts(now=None):
    """Rewrite the alert volume rollup over the window; its rows."""
    now = now or utcnow()
    _days, start = alert_window(now)
    counts = count_alerts(db.session.execute(alert_statement(start).execution_options(yield_per=10_000)))
    rows = [{"day": d, "source": s, "agency_id": a, "alerts": n} for (d, s, a), n in counts.items()]
    db.session.execute(AlertDayRollup.__table__.delete())
    if rows:
        db.session.execute(AlertDayRollup.__table__.insert(), rows)
    _stamp(ALERTS, now)
    return len(rows)


def refresh(now=None):
    """The scheduler's job: every rollup rewritten in one transaction (readers see the old rows
    until it commits)."""
    now = now or utcnow()
    incidents, alerts = refresh_incidents(now), refresh_alerts(now)
    refresh_compliance(now)
    db.session.commit()
    logger.info("dashboard rollups: %d incident rows, %d alert rows", incidents, alerts)
    return incidents, alerts


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
