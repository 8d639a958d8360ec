"""The figures of the manager dashboard, one function each. Every figure is scoped by the policy
of its records: live figures put their query through `incidents.policy.visible_incidents`
(open incidents, unacknowledged, overdue clocks) or reuse the compliance figures (systems
policy); the time, per-agency and alert figures read the rollups (`rollup.py`) in the slice
`policy.incident_slice` / `policy.alert_slice` allows, or, when no slice fits, compute the same
figures from the visible records (`alerts.policy.visible`).

Each function returns a `Figure`: a table (the accessible truth; the CSV is the same rows), the
data of its chart, `empty` when its source holds no record at all that the reader may see ("no
data yet", judged by one `LIMIT 1` query), and `none`, the message said instead of the table when
records exist but none fits the figure ("No incident is open.").
Durations are in hours (one decimal) in the tables, charts and CSV; percentiles by nearest rank
(`percentiles.py`).
"""
from collections import defaultdict
from dataclasses import dataclass, field

from ...alerts import policy as alerts_policy
from ...alerts.models import Alert
from ...catalogue import gettext as _
from ...clock import utcnow
from ...extensions import db
from ...incidents import policy as incidents_policy
from ...incidents.lifecycle import OPEN_STATUSES
from ...incidents.models import Incident, IncidentClock
from ...incidents.vocab import CATEGORIES, SEVERITIES
from ...oncall.escalation_models import ACTIVE, Escalation
from ...rules import keys
from ...team.models import Agency
from ..compliance import figures as compliance
from ..compliance import labels as compliance_labels
from . import policy, rollup
from .models import AlertDayRollup, IncidentTimeRollup

LISTED = 20  # incidents and clocks listed per table on the page (the counts count them all)
EXPORTED = 10_000  # rows of those tables in their CSV (a note row says when there were more)
CHART_SERIES = 8  # agencies or sources drawn one by one; the rest are summed as "others"


@dataclass
class Figure:
    key: str
    columns: list
    rows: list = field(default_factory=list)
    chart: dict | None = None
    empty: bool = True
    note: str = ""
    none: str = ""
    extra: dict = field(default_factory=dict)


def hours(seconds):
    return None if seconds is None else round(seconds / 3600, 1)


def _label(vocabulary, key):
    label = vocabulary.get(key)
    return str(label) if label is not None else key


def any_incident(user):
    """Whether `user` sees any incident at all (one row read at most)."""
    return db.session.execute(
        incidents_policy.visible_incidents(user, db.select(Incident.id)).limit(1)).first() is not None


def any_alert(user):
    """Whether `user` sees any alert at all (one row read at most)."""
    return db.session.execute(alerts_policy.visible(user, db.select(Alert.id)).limit(1)).first() is not None


def _exists(found, check, user):
    return found if found is not None else check(user)


def _states(rows, exists, none):
    """The `empty` and `none` of a figure: "no data yet" when it has no rows and its source no record;
    `none` said when records exist but no row fits."""
    empty = not rows and not exists
    return {"empty": empty, "none": none if not rows and not empty else ""}


def _no_incident_in_window():
    return _("No incident in the last %(months)s months.", months=rollup.MONTHS)


def _not_computed(key, columns, exists):
    """The figure of a rollup the job never wrote: "no data yet" when there are no records, else
    that the scheduler has not computed it."""
    note = _("The scheduler has not computed these figures yet.")
    return Figure(key, columns, note=note, **_states([], exists, note))


# --- open incidents by severity and agency ----------------------------------------------------

