"""Applies the router's Decision in the intake's transaction: open or join the incident, write
the alert on its timeline, close it when every alert of its group is resolved.

The incident side is written by `incidents.from_alerts` (rows, tasks, clocks, links, audit); this
module decides what to write: which group, join or open, the rendered texts, the agency, the
assignee, the tasks' due times and the clocks' deadlines. It never commits.

Grouping: an alert of a grouped playbook joins its group's incident when that incident is still
open and the group's last alert is at most `window` before this alert's `occurred_at` (exactly
`window` joins); otherwise a new incident opens and the group points at it. The group rows are
locked by `lock_groups` before any of this (intake.py), so concurrent alerts of one group queue.

Resolved alerts never open an incident: on a grouped playbook they are written on the group's
incident (and with `on_resolved: close`, when none of its alerts is still firing, the incident
closes unless required steps remain); without a group, on the incident of the latest alert with
the same fingerprint.
"""
import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select, text, tuple_
from sqlalchemy.exc import SQLAlchemyError

from .. import bulk
from ..catalogue import gettext as _
from ..extensions import db, on_postgres
from ..incidents import from_alerts
from ..incidents.models import Incident
from ..oncall import escalation, targets
from ..rules import lookup as rules
from ..team.models import Agency
from . import assignees, paging
from .models import Alert, AlertGroup
from .playbooks.templates import variables

logger = logging.getLogger(__name__)

PLANNED = ("notify", "escalate")  # written by paging.py (outbox, escalation), recorded in the summary


def summary(decision):
    """The decision in short, stored with the alert (`Alert.route`): what the on-call outbox
    reads for notify and escalate, what the alert's page and replay show."""
    if not decision.matched:
        return {"playbook": None}
    book = decision.playbook
    out = {"playbook": book.id, "version": book.version, "extra": [b.id for b in decision.extra],
           "group_key": decision.group_key, "actions": [], "notify": [], "escalate": []}
    for owner, action in decision.actions():
        out["actions"].append(action.name if owner is book else f"{owner.id}:{action.name}")
        if action.name == "notify":
            n = action.value
            out["notify"].append({"playbook": owner.id, "to": [targets.as_data(t) for t in n.to],
                                  "channels": list(n.channels), "on": list(n.on)})
        elif action.name == "escalate":
            steps, repeat = escalation.policy_data(action.value)  # what the escalation will store
            out["escalate"] += [{"playbook": owner.id, **step} for step in steps]
            if repeat:
                out["escalate_repeat"] = repeat
            if getattr(action.value, "name", None):
                out["escalate_policy"] = action.value.name
    return out


NOTES = {
    "rotation_nobody": lambda v: _("rotation %(name)s: nobody on call, or no such rotation", name=v),
    "role_nobody": lambda v: _("role %(name)s: no active member", name=v),
    "person_nobody": lambda v: _("person %(name)s: not an active member of the response team", name=v),
    "nobody_assigned": lambda v: _("no candidate found: the incident is unassigned"),
    "clock_skipped": lambda v: _("clock %(key)s: no rule in force, not started", key=v),
    "agency_unknown": lambda v: _("agency %(code)s unknown: the incident went to the triage agency", code=v),
    "host_unknown": lambda v: _("host not in the inventory: the incident went to the triage agency"),
    "action_failed": lambda v: _("action %(name)s failed and was skipped", name=v),
    "already_assigned": lambda v: _("assign of %(name)s skipped: already assigned", name=v),
    "not_closed": lambda v: _("every alert resolved, but required steps are still open"),
}


def note_text(note):
    """A stored executor note ([code, value]) in the reader's language."""
    code, value = note
    maker = NOTES.get(code)
    return maker(value) if maker else f"{code}: {value}"


@dataclass(slots=True)
class Group:
    """A locked group row as plain data; `changed` once this batch moved it (written by `finish`)."""

    id: int
    incident_id: int | None
    first_at: datetime
    last_at: datetime
    firing: list
    changed: bool = False


