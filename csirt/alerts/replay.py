"""Replay: the stored alerts through a set of playbooks, and how the incidents would differ.

`csirt playbooks replay --since 30d [--playbooks PATH]` is how a team changes a playbook without
fear: before deploying, it sees which alerts would go to another playbook, which incidents would
merge or split, how many more or fewer incidents there would be, and who would get them.

`compare(rows, playbook_set, contexts)` is pure: no database, no clock. It takes the stored alerts
in time order (`StoredAlert`, or any object with the same attributes), routes each one
(routing.route) and SIMULATES the executor's grouping in memory (executor.py, same rules):

- a firing alert of a grouped playbook joins its group's simulated incident when that incident is
  open and the group's last alert is at most `window` older (exactly `window` joins); else it
  opens a new simulated incident, which the group then points at;
- a resolved alert never opens one: it goes to its group's incident (without a group: to the
  incident of the latest firing alert with the same source and fingerprint), and with
  `on_resolved: close` that incident closes when no alert of the group is still firing;
- every simulated incident is open unless a resolution closed it that way (people close
  incidents too, but replay cannot guess when; the stored history is never read for that).

It compares with what happened (each alert's stored `incident_id` and `playbook_id`). The
simulation starts empty at `--since`: an alert that joined an incident opened earlier opens one in
the simulation; both sides then count one incident for it, so the counts stay comparable.

Assignments are compared by the first candidate of the playbook's `assign` (person, role or
rotation), not by the person the candidate found that day: the stored decision's `assign` when
the executor recorded it, else the first candidate of the playbook of that id in `before` (the set
in force when a PATH is replayed).
"""
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from . import routing
from .canonical import Alert, Context

EMPTY = Context()
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class StoredAlert:
    """What replay reads of one stored alert (the columns of `models.Alert` it needs)."""

    id: int
    source: str
    severity: str
    status: str
    title: str
    occurred_at: datetime
    fingerprint: str
    description: str = ""
    host: str = ""
    labels: dict = field(default_factory=dict)
    format: str = "generic"
    incident_id: int | None = None
    playbook_id: str | None = None
    route: dict | None = None


@dataclass(frozen=True)
class Difference:
    """One difference, at the alert where it shows first. `kind`: playbook (another playbook, or
    none), merge (the alert's simulated incident already holds alerts of another stored
    incident), split (its stored incident's alerts already went to another simulated incident),
    assignment (the incident it would open goes to another first candidate). `before` / `after`
    are short texts: playbook ids, incident ids ("#12"; "new 3" for a simulated one), candidates."""

    kind: str
    alert_id: int
    occurred_at: datetime
    before: str
    after: str


@dataclass
class Report:
    alerts: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    incidents_before: int = 0       # distinct stored incidents the alerts went to
    incidents_after: int = 0        # simulated incidents the alerts would go to
    opened_before: int = 0          # alerts whose stored outcome was "opened"
    opened_after: int = 0           # alerts that would open an incident
    playbook_changed: int = 0       # alerts that would go to another playbook (or none)
    unmatched_before: int = 0
    unmatched_after: int = 0
    merged: int = 0                 # simulated incidents gathering alerts of ≥ 2 stored incidents
    split: int = 0                  # stored incidents whose alerts would go to ≥ 2 simulated ones
    reassigned: int = 0             # incidents opened whose first assign candidate differs
    moves: Counter = field(default_factory=Counter)   # (before playbook, after playbook) → alerts
    differences: list = field(default_factory=list)   # the first `limit` Differences, in time order
    differences_total: int = 0

    @property
    def incidents_delta(self):
        """More (> 0) or fewer (< 0) incidents than there were."""
        return self.incidents_after - self.incidents_before

    @property
    def unchanged(self):
        return not (self.playbook_changed or self.merged or self.split or self.reassigned
                    or self.incidents_delta)


class _Incident:
    __slots__ = ("number", "open", "before")

    def __init__(self, number):
        self.number, self.open, self.before = number, True, set()


class _Group:
    __slots__ = ("incident", "last_at", "firing")

    def __init__(self, at):
        self.incident, self.last_at, self.firing = None, at, set()


def canonical(row):
    """The canonical alert of a stored one (its raw payload is not needed to route)."""
    return Alert(source=row.source, severity=row.severity, status=row.status, title=row.title,
                 occurred_at=row.occurred_at, fingerprint=row.fingerprint, description=row.description or "",
                 host=row.host or "", labels=dict(row.labels or {}), format=row.format or "generic")


def first_candidate(book):
    """(kind, value) of the first candidate of the first `assign` of `book`, or None."""
    if book is None:
        return None
    for action in book.actions:
        if action.name == "assign" and action.value:
            return (action.value[0].kind, action.value[0].value)
    return None


def _decision_candidate(decision):
    for book in decision.playbooks:
        found = first_candidate(book)
        if found is not None:
            return found
    return None


UNKNOWN = object()


def _stored_candidate(row, before):
    """The first candidate the stored alert's playbook had, or UNKNOWN when neither the stored
    decision nor `before` says (a playbook since removed or renamed)."""
    route = row.route or {}
    stored = route.get("assign") if isinstance(route, Mapping) else None
    if stored:  # the executor's record of the candidates, when it keeps one
        item = stored[0]
        return (item.get("kind"), item.get("value")) if isinstance(item, Mapping) else tuple(item)
    book = before.get(row.playbook_id) if before is not None and row.playbook_id else None
    return UNKNOWN if book is None else first_candidate(book)


