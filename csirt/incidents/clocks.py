"""Regulatory clocks on every incident (DOMAIN.md §6): which duties of the rules table apply to it,
from when they run and when they are due.

- The regime is the one in force on the province's day of discovery (`rules.lookup`): an incident
  discovered on 18/8/2026 keeps the 2017 duties to the end, one discovered on 19/8/2026 has the
  2026 ones. Each rule's `applies_to` says to which incidents it applies (every one, serious ones,
  those beyond the operator's capacity, those affecting national security: `IncidentFacts`).
- Duties run from discovery, except the closing report, which runs from the end of the response
  (the incident closed); reopening takes that clock back until the next close.
- A clock stops at the first report sent for its duty (`SentReport.duty`) and never changes again.
- `sync(incident)` brings one incident's clocks in line with its facts, in the caller's
  transaction (after an edit, a status change, the report facts, a report recorded). Clocks that a
  playbook started are kept even where the rules would not start them (the playbook asked), until
  the incident is rejected.

`plan` is pure: the clocks an incident should have, given its facts and the rules.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from ..clock import utcnow
from ..extensions import db
from ..rules import keys
from ..rules import lookup as rules
from ..rules.periods import add_period
from .duty_models import SentReport
from .models import IncidentClock

DISCOVERY, END_OF_RESPONSE = "discovery", "end_of_response"
DUTIES = {
    keys.INCIDENT_NOTICE: DISCOVERY,
    keys.INCIDENT_INITIAL_REPORT: DISCOVERY,
    keys.INCIDENT_REPORT: DISCOVERY,
    keys.INCIDENT_SECURITY_IMMEDIATE: DISCOVERY,
    keys.INCIDENT_CLOSING_REPORT: END_OF_RESPONSE,
}
RULES_STARTED = "rules"
DEFAULT_SOON_FRACTION = 0.25  # "due soon" when less than this share of the period is left
HORIZON = timedelta(days=31)  # no incident duty runs longer: a clock due later is not "soon" yet


@dataclass(frozen=True)
class Planned:
    key: str
    started_at: object
    due_at: object
    regime: str


def applies(applies_to, *, severity, beyond_capacity=False, national_security=False):
    """Whether a rule with `applies_to` binds an incident with these facts (unknown: never)."""
    return {"all": True, "serious": severity == "serious", "beyond_capacity": bool(beyond_capacity),
            "national_security": bool(national_security)}.get(applies_to, False)


def plan(ruleset, *, discovered_at, status, severity, closed_at=None, beyond_capacity=False,
         national_security=False, level=None):
    """{key: Planned} the clocks an incident with these facts should run (none once rejected)."""
    if status == "rejected" or discovered_at is None:
        return {}
    out = {}
    for key, runs_from in DUTIES.items():
        rule = ruleset.find(key, discovered_at, level)
        if rule is None or not applies(rule.applies_to, severity=severity, beyond_capacity=beyond_capacity,
                                       national_security=national_security):
            continue
        start = discovered_at if runs_from == DISCOVERY else (closed_at if status == "closed" else None)
        if start is None:
            continue
        out[key] = Planned(key, start, add_period(start, rule.value, rule.unit), rule.regime)
    return out


def level_of(systems):
    """The highest security level among the systems an incident names (None: none known)."""
    return max((s.level for s in systems if getattr(s, "level", None)), default=None)


def ruleset():
    """The incident duties' rules (read at most `rules.CACHE_SECONDS` ago: opening an incident is a hot path)."""
    return rules.cached(DUTIES)


def plan_for(incident, ruleset_=None):
    facts = incident.facts
    return plan(ruleset_ or ruleset(), discovered_at=incident.discovered_at, status=incident.status,
                severity=incident.severity, closed_at=incident.closed_at,
                beyond_capacity=facts is not None and facts.beyond_capacity,
                national_security=facts is not None and facts.national_security,
                level=level_of(incident.systems))


def new_rows(incident_id, planned, skip=()):
    """INSERT rows for the clocks of a new incident (`planned` from `plan`), but the keys in `skip`."""
    return [{"incident_id": incident_id, "key": p.key, "started_at": p.started_at, "due_at": p.due_at,
             "regime": p.regime, "started_by": RULES_STARTED} for p in planned.values() if p.key not in skip]