_GROUPS = AlertGroup.__table__
_INCIDENTS = Incident.__table__
# PostgreSQL's: the keys as one JSON text (the same statement for 1 group or 100), each group
# found through the unique index and locked in the keys' (sorted) order by the LATERAL subquery,
# its incident by primary key; against the JSON's unknown row count a plain IN made the planner
# read the whole group and incident tables.
_LOCK_WANTED = text("""SELECT g.id, g.playbook_id, g.group_key, g.incident_id, g.first_at, g.last_at, g.firing,
       i.status, i.reference, i.agency_id, i.updated_at
FROM json_to_recordset(CAST(:wanted AS json)) AS w(playbook_id varchar, group_key varchar)
CROSS JOIN LATERAL (SELECT * FROM alert_group
                    WHERE alert_group.playbook_id = w.playbook_id AND alert_group.group_key = w.group_key
                    FOR UPDATE) AS g
LEFT JOIN LATERAL (SELECT * FROM incident WHERE incident.id = g.incident_id) AS i ON true""")


def _locking(condition):
    """SELECT ... FOR UPDATE of the groups meeting `condition`, with their incidents' state."""
    g = _GROUPS.c
    return (select(g.id, g.playbook_id, g.group_key, g.incident_id, g.first_at, g.last_at, g.firing,
                   _INCIDENTS.c.status, _INCIDENTS.c.reference, _INCIDENTS.c.agency_id, _INCIDENTS.c.updated_at)
            .select_from(_GROUPS.outerjoin(_INCIDENTS, _INCIDENTS.c.id == g.incident_id))
            .where(condition).order_by(g.playbook_id, g.group_key).with_for_update(of=_GROUPS))


@dataclass
class Result:
    status: str  # opened | joined | unmatched | resolved
    incident_id: int = None
    reference: str = None
    agency_id: int = None
    notes: tuple = ()


def _alert_entry(alert_id, alert):
    return {"alert_id": alert_id, "status": alert.status, "title": alert.title,
            "severity": alert.severity, "host": alert.host, "at": alert.occurred_at}


