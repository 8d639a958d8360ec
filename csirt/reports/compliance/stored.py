"""The compliance figures the scheduler stores (job `dashboard-rollups`, `reports/manager/rollup.py`)
and the dashboard reads back for those who see every system, so that a request reads a few
stored rows instead of every layer record, server and snapshot.

`summaries` computes, in five statements whatever the number of agencies, what `figures.compute`
gives for every system and for each agency filter (the systems by owner agency, the servers and
the snapshots by their agency: the same split as the dashboard's agency filter), and `slice_data`
turns one slice into plain data (JSON). `tally_of`, `controls_of` and `trend_of` read it back.
The tests compare both ways after changes to the records.
"""
from collections import defaultdict
from datetime import date
from types import SimpleNamespace

from sqlalchemy import case, func, literal

from ...checks.coverage import Coverage
from ...clock import utcnow
from ...extensions import db
from ...rules import keys
from ...rules.lookup import load as load_rules
from ...systems import policy
from ...systems.compliance import VALID, month_start
from ...systems.dates import today, window_days
from ...systems.models import LAYERS, ComplianceSnapshot, Server
from ...team.models import Agency
from ..manager.models import RollupState
from . import figures
from .figures import CONTROLS, Dashboard, Filters, Tally, TrendPoint

STATE = "compliance"  # every system's slice
AGENCY_TABLE = f"{STATE}:agencies"  # the agencies table (not an agency's id)


def agency_state(agency_id):
    """The name of an agency's slice."""
    return f"{STATE}:{agency_id}"

# Who the stored figures are computed for: a reader of everything (no one signs in as this).
EVERYONE = SimpleNamespace(id=None, role="manager", agency_id=None, is_active=True)


def tally_data(t):
    return {"systems": t.systems, "all_valid": t.all_valid, "share": t.share,
            "layers": {str(n): counts for n, counts in t.layers.items()}, "counts": t.counts,
            "overdue_assessments": t.overdue_assessments, "open_findings": t.open_findings,
            "late_findings": t.late_findings, "not_independent": t.not_independent}


def tally_of(data, id_=None, name=""):  # noqa: A002
    """A `figures.Tally` from stored data."""
    t = Tally(id_, name)
    t.systems, t.all_valid = data["systems"], data["all_valid"]
    t.counts = [list(c) for c in data["counts"]]
    t.overdue_assessments, t.open_findings = data["overdue_assessments"], data["open_findings"]
    t.late_findings, t.not_independent = data["late_findings"], data["not_independent"]
    return t


def _coverage_data(found):
    return None if found is None else {"expected": found.expected, "verified": found.verified,
                                       "failing": found.failing, "never": found.never, "stale": found.stale,
                                       "counts": found.counts}


def controls_of(data):
    """The dashboard's `servers` figure from stored data."""
    controls = {}
    for c in CONTROLS:
        stored = data["controls"][c]
        cov = stored.get("coverage")
        if cov is not None:
            cov = Coverage(cov["expected"], cov["verified"], *([tuple(r) for r in cov[k]]
                                                               for k in ("failing", "never", "stale")),
                           dict(cov["counts"]))
        controls[c] = {"expected": stored["expected"], "verified": stored["verified"], "coverage": cov}
    return {"total": data["servers"], "controls": controls}


def trend_of(data, day):
    """The trend: the stored past months within the window ending with `day`'s month, and the
    stored day's month as the live point."""
    first, current = figures.first_trend_month(day), month_start(day)
    points = [TrendPoint(date.fromisoformat(m), s, v) for m, s, v in data["trend"]]
    points = [p for p in points if first <= p.month < current]
    points.append(TrendPoint(current, data["systems"], data["all_valid"], live=True))
    return points


def slice_data(tally, servers, covered, trend, day, window, name=""):
    """One slice (every system, or one agency's) as plain data."""
    return {**tally_data(tally), "name": name, "day": day.isoformat(), "window": window,
            "servers": servers["total"],
            "controls": {c: {"expected": servers[c], "verified": figures.verified_share(c, covered),
                             "coverage": _coverage_data(covered.get(c))} for c in CONTROLS},
            "trend": [[m.isoformat(), s, v] for m, s, v in trend]}


def _servers_by_agency():
    def expected(column):
        return func.sum(case((column != "", 1), else_=0))

    query = (db.select(Server.agency_id, func.count(), expected(Server.baseline_ports),
                       expected(Server.antivirus_expected), expected(Server.agent_expected))
             .where(Server.archived_at.is_(None)).group_by(Server.agency_id))
    return {a: {"total": n, "firewall": int(f or 0), "antivirus": int(v or 0), "agent": int(g or 0)}
            for a, n, f, v, g in db.session.execute(query)}


