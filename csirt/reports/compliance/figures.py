"""The compliance figures: per agency and per system, the four layers' statuses, overdue
assessments, open findings, the share of systems with every layer valid, the servers' controls
and the month-by-month trend. Every figure goes through the systems policy filters.

Cost: a constant number of SQL statements whatever the number of systems (held by
tests/reports/test_compliance_statements.py):
  1. the systems, each with the status of its four layers (the current record per system and
     layer picked by a window function, its status by a CASE on its dates), the providers of
     layers 2 and 3, its last assessment and its open findings;
  2. the assessment-interval rules (the rules table is small);
  3. the servers and how many expect each control;
  4. the trend from the monthly snapshots;
  5. the coverage of the servers' controls: each visible server expected to have some control,
     with its active work items of the control kinds (`checks/coverage.py` judges them).
The statuses follow `systems/compliance.py` (the pure core; a test compares both).
"""
import bisect
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, literal

from ...catalogue import gettext as _
from ...checks import coverage
from ...clock import utcnow
from ...extensions import db
from ...ids import as_id
from ...rules import keys
from ...rules.lookup import load as load_rules
from ...rules.lookup import pick
from ...rules.periods import add_period
from ...systems import policy
from ...systems.compliance import (
    EXPIRED,
    EXPIRING,
    MISSING,
    VALID,
    independent,
    month_start,
)
from ...systems.dates import today, window_days
from ...systems.models import (
    LAYERS,
    LEVELS,
    Assessment,
    ComplianceSnapshot,
    Finding,
    InformationSystem,
    LayerRecord,
    Server,
)
from ...team.models import Agency

# The statuses as the SQL computes them (worst last), and back.
CODES = {VALID: 0, EXPIRING: 1, EXPIRED: 2, MISSING: 3}
BY_CODE = {code: status for status, code in CODES.items()}
CONTROLS = ("firewall", "antivirus", "agent")
# The server column saying a control is expected (non-empty) on it; the check kind is the control's name.
EXPECTED = {"firewall": "baseline_ports", "antivirus": "antivirus_expected", "agent": "agent_expected"}
TREND_MONTHS = 12


@dataclass(frozen=True)
class Filters:
    agency_id: int | None = None
    level: int | None = None