class Executor:
    """One batch's executor: `lock_groups`, then `apply` per new alert in order, then `finish`."""

    def __init__(self, actor, hosts, now):
        self.actor, self.hosts, self.now = actor, hosts, now
        self.locale = current_app.config.get("BABEL_DEFAULT_LOCALE") or "vi"
        self.groups = {}      # (playbook id, group key) → Group (its row locked)
        self.incidents = {}   # incident id → [status, reference, agency id, updated at]
        self.pending = {}     # incident id → alert entries waiting for add_alerts
        self._agencies = {}   # agency code → id or None

    # --- groups ---------------------------------------------------------------------------

    def lock_groups(self, wanted):
        """Create the missing groups of `wanted` ({(playbook id, key): first occurred_at}) and lock
        them all, in key order (two batches lock in the same order: no deadlock). The usual case,
        every group already there, is one SELECT ... FOR UPDATE that brings each group's incident
        along; only new groups cost an INSERT and a second SELECT."""
        if not wanted:
            return
        keys = sorted(wanted)
        self._lock(keys)
        missing = [k for k in keys if k not in self.groups]
        if missing:
            rows = [{"playbook_id": p, "group_key": k, "incident_id": None, "first_at": wanted[(p, k)],
                     "last_at": wanted[(p, k)], "firing": []} for p, k in missing]
            bulk.insert_ignore(_GROUPS, rows, ["playbook_id", "group_key"])
            self._lock(missing)

    def _lock(self, keys):
        """Lock the groups of `keys` that exist (FOR UPDATE of the group rows only) and note their
        incidents' state, read in the same statement."""
        if on_postgres():
            wanted = bulk.json_text([{"playbook_id": p, "group_key": k} for p, k in keys])
            rows = db.session.execute(_LOCK_WANTED, {"wanted": wanted}).all()
        else:
            rows = db.session.execute(_locking(tuple_(_GROUPS.c.playbook_id, _GROUPS.c.group_key).in_(keys))).all()
        for row in rows:
            self.groups[(row.playbook_id, row.group_key)] = Group(row.id, row.incident_id, row.first_at, row.last_at,
                                                                  list(row.firing or []))
            if row.incident_id and row.status is not None:
                self.incidents[row.incident_id] = [row.status, row.reference, row.agency_id, row.updated_at]

    def _load_incidents(self, ids):
        ids = [i for i in ids if i not in self.incidents]
        if ids:
            for ident, status, reference, agency_id, updated_at in db.session.execute(
                    db.select(Incident.id, Incident.status, Incident.reference, Incident.agency_id, Incident.updated_at)
                    .where(Incident.id.in_(ids))).all():
                self.incidents[ident] = [status, reference, agency_id, updated_at]

    def _is_open(self, incident_id):
        state = self.incidents.get(incident_id)
        return state is not None and from_alerts.is_open(state[0])

    def _result(self, status, incident_id, notes=()):
        state = self.incidents.get(incident_id) if incident_id else None
        if state is None:
            return Result(status, notes=tuple(notes))
        return Result(status, incident_id, state[1], state[2], tuple(notes))

    # --- one alert ------------------------------------------------------------------------

    def apply(self, alert_id, alert, decision):
        """Apply `decision` to the stored alert `alert_id` (its canonical `alert`)."""
        if not decision.matched:
            return Result("unmatched")
        group = None
        if decision.group_key is not None:
            group = self.groups[(decision.playbook.id, decision.group_key)]
        if alert.status == "resolved":
            return self._resolved(alert_id, alert, decision, group)
        if group is not None and group.incident_id and self._is_open(group.incident_id) \
                and alert.occurred_at - group.last_at <= decision.window:
            self.pending.setdefault(group.incident_id, []).append(_alert_entry(alert_id, alert))
            group.last_at = max(group.last_at, alert.occurred_at)
            if alert.fingerprint not in group.firing:
                group.firing = [*group.firing, alert.fingerprint]
            group.changed = True
            paging.followed(group.incident_id, alert, decision, "joined", self.now)
            return self._result("joined", group.incident_id)
        incident, notes = self._open(alert_id, alert, decision)
        if group is not None:
            group.incident_id = incident.id
            group.first_at = group.last_at = alert.occurred_at
            group.firing = [alert.fingerprint]
            group.changed = True
        return self._result("opened", incident.id, notes)

    def _resolved(self, alert_id, alert, decision, group):
        if group is not None:
            incident_id = group.incident_id
            if alert.fingerprint in group.firing:
                group.firing = [f for f in group.firing if f != alert.fingerprint]
                group.changed = True
        else:
            incident_id = self._incident_of_fingerprint(alert)
        if not incident_id or not self._is_open(incident_id):
            return self._result("resolved", incident_id)
        self.pending.setdefault(incident_id, []).append(_alert_entry(alert_id, alert))
        paging.followed(incident_id, alert, decision, "resolved", self.now)
        notes = []
        if group is not None and decision.on_resolved == "close" and not group.firing:
            self._flush(incident_id)
            closed = from_alerts.close_resolved(
                self.actor, incident_id, _("Every alert of the group is resolved: closed by playbook %(id)s.",
                                           id=decision.playbook.id))
            if closed:
                self.incidents[incident_id][0] = "closed"
            else:
                notes.append(("not_closed", ""))
        return self._result("resolved", incident_id, notes)

    def _incident_of_fingerprint(self, alert):
        """The incident of the latest firing alert with this source and fingerprint, if any."""
        ident = db.session.execute(
            db.select(Alert.incident_id).where(Alert.source == alert.source, Alert.fingerprint == alert.fingerprint,
                                               Alert.status == "firing", Alert.incident_id.is_not(None))
            .order_by(Alert.id.desc()).limit(1)).scalar()
        if ident:
            self._load_incidents([ident])
        return ident

    def _flush(self, incident_id):
        entries = self.pending.pop(incident_id, None)
        if entries:
            from_alerts.add_alerts(self.actor, incident_id, entries)

    def finish(self, writes):
        """Add to `writes` (bulk.Writes, sent by the intake with its own) the alerts that joined
        incidents, on their timelines, and the groups this batch moved."""
        for incident_id in list(self.pending):
            updated_at = self.incidents[incident_id][3]
            from_alerts.add_alerts(self.actor, incident_id, self.pending.pop(incident_id), writes,
                                   touch=updated_at is None or self.now - updated_at >= from_alerts.TOUCH_EVERY)
        writes.update(_GROUPS, [{"id": group.id, "incident_id": group.incident_id, "first_at": group.first_at,
                                 "last_at": group.last_at, "firing": group.firing}
                                for group in self.groups.values() if group.changed])

    # --- opening ----------------------------------------------------------------------------

    def _agency_id(self, code):
        if code not in self._agencies:
            self._agencies[code] = db.session.execute(
                db.select(Agency.id).where(Agency.code == code, Agency.active.is_(True))).scalar()
        return self._agencies[code]

    def _open(self, alert_id, alert, decision):
        """Open the incident of `decision.playbook` for `alert`; (incident, notes)."""
        book, facts = decision.playbook, self.hosts.facts(alert.host)
        spec, notes = book.incident, []
        values = variables(alert, facts.context)
        if spec.agency == "host":
            agency_id = facts.agency_id
            if agency_id is None:
                notes.append(("host_unknown", alert.host))
        else:
            agency_id = self._agency_id(spec.agency)
            if agency_id is None:
                notes.append(("agency_unknown", spec.agency))
        if agency_id is None:
            agency_id = from_alerts.triage_agency().id
        discovered_at = min(alert.occurred_at, self.now)
        opening = {
            "title": spec.title.render(self.locale, values).strip() or alert.title,
            "description": (spec.description.render(self.locale, values) if spec.description is not None
                            else alert.description),
            "category": spec.category, "sub_type": spec.sub_type or "",
            "severity": spec.severity.pick(alert.severity), "priority": spec.priority.pick(alert.severity),
            "tlp": spec.tlp, "agency_id": agency_id, "discovered_at": discovered_at, "assignee_id": None,
            "playbook_id": book.id, "playbook_version": book.version, "system_ids": [], "server_ids": [],
            "tasks": [], "clocks": [], "notes": [], "alerts": [_alert_entry(alert_id, alert)],
        }
        level = facts.context.system_level or None
        for owner, action in decision.actions():
            try:
                self._action(owner, action, opening, facts, level, values, notes)
            except SQLAlchemyError:
                raise  # the transaction is gone: the intake retries or answers 503
            except Exception:  # a failing action is recorded without stopping the rest
                logger.exception("playbook %s: action %s failed", owner.id, action.name)
                notes.append(("action_failed", action.name))
        if opening["assignee_id"] is None and any(a.name == "assign" for _o, a in decision.actions()):
            notes.append(("nobody_assigned", ""))
        incident = from_alerts.open_from_playbook(self.actor, opening)
        paging.opened(incident, alert, decision, self.now, notes)
        self.incidents[incident.id] = [incident.status, incident.reference, incident.agency_id, self.now]
        return incident, notes

    def _action(self, owner, action, opening, facts, level, values, notes):
        name, value = action.name, action.value
        if name == "assign":
            if opening["assignee_id"] is not None:
                notes.append(("already_assigned", owner.id))
                return
            user, why = assignees.pick(value, self.now)
            notes.extend(why)
            if user is not None:
                opening["assignee_id"] = user.id
        elif name == "tasks":
            seen = {t["key"] for t in opening["tasks"]}
            opening["tasks"] += [{"key": step.key, "title": step.title.get(self.locale),
                                  "detail": step.detail.get(self.locale) if step.detail else "",
                                  "owner_role": step.owner_role, "required": bool(step.required),
                                  "due_at": self.now + step.due if step.due is not None else None}
                                 for step in value if step.key not in seen]
        elif name == "clocks":
            seen, ruleset = {c["key"] for c in opening["clocks"]}, rules.load(value)  # one query
            for key in value:
                if key in seen:
                    continue
                seen.add(key)
                if ruleset.find(key, opening["discovered_at"], level) is None:
                    notes.append(("clock_skipped", key))  # no such duty in the regime in force
                    continue
                opening["clocks"].append({"key": key, "due_at": ruleset.due(key, opening["discovered_at"], level)})
        elif name == "note":
            text = value.render(self.locale, values).strip()
            if text:
                opening["notes"].append(text)
        elif name == "link_affected":
            if value:
                opening["server_ids"] = [facts.server_id] if facts.server_id else []
                opening["system_ids"] = list(facts.system_ids)
        # notify and escalate: written by paging.opened once the incident exists

