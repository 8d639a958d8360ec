"""The dry run: what the executor would do with an alert, computed without writing anything.

The "try an alert" page shows it. `plan(alert, playbook_set)` looks the host up (context.py),
routes with explain (routing.py) and then follows the executor's rules (executor.py) in
read-only form: the open group it would join (the alert_group table, read, never locked), the
incident it would open (rendered title, category, severity, priority, TLP, agency), who the
`assign` candidates would pick (assignees.pick only reads), the tasks with their due times, the
clocks with their deadlines (rules.lookup only reads), the notes, the links, and the planned
notifications and escalation. Where the executor would create something (the triage agency when
it does not exist yet) the plan names it instead. Nothing is added to the session, flushed or
committed: a test holds every table's row count.

Texts are rendered in the default language (BABEL_DEFAULT_LOCALE), as the executor writes them.
"""
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from ..clock import utcnow
from ..extensions import db
from ..incidents import lifecycle
from ..incidents.models import Incident
from ..rules import lookup as rules
from ..systems.models import InformationSystem, Server
from ..team.models import Agency
from . import assignees, routing
from .context import HostLookup
from .models import Alert, AlertGroup
from .playbooks.templates import variables

# What would become of the alert: a new incident, joining an open one, written on an incident
# as resolved (and maybe closing it), or nothing (no playbook, or a resolution of nothing open).
OPEN, JOIN, RESOLVE, NOTHING = "open", "join", "resolve", "nothing"


@dataclass
class Step:
    playbook: str
    key: str
    title: str
    detail: str
    owner_role: str | None
    required: bool
    due_at: datetime | None


@dataclass
class Plan:
    """The dry run of one alert (see the module)."""

    alert: object
    context: object
    decision: object
    outcome: str = NOTHING
    incident: Incident | None = None      # the open incident it would join / be recorded on
    would_close: bool = False             # on_resolved: close, and no alert of the group still firing
    opening: dict = field(default_factory=dict)   # the new incident's fields (outcome OPEN)
    agency: Agency | None = None
    agency_note: str = ""                 # "host_unknown" | "agency_unknown" | ""
    assignee: object = None
    assign_notes: list = field(default_factory=list)   # (code, value), executor.note_text reads them
    tasks: list = field(default_factory=list)
    clocks: list = field(default_factory=list)         # (key, due_at or None when no rule in force)
    notes: list = field(default_factory=list)
    server: Server | None = None
    systems: list = field(default_factory=list)
    notify: list = field(default_factory=list)         # (playbook id, Notify)
    escalate: list = field(default_factory=list)       # (playbook id, Escalation)


def plan(alert, playbook_set, now=None):
    """The Plan of `alert` (canonical.Alert) under `playbook_set`; reads the database only."""
    now = now or utcnow()
    hosts = HostLookup()
    facts = hosts.facts(alert.host)
    decision = routing.route(alert, playbook_set, facts.context, explain=True)
    result = Plan(alert=alert, context=facts.context, decision=decision)
    if not decision.matched:
        return result
    for owner, action in decision.actions():
        if action.name == "notify":
            result.notify.append((owner.id, action.value))
        elif action.name == "escalate":
            result.escalate += [(owner.id, step) for step in action.value]
    group = _group(decision)
    if alert.status == "resolved":
        return _resolved(result, alert, decision, group)
    if group is not None and group.incident_id:
        incident = db.session.get(Incident, group.incident_id)
        if incident is not None and incident.status in lifecycle.OPEN_STATUSES \
                and alert.occurred_at - group.last_at <= decision.window:
            result.outcome, result.incident = JOIN, incident
            return result
    result.outcome = OPEN
    _opening(result, alert, decision, facts, now)
    return result


def _group(decision):
    if decision.group_key is None:
        return None
    return db.session.execute(db.select(AlertGroup).where(
        AlertGroup.playbook_id == decision.playbook.id, AlertGroup.group_key == decision.group_key)).scalar()