def open_by_severity(user, any_incidents=None):
    """Per agency (by name), the open incidents of each severity and in all."""
    query = (db.select(Agency.name, Incident.severity, db.func.count())
             .join(Agency, Agency.id == Incident.agency_id)
             .where(Incident.status.in_(OPEN_STATUSES))
             .group_by(Agency.name, Incident.severity))
    counts = defaultdict(lambda: dict.fromkeys(SEVERITIES, 0))
    for agency, severity, count in db.session.execute(incidents_policy.visible_incidents(user, query)):
        counts[agency][severity] = counts[agency].get(severity, 0) + count
    names = sorted(counts)
    rows = [[name, *(counts[name][s] for s in SEVERITIES), sum(counts[name].values())] for name in names]
    if rows:
        rows.append([_("Total"), *(sum(r[1 + i] for r in rows) for i in range(len(SEVERITIES))),
                     sum(r[-1] for r in rows)])
    chart = {"type": "bar", "stacked": True, "horizontal": True, "labels": names,
             "datasets": [{"label": _label(SEVERITIES, s), "data": [counts[n][s] for n in names], "color": s}
                          for s in SEVERITIES]}
    return Figure("open", [_("Agency"), *(_label(SEVERITIES, s) for s in SEVERITIES), _("Total")], rows,
                  chart, **_states(rows, _exists(any_incidents, any_incident, user), _("No incident is open.")))


# --- unacknowledged and escalating -----------------------------------------------------------------

def unacknowledged(user, now=None, limit=LISTED, any_incidents=None):
    """Open incidents nobody acknowledged (how many, how many of them escalating, the `limit`
    oldest listed with their age and escalation steps fired)."""
    now = now or utcnow()
    # how many, and how many escalating, in one statement (an incident has at most one escalation)
    waiting = incidents_policy.visible_incidents(user, db.select(
        db.func.count(Incident.id), db.func.count(Escalation.id)).select_from(Incident).outerjoin(
        Escalation, db.and_(Escalation.incident_id == Incident.id, Escalation.status == ACTIVE))).where(
        Incident.status.in_(OPEN_STATUSES), Incident.acknowledged_at.is_(None))
    total, escalating = db.session.execute(waiting).one()
    listed = incidents_policy.visible_incidents(user, db.select(
        Incident.id, Incident.reference, Incident.title, Incident.severity, Agency.name, Incident.created_at,
        Escalation.status, Escalation.fired)
        .join(Agency, Agency.id == Incident.agency_id)
        .outerjoin(Escalation, Escalation.incident_id == Incident.id)
        .where(Incident.status.in_(OPEN_STATUSES), Incident.acknowledged_at.is_(None))
        .order_by(Incident.created_at, Incident.id).limit(limit))
    rows, ids = [], []
    for id_, ref, title, severity, agency, created, status, fired in db.session.execute(listed):
        ids.append(id_)
        rows.append([ref, title, _label(SEVERITIES, severity), agency, hours(int((now - created).total_seconds())),
                     _("Yes") if status == ACTIVE else _("No"), fired or 0])
    none = ""
    if not total:
        any_open = db.session.execute(incidents_policy.visible_incidents(user, db.select(Incident.id)).where(
            Incident.status.in_(OPEN_STATUSES)).limit(1)).first()
        none = _("Every open incident has been acknowledged.") if any_open else _("No incident is open.")
    return Figure("unacknowledged", [_("Reference"), _("Title"), _("Severity"), _("Agency"), _("Waiting (hours)"),
                                     _("Escalating"), _("Escalation steps fired")], rows, None,
                  **_states(total, _exists(any_incidents, any_incident, user), none),
                  extra={"total": total, "escalating": escalating, "ids": ids})


# --- times to acknowledge and to resolve -----------------------------------------------------------

TIME_COLUMNS = ("incidents", "acknowledged", "ack_median", "ack_p90", "resolved", "resolve_median", "resolve_p90")


def _time_columns(first):
    return [first, _("Incidents"), _("Acknowledged incidents"), _("Time to acknowledge, median (hours)"),
            _("Time to acknowledge, 90th percentile (hours)"), _("Closed incidents"),
            _("Time to resolve, median (hours)"), _("Time to resolve, 90th percentile (hours)")]


def _time_values(row):
    return [row["incidents"], row["acknowledged"], hours(row["ack_median"]), hours(row["ack_p90"]),
            row["resolved"], hours(row["resolve_median"]), hours(row["resolve_p90"])]