def _trend_by_agency(first, current):
    snap = ComplianceSnapshot
    query = (db.select(snap.agency_id, snap.month, (func.count() / literal(len(LAYERS))).label("systems"),
                       func.count(case((snap.status != VALID, snap.system_id)).distinct()).label("not_valid"))
             .where(snap.month >= first, snap.month < current)
             .group_by(snap.agency_id, snap.month).order_by(snap.month))
    found = defaultdict(list)
    for agency_id, month, systems, not_valid in db.session.execute(query):
        found[agency_id].append((month, int(systems), int(systems) - int(not_valid or 0)))
    return found


def _sum_trend(trends):
    months = defaultdict(lambda: [0, 0])
    for points in trends:
        for month, systems, valid in points:
            months[month][0] += systems
            months[month][1] += valid
    return [(m, s, v) for m, (s, v) in sorted(months.items())]


def summaries(day=None, now=None):
    """(every system's slice, {agency id: (name, its slice)}) as plain data, for every agency
    (those with nothing too)."""
    day, now, window = day or today(), now or utcnow(), window_days()
    intervals = figures._Intervals(load_rules([keys.ASSESSMENT_INTERVAL]).rules)
    rows = figures.system_rows(db.session.execute(figures.systems_statement(EVERYONE, Filters(), day, window)),
                               intervals, day)
    tallies = {}
    for row in rows:
        tally = tallies.get(row.agency_id)
        if tally is None:
            tally = tallies[row.agency_id] = Tally(row.agency_id, row.agency_name)
        tally.add(row)
    servers = _servers_by_agency()
    coverage_rows = defaultdict(list)
    for row in db.session.execute(figures.coverage_statement(EVERYONE, Filters(), with_agency=True)):
        coverage_rows[row.agency_id].append(row)
    trends = _trend_by_agency(figures.first_trend_month(day), month_start(day))
    names = {t.id: t.name for t in tallies.values()}  # the dashboard's order first (by name, in SQL)
    for agency_id, name in db.session.execute(db.select(Agency.id, Agency.name)):
        names.setdefault(agency_id, name)
    none = {"total": 0, **dict.fromkeys(CONTROLS, 0)}
    agencies = {}
    for agency_id, name in names.items():
        tally = tallies.get(agency_id) or Tally(agency_id, name)
        covered = figures.verified_coverage(coverage_rows.get(agency_id, ()), now)
        agencies[agency_id] = (name, slice_data(tally, servers.get(agency_id, none), covered,
                                                trends.get(agency_id, []), day, window, name))
    overall = Tally()
    for tally in tallies.values():
        overall.merge(tally)
    every_server = {k: sum(s[k] for s in servers.values()) for k in none}
    covered = figures.verified_coverage([r for found in coverage_rows.values() for r in found], now)
    return (slice_data(overall, every_server, covered, _sum_trend(trends.values()), day, window), agencies)


def agency_rows(agencies):
    """The agencies table as stored in one row: [[id, name, tally data]] of the agencies with
    systems, in the dashboard's order (by name)."""
    return [[agency_id, name, {k: data[k] for k in TALLY_KEYS}]
            for agency_id, (name, data) in agencies.items() if data["systems"]]


TALLY_KEYS = ("systems", "all_valid", "counts", "overdue_assessments", "open_findings", "late_findings",
              "not_independent")


def board(user, filters):
    """The dashboard from the stored figures when they fit `user` and `filters` (a reader of every
    system; every agency or one, any level: the job stores no slice per level), the matrix's rows
    read live a page at a time (`Dashboard.rows`). None when they do not fit or the job has not
    run yet: the caller computes the figures (`figures.compute`)."""
    if filters.level is not None or not policy.sees_all(user):
        return None
    names = [STATE, AGENCY_TABLE] if filters.agency_id is None else [agency_state(filters.agency_id)]
    found = {name: (at, data) for name, at, data in db.session.execute(
        db.select(RollupState.name, RollupState.refreshed_at, RollupState.data).where(RollupState.name.in_(names)))}
    if len(found) != len(names):
        return None  # the job has not run yet: computed now
    if any(data is None or "trend" not in data for name, (_at, data) in found.items() if name != AGENCY_TABLE):
        return None  # written by a version that stored the summary only, until the job runs again
    as_of, data = found[names[0]]
    if filters.agency_id is None:
        agencies = [tally_of(d, agency_id, name) for agency_id, name, d in found[AGENCY_TABLE][1]["rows"]]
    else:
        agencies = [tally_of(data, filters.agency_id, data["name"])] if data["systems"] else []
    return Dashboard(today(), window_days(), filters, None, agencies, tally_of(data), controls_of(data),
                     trend_of(data, date.fromisoformat(data["day"])), as_of=as_of, user=user)


def dashboard(user, filters=Filters()):
    """The dashboard for `user` today: from the stored figures when they fit, else computed."""
    return board(user, filters) or figures.compute(user, filters)