def read_filters(args):
    """(Filters, {argument: message}) from the query string."""
    errors = {}
    agency_id = level = None
    text = (args.get("agency") or "").strip()
    if text:
        agency_id = as_id(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None
        if agency_id is None:
            errors["agency"] = _("Choose an agency from the list.")
    text = (args.get("level") or "").strip()
    if text:
        level = int(text) if text.isascii() and text.isdigit() and len(text) == 1 else None
        if level not in LEVELS:
            level = None
            errors["level"] = _("The security level is a number from 1 to 5.")
    return Filters(agency_id, level), errors


# --- the statements ---------------------------------------------------------------------------

def _status_case(valid_to, day, window):
    """A record's status code from its end date, for a record that has started (see
    compliance.status_of)."""
    return case((valid_to.is_(None), CODES[VALID]),
                (valid_to < day, CODES[EXPIRED]),
                (valid_to <= day + timedelta(days=window), CODES[EXPIRING]),
                else_=CODES[VALID])


def current_layers(day, window, system_ids=None):
    """A subquery: per system, the status code of each layer's current record (NULL: missing)
    and the providers of layers 2 and 3. The current record is the latest started (valid_from
    not after `day`), ties broken by id, as in compliance.current."""
    rank = func.row_number().over(partition_by=(LayerRecord.system_id, LayerRecord.layer),
                                  order_by=(LayerRecord.valid_from.desc(), LayerRecord.id.desc()))
    records = db.select(LayerRecord.system_id, LayerRecord.layer, LayerRecord.provider,
                        _status_case(LayerRecord.valid_to, day, window).label("code"),
                        rank.label("rank")).where(LayerRecord.valid_from <= day)
    if system_ids is not None:
        records = records.where(LayerRecord.system_id.in_(system_ids))
    records = records.subquery("records")
    columns = [func.max(case((records.c.layer == n, records.c.code))).label(f"l{n}") for n in LAYERS]
    columns += [func.max(case((records.c.layer == n, records.c.provider))).label(f"p{n}") for n in (2, 3)]
    return (db.select(records.c.system_id, *columns).where(records.c.rank == 1)
            .group_by(records.c.system_id).subquery("layers"))


def _scoped_systems(user, filters):
    query = db.select(InformationSystem.id).where(InformationSystem.archived_at.is_(None))
    if filters.agency_id is not None:
        query = query.where(InformationSystem.owner_agency_id == filters.agency_id)
    if filters.level is not None:
        query = query.where(InformationSystem.level == filters.level)
    return policy.visible_systems(user, query)


def _narrowed(user, filters):
    """Whether the systems `user` sees under `filters` are fewer than all of them. The rows are
    always scoped by the outer query (the policy filter); the per-system subqueries repeat the
    scope only when it narrows, so a reader of everything does not pay for a no-op semi-join."""
    return filters.agency_id is not None or filters.level is not None or not policy.sees_all(user)


def page_of_systems(user, filters, offset, limit):
    """The ids of one page of the visible systems, in the matrix's order."""
    query = (_scoped_systems(user, filters).join(Agency, Agency.id == InformationSystem.owner_agency_id)
             .order_by(Agency.name, InformationSystem.code, InformationSystem.id).offset(offset).limit(limit))
    return db.select(query.cte("page").c.id)


def count_statement(user, filters):
    """How many systems `user` sees under `filters`."""
    return db.select(func.count()).select_from(_scoped_systems(user, filters).subquery())


def systems_statement(user, filters, day, window, page=None):
    """Statement 1: one row per visible system with its layers, assessment and findings; with
    `page` (offset, limit), only the systems of that page."""
    if page is not None:
        scoped = page_of_systems(user, filters, *page)
    else:
        scoped = _scoped_systems(user, filters) if _narrowed(user, filters) else None
    layers = current_layers(day, window, scoped)
    last_assessed = (db.select(Assessment.system_id, func.max(Assessment.performed_on).label("last"))
                     .where(Assessment.performed_on <= day))
    findings = (db.select(Assessment.system_id, func.count().label("open"),
                          func.sum(case((Finding.due_on < day, 1), else_=0)).label("late"))
                .join(Finding, Finding.assessment_id == Assessment.id).where(Finding.closed_on.is_(None)))
    if scoped is not None:
        last_assessed = last_assessed.where(Assessment.system_id.in_(scoped))
        findings = findings.where(Assessment.system_id.in_(scoped))
    last_assessed = last_assessed.group_by(Assessment.system_id).subquery("assessed")
    findings = findings.group_by(Assessment.system_id).subquery("findings")
    query = (db.select(InformationSystem.id, InformationSystem.code, InformationSystem.name,
                       InformationSystem.level, InformationSystem.owner_agency_id,
                       Agency.name.label("agency_name"),
                       *(layers.c[f"l{n}"] for n in LAYERS), layers.c.p2, layers.c.p3,
                       last_assessed.c.last, findings.c.open, findings.c.late)
             .join(Agency, Agency.id == InformationSystem.owner_agency_id)
             .outerjoin(layers, layers.c.system_id == InformationSystem.id)
             .outerjoin(last_assessed, last_assessed.c.system_id == InformationSystem.id)
             .outerjoin(findings, findings.c.system_id == InformationSystem.id)
             .where(InformationSystem.archived_at.is_(None))
             .order_by(Agency.name, InformationSystem.code, InformationSystem.id))
    if page is not None:
        query = query.where(InformationSystem.id.in_(scoped))
    if filters.agency_id is not None:
        query = query.where(InformationSystem.owner_agency_id == filters.agency_id)
    if filters.level is not None:
        query = query.where(InformationSystem.level == filters.level)
    return policy.visible_systems(user, query)


def servers_statement(user, filters):
    """Statement 3: how many visible servers there are and how many expect each control.
    The level filter does not apply (a server may serve systems of several levels)."""
    def expected(column):
        return func.sum(case((column != "", 1), else_=0))

    query = db.select(func.count().label("total"), expected(Server.baseline_ports).label("firewall"),
                      expected(Server.antivirus_expected).label("antivirus"),
                      expected(Server.agent_expected).label("agent")).where(Server.archived_at.is_(None))
    if filters.agency_id is not None:
        query = query.where(Server.agency_id == filters.agency_id)
    return policy.visible_servers(user, query)


def coverage_statement(user, filters, with_agency=False):
    """Statement 5: one row per (visible server expected to have some control, work item of a
    control kind on it), the server alone when it has none: id, hostname, whether it expects each
    control, and the item's kind, state, last run and interval (and the server's agency, for the
    stored summaries)."""
    items = coverage.items_statement(CONTROLS).subquery("items")
    expects = [(getattr(Server, column) != "").label(control) for control, column in EXPECTED.items()]
    extra = (Server.agency_id,) if with_agency else ()
    query = (db.select(Server.id, Server.hostname, *expects, items.c.kind, items.c.state, items.c.last_run_at,
                       items.c.interval_seconds, *extra)
             .outerjoin(items, items.c.server_id == Server.id)
             .where(Server.archived_at.is_(None),
                    db.or_(*(getattr(Server, column) != "" for column in EXPECTED.values()))))
    if filters.agency_id is not None:
        query = query.where(Server.agency_id == filters.agency_id)
    return policy.visible_servers(user, query)


def trend_statement(user, filters, first_month):
    """Statement 4: per month since `first_month`, the systems snapshotted and how many had some
    layer not valid (one pass, no per-system grouping: the job writes exactly one row per layer
    of each system, so rows / 4 is the number of systems). Scoped by the systems policy."""
    snap = ComplianceSnapshot
    query = (db.select(snap.month, (func.count() / literal(len(LAYERS))).label("systems"),
                       func.count(case((snap.status != VALID, snap.system_id)).distinct()).label("not_valid"))
             .where(snap.month >= first_month))
    if not policy.sees_all(user):
        # the visible systems, and (so the agency-month index serves it) their owners' rows only
        query = query.where(
            snap.system_id.in_(policy.visible_systems(user, db.select(InformationSystem.id))),
            snap.agency_id.in_(policy.visible_systems(user, db.select(InformationSystem.owner_agency_id))))
    if filters.agency_id is not None:
        query = query.where(snap.agency_id == filters.agency_id)
    if filters.level is not None:
        query = query.where(snap.level == filters.level)
    return query.group_by(snap.month).order_by(snap.month)


def statements(user, filters, day, window):
    """The SQL the dashboard runs, for the benchmark to run directly (rules excepted: a plain
    read of a table of tens of rows)."""
    return [systems_statement(user, filters, day, window), servers_statement(user, filters),
            trend_statement(user, filters, first_trend_month(day)), coverage_statement(user, filters)]


# --- the figures --------------------------------------------------------------------------------

class SystemRow:
    """One system's line of the matrix. Statuses are kept as their codes (0 valid .. 3 missing):
    thousands of rows are counted per request, and ints are cheap."""

    __slots__ = ("id", "code", "name", "level", "agency_id", "agency_name", "codes", "independent",
                 "last_assessed", "assessment_due", "assessment_overdue", "open_findings", "late_findings")

    def __init__(self, id, code, name, level, agency_id, agency_name, codes, independent,  # noqa: A002
                 last_assessed, assessment_due, assessment_overdue, open_findings, late_findings):
        self.id, self.code, self.name, self.level = id, code, name, level
        self.agency_id, self.agency_name, self.codes = agency_id, agency_name, codes
        self.independent = independent  # None: no current layer-3 or layer-2 record to compare
        self.last_assessed, self.assessment_due = last_assessed, assessment_due
        self.assessment_overdue = assessment_overdue
        self.open_findings, self.late_findings = open_findings, late_findings

    @property
    def statuses(self):
        return tuple(BY_CODE[c] for c in self.codes)

    @property
    def all_valid(self):
        return self.codes == ALL_VALID


ALL_VALID = (0,) * len(LAYERS)


class Tally:
    """The figures of a group of systems (an agency, or all)."""

    def __init__(self, id=None, name=""):  # noqa: A002
        self.id, self.name = id, name
        self.systems = self.all_valid = 0
        self.counts = [[0, 0, 0, 0] for _ in LAYERS]  # per layer, per status code
        self.overdue_assessments = self.open_findings = self.late_findings = self.not_independent = 0

    @property
    def share(self):
        """The share of systems with all four layers valid, 0-100, None with no system."""
        return round(100 * self.all_valid / self.systems, 1) if self.systems else None

    @property
    def layers(self):
        """{layer: {status: count}}."""
        return {n: {BY_CODE[c]: count for c, count in enumerate(self.counts[n - 1])} for n in LAYERS}

    def add(self, row):
        self.systems += 1
        codes, counts = row.codes, self.counts
        if codes == ALL_VALID:
            self.all_valid += 1
        counts[0][codes[0]] += 1
        counts[1][codes[1]] += 1
        counts[2][codes[2]] += 1
        counts[3][codes[3]] += 1
        if row.assessment_overdue:
            self.overdue_assessments += 1
        self.open_findings += row.open_findings
        self.late_findings += row.late_findings
        if row.independent is False:
            self.not_independent += 1

    def merge(self, other):
        self.systems += other.systems
        self.all_valid += other.all_valid
        for mine, theirs in zip(self.counts, other.counts, strict=True):
            for c in range(len(mine)):
                mine[c] += theirs[c]
        self.overdue_assessments += other.overdue_assessments
        self.open_findings += other.open_findings
        self.late_findings += other.late_findings
        self.not_independent += other.not_independent


@dataclass
class TrendPoint:
    month: date
    systems: int
    all_valid: int
    live: bool = False

    @property
    def share(self):
        return round(100 * self.all_valid / self.systems, 1) if self.systems else None


@dataclass
class Dashboard:
    day: date
    window: int
    filters: Filters
    systems: list | None  # every visible system's row; None: read a page at a time (`page`)
    agencies: list
    overall: Tally
    servers: dict
    trend: list
    as_of: datetime | None = None  # the figures were stored then by the scheduler (None: live)
    user: object = None

    def count(self):
        """How many systems the matrix lists (live)."""
        if self.systems is not None:
            return len(self.systems)
        return db.session.execute(count_statement(self.user, self.filters)).scalar()

    def rows(self, offset, limit):
        """The matrix's rows from `offset` (live: read a page at a time when not all read)."""
        if self.systems is not None:
            return self.systems[offset:offset + limit]
        intervals = _Intervals(load_rules([keys.ASSESSMENT_INTERVAL]).rules)
        statement = systems_statement(self.user, self.filters, self.day, self.window, (offset, limit))
        return system_rows(db.session.execute(statement), intervals, self.day)


class _Intervals:
    """The next assessment's due date from the last one and the level, by the rules table:
    the rule of the regime in force on the last assessment's day. Picks are cached per regime
    period and level, so thousands of systems cost a handful of picks."""

    def __init__(self, rules):
        self.rules = [r for r in rules if r.key == keys.ASSESSMENT_INTERVAL]
        self.bounds = sorted({r.effective_from for r in self.rules}
                             | {r.effective_to for r in self.rules if r.effective_to})
        self.cache, self.dues = {}, {}

    def rule(self, day, level):
        slot = (bisect.bisect_right(self.bounds, day), level)
        if slot not in self.cache:
            self.cache[slot] = pick(self.rules, keys.ASSESSMENT_INTERVAL, day, level)
        return self.cache[slot]

    def due(self, last, level, day):
        """(due date or None, overdue?) for a system last assessed on `last` (None: never)."""
        key = (last, level)
        found = self.dues.get(key)
        if found is None:
            found = self.dues[key] = self._due(last, level, day)
        return found

    def _due(self, last, level, day):
        if last is None:  # never assessed: overdue as soon as its level has an interval at all
            return None, self.rule(day, level) is not None
        rule = self.rule(last, level)
        if rule is None:
            return None, False
        due = add_period(last, rule.value, rule.unit)
        return due, due < day


def system_rows(result, intervals, day):
    rows, compared = [], {}
    for (id_, code, name, level, agency_id, agency_name, l1, l2, l3, l4, p2, p3, last, open_, late) in result:
        codes = (3 if l1 is None else l1, 3 if l2 is None else l2, 3 if l3 is None else l3, 3 if l4 is None else l4)
        if p2 is None or p3 is None:
            separate = None
        else:  # providers repeat across systems: compare each pair once
            separate = compared.get((p3, p2))
            if separate is None:
                separate = compared[(p3, p2)] = independent(p3, p2)
        due, overdue = intervals.due(last, level, day)
        rows.append(SystemRow(id_, code, name, level, agency_id, agency_name, codes, separate, last, due, overdue,
                              open_ or 0, int(late or 0)))
    return rows


def first_trend_month(day):
    first = month_start(day)
    for _month in range(TREND_MONTHS - 1):
        first = month_start(first - timedelta(days=1))
    return first


def compute(user, filters=Filters(), day=None):
    """Every figure of the dashboard for `user`, as of `day` (default: today in the province)."""
    day = day or today()
    window = window_days()
    intervals = _Intervals(load_rules([keys.ASSESSMENT_INTERVAL]).rules)
    rows = system_rows(db.session.execute(systems_statement(user, filters, day, window)), intervals, day)
    overall, agencies, tally = Tally(), {}, None
    for row in rows:  # ordered by agency: a new agency starts a new tally
        if tally is None or tally.id != row.agency_id:
            tally = agencies.get(row.agency_id)
            if tally is None:
                tally = agencies[row.agency_id] = Tally(row.agency_id, row.agency_name)
        tally.add(row)
    for tally in agencies.values():
        overall.merge(tally)
    servers = db.session.execute(servers_statement(user, filters)).one()
    covered = verified_coverage(db.session.execute(coverage_statement(user, filters)), utcnow())
    server_figures = {"total": servers.total,
                      "controls": {c: {"expected": int(getattr(servers, c) or 0),
                                       "verified": verified_share(c, covered), "coverage": covered[c]}
                                   for c in CONTROLS}}
    current = month_start(day)
    trend = [TrendPoint(r.month, int(r.systems), int(r.systems) - int(r.not_valid or 0))
             for r in db.session.execute(trend_statement(user, filters, first_trend_month(day)))
             if r.month < current]
    trend.append(TrendPoint(current, overall.systems, overall.all_valid, live=True))
    return Dashboard(day, window, filters, rows, list(agencies.values()), overall, server_figures, trend)


def verified_coverage(rows, now):
    """{control: checks.coverage.Coverage or None} from the rows of `coverage_statement`."""
    servers, items = {}, []
    for row in rows:
        if row.id not in servers:
            servers[row.id] = (row.id, row.hostname, {c: bool(getattr(row, c)) for c in CONTROLS})
        if row.kind is not None:
            items.append((row.id, row.kind, row.state, row.last_run_at, row.interval_seconds))
    found = coverage.tally(list(servers.values()), items, now)
    return {c: found.get(c) for c in CONTROLS}


def verified_share(control, covered):
    """The share (0-100) of the servers expected to have `control` that the scheduled checks
    verified passing within their interval; None ("not checked") when no check of that kind
    applies to any of them, or none expects it."""
    found = covered.get(control)
    return found.share if found is not None else None