def _first_reports(incident_id):
    rows = db.session.execute(
        db.select(SentReport.duty, db.func.min(SentReport.sent_at)).where(
            SentReport.incident_id == incident_id, SentReport.duty.is_not(None)).group_by(SentReport.duty)).all()
    return dict(rows)


def sync(incident):
    """Start, move, stop or drop the incident's clocks as its facts now say. The caller commits.
    Returns the keys of the clocks changed. Nothing is flushed here: the incident's own UPDATE
    (and its version check) waits for the caller's commit."""
    with db.session.no_autoflush:
        return _sync(incident)


def _sync(incident):
    wanted = plan_for(incident)
    met = _first_reports(incident.id)
    existing = {c.key: c for c in incident.clocks}
    changed = []
    for key, planned in wanted.items():
        clock = existing.get(key)
        if clock is None:
            clock = IncidentClock(incident_id=incident.id, key=key, started_by=RULES_STARTED)
            incident.clocks.append(clock)
        if clock.stopped_at is None and _apply(clock, planned, met.get(key)):
            changed.append(key)
    for key, clock in existing.items():
        if key in wanted or clock.stopped_at is not None:
            continue
        if clock.started_by == RULES_STARTED or incident.status == "rejected":
            # no longer a duty (severity lowered, reopened); a rejected incident owes no report at all,
            # whoever started the clock
            incident.clocks.remove(clock)
            db.session.delete(clock)
            changed.append(key)
        elif key in met:  # a playbook's clock: met like the others
            clock.stopped_at = met[key]
            changed.append(key)
    return changed


def _apply(clock, planned, met_at):
    before = (clock.started_at, clock.due_at, clock.regime, clock.stopped_at)
    if clock.due_at != planned.due_at:
        clock.warned_at = clock.overdue_warned_at = None  # a new deadline is announced again
    clock.started_at, clock.due_at, clock.regime = planned.started_at, planned.due_at, planned.regime
    if met_at is not None:
        clock.stopped_at = met_at
    return before != (clock.started_at, clock.due_at, clock.regime, clock.stopped_at)


# --- state (pages, lists, notifications) ---------------------------------------------------

RUNNING, SOON, OVERDUE, MET, MET_LATE, NO_DEADLINE = "running", "soon", "overdue", "met", "met_late", "no_deadline"


def soon_fraction():
    try:
        value = float(current_app.config.get("CSIRT_CLOCK_SOON_FRACTION", DEFAULT_SOON_FRACTION))
    except (TypeError, ValueError):
        return DEFAULT_SOON_FRACTION
    return min(max(value, 0.0), 1.0)


def soon_from(clock, fraction):
    """When a running clock becomes "due soon": `fraction` of its period before the deadline (at
    least one hour before; an "immediately" duty is due at once)."""
    if clock.due_at is None:
        return None
    period = clock.due_at - clock.started_at
    return clock.due_at - max(period * fraction, timedelta(hours=1))


def state(clock, now=None, fraction=None):
    """One of RUNNING, SOON, OVERDUE, MET, MET_LATE, NO_DEADLINE."""
    if clock.stopped_at is not None:
        return MET_LATE if clock.due_at is not None and clock.stopped_at > clock.due_at else MET
    if clock.due_at is None:
        return NO_DEADLINE
    now = now or utcnow()
    if now >= clock.due_at:
        return OVERDUE
    return SOON if now >= soon_from(clock, soon_fraction() if fraction is None else fraction) else RUNNING


def start_new(incident, systems=(), given=()):
    """The clocks of an incident just inserted (no facts, no reports yet): one INSERT. `given`: the
    clocks a playbook already started (their keys are skipped)."""
    rows = new_rows(incident.id, plan(ruleset(), discovered_at=incident.discovered_at, status=incident.status,
                                      severity=incident.severity, level=level_of(systems)), skip=set(given))
    if rows:
        db.session.execute(IncidentClock.__table__.insert(), rows)
    return [row["key"] for row in rows]