def _times(user, states=None):
    """({month: row}, {category: row}, as of) for `user`: from the rollup slice that fits, else
    computed from the visible incidents (as of now). None when the rollup was never written."""
    found = policy.incident_slice(user)
    if found == policy.ALL or len(found) == 1:
        at = (states if states is not None else rollup.states()).get(rollup.INCIDENTS, (None, None))[0]
        if at is None:
            return None
        table = IncidentTimeRollup
        agency = table.agency_id.is_(None) if found == policy.ALL else table.agency_id == found[0]
        months, categories = {}, {}
        for r in db.session.execute(db.select(table).where(agency)).scalars():
            values = {c: getattr(r, c) for c in TIME_COLUMNS}
            if r.month is not None:
                months[r.month] = values
            else:
                categories[r.category] = values
        return months, categories, at
    now = utcnow()
    _months, start = rollup.incident_window(now)
    query = incidents_policy.visible_incidents(user, db.select(*rollup.incident_columns()))
    by_month, by_category = rollup.group_times(db.session.execute(rollup.incident_statement(start, query)))[None]
    return ({m: t.row() for m, t in by_month.items()}, {c: t.row() for c, t in by_category.items()}, now)


def _chart_of_times(labels, rows):
    return {"type": "bar", "labels": labels, "unit": _("hours"), "datasets": [
        {"label": _("Time to acknowledge, median"), "data": [hours(r["ack_median"]) for r in rows], "color": 0},
        {"label": _("Time to acknowledge, 90th percentile"), "data": [hours(r["ack_p90"]) for r in rows],
         "color": 1},
        {"label": _("Time to resolve, median"), "data": [hours(r["resolve_median"]) for r in rows], "color": 2},
        {"label": _("Time to resolve, 90th percentile"), "data": [hours(r["resolve_p90"]) for r in rows],
         "color": 3}]}


def times_by_month(user, month_label=str, times=None, any_incidents=None):
    """Per Hanoi month of creation (the last `rollup.MONTHS`), the times to acknowledge and to
    resolve; months without incidents are listed with none."""
    times = times if times is not None else _times(user)
    columns = _time_columns(_("Month"))
    if times is None:
        return _not_computed("times_month", columns, _exists(any_incidents, any_incident, user))
    months, _categories, at = times
    covered, _start = rollup.incident_window(at)
    blank = dict.fromkeys(TIME_COLUMNS, None) | {"incidents": 0, "acknowledged": 0, "resolved": 0}
    values = [months.get(m, blank) for m in covered]
    labels = [month_label(m) for m in covered]
    rows = [[label, *_time_values(v)] for label, v in zip(labels, values, strict=True)]
    return Figure("times_month", columns, rows, _chart_of_times(labels, values),
                  **_states(months, _exists(any_incidents, any_incident, user), _no_incident_in_window()),
                  extra={"as_of": at, "months": covered})


def times_by_category(user, times=None, any_incidents=None):
    """Per category (in the order of Form 05), over the same months."""
    times = times if times is not None else _times(user)
    columns = _time_columns(_("Category"))
    if times is None:
        return _not_computed("times_category", columns, _exists(any_incidents, any_incident, user))
    _months, categories, at = times
    keys_ = [c for c in CATEGORIES if c in categories] + sorted(c for c in categories if c not in CATEGORIES)
    labels = [_label(CATEGORIES, c) for c in keys_]
    values = [categories[c] for c in keys_]
    rows = [[label, *_time_values(v)] for label, v in zip(labels, values, strict=True)]
    return Figure("times_category", columns, rows, _chart_of_times(labels, values),
                  **_states(rows, _exists(any_incidents, any_incident, user), _no_incident_in_window()),
                  extra={"as_of": at})


# --- incidents per agency per month ---------------------------------------------------------------