def _resolved(result, alert, decision, group):
    """A resolved alert never opens an incident; it is written on its group's (or its
    fingerprint's) open incident, which may then close."""
    if group is not None:
        incident_id = group.incident_id
        still = [f for f in (group.firing or []) if f != alert.fingerprint]
        result.would_close = decision.on_resolved == "close" and not still
    else:
        incident_id = db.session.execute(
            db.select(Alert.incident_id).where(Alert.source == alert.source, Alert.fingerprint == alert.fingerprint,
                                               Alert.status == "firing", Alert.incident_id.is_not(None))
            .order_by(Alert.id.desc()).limit(1)).scalar()
    incident = db.session.get(Incident, incident_id) if incident_id else None
    if incident is not None and incident.status in lifecycle.OPEN_STATUSES:
        result.outcome, result.incident = RESOLVE, incident
    else:
        result.would_close = False
    return result


def _agency(code):
    return db.session.execute(db.select(Agency).where(Agency.code == code, Agency.active.is_(True))).scalar()


def _opening(result, alert, decision, facts, now):
    """The new incident's fields, as executor.Executor._open computes them."""
    locale = current_app.config.get("BABEL_DEFAULT_LOCALE") or "vi"
    book, spec = decision.playbook, decision.playbook.incident
    values = variables(alert, facts.context)
    if spec.agency == "host":
        agency = db.session.get(Agency, facts.agency_id) if facts.agency_id else None
        result.agency_note = "" if agency is not None else "host_unknown"
    else:
        agency = _agency(spec.agency)
        result.agency_note = "" if agency is not None else "agency_unknown"
    if agency is None:  # the triage agency (the executor creates it when missing; we only name it)
        code = current_app.config.get("CSIRT_TRIAGE_AGENCY") or "CSIRT"
        found = db.session.execute(db.select(Agency).where(Agency.code == code)).scalar()
        agency = found if found is not None else Agency(code=code, name=code)  # not added to the session
    result.agency = agency
    discovered_at = min(alert.occurred_at, now)
    result.opening = {
        "title": spec.title.render(locale, values).strip() or alert.title,
        "description": (spec.description.render(locale, values) if spec.description is not None
                        else alert.description),
        "category": spec.category, "sub_type": spec.sub_type or "",
        "severity": spec.severity.pick(alert.severity), "priority": spec.priority.pick(alert.severity),
        "tlp": spec.tlp, "discovered_at": discovered_at, "playbook": book.id, "version": book.version,
    }
    level = facts.context.system_level or None
    for owner, action in decision.actions():
        name, value = action.name, action.value
        if name == "assign":
            if result.assignee is not None:
                result.assign_notes.append(("already_assigned", owner.id))
                continue
            user, why = assignees.pick(value, now)
            result.assign_notes.extend(why)
            result.assignee = user
        elif name == "tasks":
            seen = {t.key for t in result.tasks}
            result.tasks += [Step(owner.id, s.key, s.title.get(locale), s.detail.get(locale) if s.detail else "",
                                  s.owner_role, bool(s.required), now + s.due if s.due is not None else None)
                             for s in value if s.key not in seen]
        elif name == "clocks":
            seen = {key for key, _due in result.clocks}
            for key in value:
                if key in seen:
                    continue
                seen.add(key)
                found = rules.find(key, discovered_at, level)
                result.clocks.append((key, rules.due(key, discovered_at, level) if found is not None else None))
        elif name == "note":
            text = value.render(locale, values).strip()
            if text:
                result.notes.append(text)
        elif name == "link_affected" and value:
            result.server = db.session.get(Server, facts.server_id) if facts.server_id else None
            result.systems = [s for s in (db.session.get(InformationSystem, i) for i in facts.system_ids) if s]
    if result.assignee is None and any(a.name == "assign" for _o, a in decision.actions()):
        result.assign_notes.append(("nobody_assigned", ""))