def candidate_text(candidate):
    return "-" if candidate is None else f"{candidate[0]}:{candidate[1]}"


def _context_of(contexts):
    if contexts is None:
        return lambda host: EMPTY
    if isinstance(contexts, Mapping):
        return lambda host: contexts.get(host or "", EMPTY)
    return contexts


class _Replay:
    def __init__(self, playbook_set, contexts, before, limit):
        self.set, self.context, self.before, self.limit = playbook_set, _context_of(contexts), before, limit
        self.report = Report()
        self.groups = {}           # (playbook id, group key) → _Group
        self.by_fingerprint = {}   # (source, fingerprint) → _Incident of its latest firing alert
        self.incidents = 0
        self.stored_to = {}        # stored incident id → set of simulated incident numbers
        self.merged, self.split = set(), set()

    def differ(self, kind, row, before, after):
        self.report.differences_total += 1
        if len(self.report.differences) < self.limit:
            self.report.differences.append(Difference(kind, row.id, row.occurred_at, before, after))

    def one(self, row):
        report = self.report
        report.alerts += 1
        report.first_at = report.first_at or row.occurred_at
        report.last_at = row.occurred_at
        alert = canonical(row)
        decision = routing.route(alert, self.set, self.context(alert.host))
        after = decision.playbook.id if decision.matched else None
        report.unmatched_before += row.playbook_id is None
        report.unmatched_after += after is None
        report.opened_before += isinstance(row.route, Mapping) and row.route.get("outcome") == "opened"
        if after != row.playbook_id:
            report.playbook_changed += 1
            report.moves[(row.playbook_id, after)] += 1
            self.differ("playbook", row, row.playbook_id or "-", after or "-")
        incident = self.place(row, alert, decision) if decision.matched else None
        if incident is not None and row.incident_id is not None:
            self.compare_partition(row, incident)

    def place(self, row, alert, decision):
        """The simulated incident the alert goes to (None: none), as the executor decides."""
        group = None
        if decision.group_key is not None:
            key = (decision.playbook.id, decision.group_key)
            group = self.groups.get(key) or self.groups.setdefault(key, _Group(alert.occurred_at))
        fingerprint = (alert.source, alert.fingerprint)
        if alert.status == "resolved":
            if group is not None:
                incident = group.incident
                group.firing.discard(alert.fingerprint)
            else:
                incident = self.by_fingerprint.get(fingerprint)
            if incident is not None and incident.open and group is not None \
                    and decision.on_resolved == "close" and not group.firing:
                incident.open = False
            return incident
        if group is not None and group.incident is not None and group.incident.open \
                and alert.occurred_at - group.last_at <= decision.window:
            group.last_at = max(group.last_at, alert.occurred_at)
            group.firing.add(alert.fingerprint)
            incident = group.incident
        else:
            self.incidents += 1
            incident = _Incident(self.incidents)
            self.report.opened_after += 1
            if group is not None:
                group.incident, group.last_at, group.firing = incident, alert.occurred_at, {alert.fingerprint}
            self.assignment(row, decision)
        self.by_fingerprint[fingerprint] = incident
        return incident

    def assignment(self, row, decision):
        if row.playbook_id is None:
            return
        before, after = _stored_candidate(row, self.before), _decision_candidate(decision)
        if before is not UNKNOWN and before != after:
            self.report.reassigned += 1
            self.differ("assignment", row, candidate_text(before), candidate_text(after))

    def compare_partition(self, row, incident):
        stored = row.incident_id
        others = incident.before - {stored}
        if others and stored not in incident.before and incident.number not in self.merged:
            self.merged.add(incident.number)
            self.differ("merge", row, " + ".join(f"#{i}" for i in sorted(incident.before | {stored})),
                        f"new {incident.number}")
        incident.before.add(stored)
        seen = self.stored_to.setdefault(stored, set())
        if seen and incident.number not in seen and stored not in self.split:
            self.split.add(stored)
            self.differ("split", row, f"#{stored}",
                        " + ".join(f"new {n}" for n in sorted(seen | {incident.number})))
        seen.add(incident.number)

    def finish(self, stored_incidents):
        report = self.report
        report.incidents_after = self.incidents  # every simulated incident holds its opening alert
        report.incidents_before = len(stored_incidents)
        report.merged, report.split = len(self.merged), len(self.split)
        return report


def compare(rows, playbook_set, contexts=None, *, before=None, limit=DEFAULT_LIMIT):
    """The Report of replaying `rows` (stored alerts, in time order: occurred_at, then id) through
    `playbook_set`. `contexts` gives each host's canonical.Context: a mapping host → Context or a
    callable host → Context (None: nothing known). `before` (a PlaybookSet) names the playbooks the
    stored alerts went to, for their first assign candidate (see the module)."""
    replay = _Replay(playbook_set, contexts, before if before is not None else playbook_set, limit)
    stored_incidents = set()
    for row in rows:
        replay.one(row)
        if row.incident_id is not None:
            stored_incidents.add(row.incident_id)
    return replay.finish(stored_incidents)


def parse_since(text, now):
    """'30d' / '12h' / '2w' → now minus that; an ISO date or time → that (naive UTC); ValueError."""
    text = (text or "").strip()
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    if len(text) >= 2 and text[-1] in units and text[:-1].isdigit():
        return now - timedelta(**{units[text[-1]]: int(text[:-1])})
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = (moment - moment.utcoffset()).replace(tzinfo=None)
    return moment