def per_agency_month(user, month_label=str, states=None, any_incidents=None):
    """Incidents created per agency and Hanoi month (the last `rollup.MONTHS`)."""
    found = policy.incident_slice(user)
    now = utcnow()
    counts = defaultdict(dict)  # agency id -> {month: incidents}
    if found == policy.ALL or len(found) == 1:
        at = (states if states is not None else rollup.states()).get(rollup.INCIDENTS, (None, None))[0]
        if at is None:
            return _not_computed("per_agency", [_("Agency")], _exists(any_incidents, any_incident, user))
        table = IncidentTimeRollup
        query = db.select(table.agency_id, table.month, table.incidents).where(table.month.is_not(None))
        query = query.where(table.agency_id.is_not(None) if found == policy.ALL else table.agency_id == found[0])
        for agency_id, month, incidents in db.session.execute(query):
            counts[agency_id][month] = incidents
    else:
        at = now
        _months, start = rollup.incident_window(now)
        query = incidents_policy.visible_incidents(user, db.select(*rollup.incident_columns()))
        for agency_id, created, *_rest in db.session.execute(rollup.incident_statement(start, query)):
            month = rollup.month_of(rollup.utc_to_local(created).date())
            counts[agency_id][month] = counts[agency_id].get(month, 0) + 1
    months, _start = rollup.incident_window(at)
    names = dict(db.session.execute(db.select(Agency.id, Agency.name).where(Agency.id.in_(list(counts)))).all()
                 ) if counts else {}
    order = sorted(counts, key=lambda a: names.get(a, ""))
    labels = [month_label(m) for m in months]
    rows = [[names.get(a, a), *(counts[a].get(m, 0) for m in months), sum(counts[a].values())] for a in order]
    if rows:
        rows.append([_("Total"), *(sum(r[1 + i] for r in rows) for i in range(len(months))),
                     sum(r[-1] for r in rows)])
    drawn = sorted(order, key=lambda a: -sum(counts[a].values()))[:CHART_SERIES]
    datasets = [{"label": names.get(a, str(a)), "data": [counts[a].get(m, 0) for m in months], "color": n}
                for n, a in enumerate(drawn)]
    others = [a for a in order if a not in drawn]
    if others:
        datasets.append({"label": _("Other agencies"), "color": "other",
                         "data": [sum(counts[a].get(m, 0) for a in others) for m in months]})
    return Figure("per_agency", [_("Agency"), *labels, _("Total")], rows,
                  {"type": "bar", "stacked": True, "labels": labels, "datasets": datasets},
                  **_states(rows, _exists(any_incidents, any_incident, user), _no_incident_in_window()),
                  extra={"as_of": at})


# --- overdue regulatory clocks --------------------------------------------------------------------

def overdue_clocks(user, now=None, format_time=str, limit=LISTED):
    """Running clocks (not stopped) past their due time, the `limit` most late first."""
    now = now or utcnow()
    base = (db.select(IncidentClock.key, IncidentClock.due_at, Incident.id, Incident.reference, Agency.name)
            .join(Incident, Incident.id == IncidentClock.incident_id).join(Agency, Agency.id == Incident.agency_id)
            .where(IncidentClock.stopped_at.is_(None), IncidentClock.due_at < now))
    scoped = incidents_policy.visible_incidents(user, base)
    overdue = db.select(db.func.count()).select_from(IncidentClock).where(IncidentClock.stopped_at.is_(None),
                                                                          IncidentClock.due_at < now)
    if policy.incident_slice(user) != policy.ALL:  # the incident's agency decides; a reader of all needs no join
        overdue = incidents_policy.visible_incidents(
            user, overdue.join(Incident, Incident.id == IncidentClock.incident_id))
    total = db.session.execute(overdue).scalar()
    rows = [[reference, str(keys.label(key)), agency, format_time(due_at), hours(int((now - due_at).total_seconds()))]
            for key, due_at, _id, reference, agency in db.session.execute(
                scoped.order_by(IncidentClock.due_at, IncidentClock.id).limit(limit))]
    any_clock = db.session.execute(incidents_policy.visible_incidents(
        user, db.select(IncidentClock.id).join(Incident, Incident.id == IncidentClock.incident_id)).limit(1)).first()
    return Figure("clocks", [_("Reference"), _("Duty"), _("Agency"), _("Due"), _("Late by (hours)")], rows, None,
                  **_states(total, any_clock is not None, _("No clock is overdue.")), extra={"total": total})


# --- compliance summary ---------------------------------------------------------------------------

def compliance_summary(user, states=None):
    """The compliance dashboard's own figures (`reports/compliance/figures.compute`), not
    recomputed: per layer the systems in each status, the share with every layer valid, and the
    servers' controls verified by the scheduled checks. Those who see every system, or one
    agency's, read the summary the job stored (`rollup.compliance_states`); the others, or
    everyone before the job first ran, get it computed for them."""
    at, found = None, policy.compliance_slice(user)
    if found == policy.ALL:
        at, data = (states if states is not None else rollup.states()).get(rollup.COMPLIANCE, (None, None))
    elif found is not None and len(found) == 1:
        at, data = rollup.stored(rollup.agency_state(found[0]))
    if at is None:
        data = rollup.compliance_data(compliance.compute(user))
    statuses = [compliance.BY_CODE[c] for c in sorted(compliance.BY_CODE)]
    layers = {int(n): counts for n, counts in data["layers"].items()}
    numbers = sorted(layers)
    rows = [[compliance_labels.layer_label(n), *(layers[n][s] for s in statuses)] for n in numbers]
    chart = {"type": "bar", "stacked": True, "horizontal": True,
             "labels": [_("Layer %(number)s", number=n) for n in numbers],
             "datasets": [{"label": compliance_labels.status_label(s), "color": s,
                           "data": [layers[n][s] for n in numbers]} for s in statuses]}
    controls = [[str(compliance_labels.CONTROLS[c]), data["controls"][c]["expected"], data["controls"][c]["verified"]]
                for c in compliance.CONTROLS]
    extra = {"systems": data["systems"], "share": data["share"], "servers": data["servers"], "controls": controls,
             "control_columns": [_("Control"), _("Servers expected to have it"), _("Verified by the checks (%)")]}
    if at is not None:
        extra["as_of"] = at
    return Figure("compliance", [_("Layer"), *(compliance_labels.status_label(s) for s in statuses)], rows, chart,
                  empty=not data["systems"], extra=extra)


# --- alert volume per source ------------------------------------------------------------------------

def alert_volume(user, day_label=str, states=None):
    """Alerts received per Hanoi day (the last `rollup.ALERT_DAYS`) and source."""
    exists = any_alert(user)
    found = policy.alert_slice(user)
    counts = defaultdict(lambda: defaultdict(int))  # source -> day -> alerts
    if found == policy.ALL or len(found) == 1:
        at = (states if states is not None else rollup.states()).get(rollup.ALERTS, (None, None))[0]
        if at is None:
            return _not_computed("alerts", [_("Day")], exists)
        table = AlertDayRollup
        query = db.select(table.day, table.source, db.func.sum(table.alerts)).group_by(table.day, table.source)
        if found != policy.ALL:
            query = query.where(table.agency_id == found[0])
        for day, source, alerts in db.session.execute(query):
            counts[source][day] += int(alerts)
    else:
        at = utcnow()
        days, start = rollup.alert_window(at)
        for (day, source, _agency), n in rollup.alert_counts(days, start,
                                                             lambda query: alerts_policy.visible(user, query)).items():
            counts[source][day] += n
    days, _start = rollup.alert_window(at)
    sources = sorted(counts, key=lambda s: (-sum(counts[s].values()), s))
    drawn, others = sources[:CHART_SERIES], sources[CHART_SERIES:]
    columns = [_("Day"), *drawn, *([_("Other sources")] if others else []), _("Total")]
    rows = []
    for day in days:
        values = [counts[s].get(day, 0) for s in drawn]
        rest = sum(counts[s].get(day, 0) for s in others)
        rows.append([day_label(day), *values, *([rest] if others else []), sum(values) + rest])
    labels = [day_label(d) for d in days]
    datasets = [{"label": s, "color": n, "data": [counts[s].get(d, 0) for d in days]} for n, s in enumerate(drawn)]
    if others:
        datasets.append({"label": _("Other sources"), "color": "other",
                         "data": [sum(counts[s].get(d, 0) for s in others) for d in days]})
    return Figure("alerts", columns, rows if sources else [],
                  {"type": "bar", "stacked": True, "labels": labels, "datasets": datasets},
                  **_states(sources, exists, _("No alert in the last %(days)s days.", days=rollup.ALERT_DAYS)),
                  extra={"as_of": at, "total": sum(sum(c.values()) for c in counts.values())})


FIGURES = ("open", "unacknowledged", "times_month", "times_category", "per_agency", "clocks", "compliance", "alerts")
