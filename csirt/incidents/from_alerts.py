"""Incidents opened, joined and closed by alerts through a playbook (the executor in
csirt/alerts/executor.py calls these inside the intake's transaction; none of them commits).

The executor decides (which playbook, which group, who gets it); this module owns how the incident
side is written: the incident row, its first timeline entries, the playbook's steps as tasks, the
regulatory clocks, the links to the inventory, and closing when every alert of the group is resolved.
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..bulk import Writes
from ..clock import utc_to_local, utcnow
from ..extensions import db
from ..team.models import Agency, User
from . import clocks as duty_clocks
from . import lifecycle
from .models import Incident, IncidentClock, Task, TimelineEntry, incident_server, incident_system
from .references import next_reference
from .services import _insert_incident, touch

logger = logging.getLogger(__name__)

SYSTEM_USERNAME = "csirt-system"
NO_PASSWORD = "!"  # not a hash any password can match: nobody signs in as the system  # noqa: S105
TITLE_MAX = 300
TEXT_MAX = 20000
TOUCH_EVERY = timedelta(seconds=60)  # an incident joined by alerts is marked updated once a minute at most
_TASKS = Task.__table__
_CLOCKS = IncidentClock.__table__
_TIMELINE = TimelineEntry.__table__


def is_open(status):
    return status in lifecycle.OPEN_STATUSES


def triage_agency():
    """The agency an alert's incident belongs to when its host is unknown: CSIRT_TRIAGE_AGENCY
    (an agency code; default the dedicated unit, "CSIRT"), created like the first start does when
    it does not exist yet."""
    code = current_app.config.get("CSIRT_TRIAGE_AGENCY") or "CSIRT"
    agency = db.session.execute(db.select(Agency).where(Agency.code == code)).scalar_one_or_none()
    if agency is None:
        try:
            with db.session.begin_nested():
                agency = Agency(code=code, name=f"Đơn vị chuyên trách ATTT ({code})", kind="dedicated_unit")
                db.session.add(agency)
        except IntegrityError:  # created by a parallel intake
            agency = db.session.execute(db.select(Agency).where(Agency.code == code)).scalar_one()
    return agency


def system_actor():
    """The built-in account that reports what csirt itself raises (checks, the demo, the CLI):
    inactive, with no usable password, so nobody can sign in as it."""
    user = db.session.execute(db.select(User).where(User.username == SYSTEM_USERNAME)).scalar_one_or_none()
    if user is not None:
        return user
    agency = triage_agency()
    try:
        with db.session.begin_nested():
            user = User(username=SYSTEM_USERNAME, full_name="csirt", role="coordinator", agency_id=agency.id,
                        password_hash=NO_PASSWORD, active=False, created_at=utcnow())
            db.session.add(user)
    except IntegrityError:
        user = db.session.execute(db.select(User).where(User.username == SYSTEM_USERNAME)).scalar_one()
    return user


def _clip(text, limit):
    text = (text or "").replace("\x00", "")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _alert_entry(incident_id, actor_id, alert, now):
    return {"incident_id": incident_id, "author_id": actor_id, "kind": "alert", "at": now,
            "body": _clip(alert.get("title"), TITLE_MAX),
            "data": {"alert": alert["alert_id"], "status": alert.get("status", "firing"),
                     "severity": alert.get("severity"), "host": alert.get("host") or "",
                     "at": alert["at"].isoformat() if alert.get("at") else None}}


def open_from_playbook(actor, opening):
    """Open an incident as `opening` says (see the executor): the row, the 'created' entry naming
    the playbook, the assignment, the alerts that opened it, the playbook's notes, steps and clocks,
    the links to the host's server and systems, and one audit entry. Returns the incident."""
    now = utcnow()
    agency = db.session.get(Agency, opening["agency_id"])
    assignee = db.session.get(User, opening["assignee_id"]) if opening.get("assignee_id") else None
    from ..systems.models import InformationSystem, Server
    systems = [s for s in (db.session.get(InformationSystem, i) for i in opening.get("system_ids") or ()) if s]
    servers = [s for s in (db.session.get(Server, i) for i in opening.get("server_ids") or ()) if s]
    reference = next_reference(current_app.config["CSIRT_REF_PREFIX"], utc_to_local(now).year)
    row = dict(reference=reference, status="new", source="alert", reporter_id=actor.id, reported_at=now,
               created_at=now, updated_at=now, title=_clip(opening["title"], TITLE_MAX) or reference,
               description=_clip(opening.get("description"), TEXT_MAX), category=opening["category"],
               sub_type=opening.get("sub_type") or "", severity=opening["severity"], priority=opening["priority"],
               tlp=opening["tlp"], agency_id=agency.id, discovered_at=opening["discovered_at"],
               assignee_id=assignee.id if assignee else None, affected_systems="", affected_servers="",
               playbook_id=opening.get("playbook_id"), playbook_version=opening.get("playbook_version"))
    incident = _insert_incident(row, {"agency": agency, "reporter": actor, "assignee": assignee,
                                      "systems": systems, "servers": servers})
    base = {"incident_id": incident.id, "author_id": actor.id, "at": now, "body": "", "data": None}
    entries = [{**base, "kind": "created", "data": {"reference": reference, "playbook": row["playbook_id"],
                                                     "playbook_version": row["playbook_version"]}}]
    if assignee:
        entries.append({**base, "kind": "assignment", "data": {"from": None, "to": assignee.id, "from_name": None,
                                                               "to_name": assignee.full_name}})
    entries += [_alert_entry(incident.id, actor.id, a, now) for a in opening.get("alerts") or ()]
    entries += [{**base, "kind": "note", "body": _clip(n, TEXT_MAX)} for n in opening.get("notes") or () if n]
    db.session.execute(_TIMELINE.insert(), entries)
    tasks = [{"incident_id": incident.id, "title": _clip(t["title"], TITLE_MAX) or t.get("key") or "?",
              "detail": _clip(t.get("detail"), TEXT_MAX), "owner_role": t.get("owner_role"),
              "required": bool(t.get("required")), "step_key": t.get("key"), "due_at": t.get("due_at"),
              "owner_id": None, "created_at": now, "created_by_id": actor.id} for t in opening.get("tasks") or ()]
    if tasks:
        db.session.execute(_TASKS.insert(), tasks)
    # the duties of the rules (duty_clocks.plan) and those the playbook asked for: a playbook's
    # clock takes the rules' start and deadline when the rules know it; a closing report waits for the close
    planned = duty_clocks.plan(duty_clocks.ruleset(), discovered_at=row["discovered_at"], status="new",
                               severity=row["severity"], level=duty_clocks.level_of(systems))
    clocks, seen = [], set()
    for clock in opening.get("clocks") or ():
        if clock["key"] not in seen:
            seen.add(clock["key"])
            rule = planned.get(clock["key"])
            waits = duty_clocks.DUTIES.get(clock["key"]) == duty_clocks.END_OF_RESPONSE
            clocks.append({"incident_id": incident.id, "key": clock["key"], "started_at": opening["discovered_at"],
                           "due_at": rule.due_at if rule else (None if waits else clock.get("due_at")),
                           "regime": rule.regime if rule else "",
                           "started_by": _clip(f"playbook:{row['playbook_id']}", 64)})
    clocks += duty_clocks.new_rows(incident.id, planned, skip=seen)
    if clocks:
        db.session.execute(_CLOCKS.insert(), clocks)
    if systems:
        db.session.execute(incident_system.insert(), [{"incident_id": incident.id, "system_id": s.id} for s in systems])
    if servers:
        db.session.execute(incident_server.insert(), [{"incident_id": incident.id, "server_id": s.id} for s in servers])
    record(actor, "incident.create", incident, after={
        "reference": reference, "title": row["title"], "category": row["category"], "severity": row["severity"],
        "priority": row["priority"], "agency_id": agency.id, "assignee_id": row["assignee_id"],
        "playbook_id": row["playbook_id"], "playbook_version": row["playbook_version"],
        "tasks": len(tasks), "clocks": [c["key"] for c in clocks]})
    logger.info("incident %s opened by playbook %s", reference, row["playbook_id"])
    return incident


def add_alerts(actor, incident_id, alerts, writes=None, touch=True):
    """Write the alerts that joined an open incident on its timeline (one entry each) and, with
    `touch`, mark the incident updated now; added to `writes` (bulk.Writes, the caller sends them)
    when given. The executor touches an incident only when it was last updated TOUCH_EVERY ago or
    more: in an alert storm every joining alert rewrote the incident's row and its dozen indexes
    (about 1 ms of PostgreSQL's time each) and queued on its row lock."""
    if not alerts:
        return
    now = utcnow()
    gathered = Writes() if writes is None else writes
    gathered.insert(_TIMELINE, [_alert_entry(incident_id, actor.id, a, now) for a in alerts])
    if touch:
        gathered.update(Incident.__table__, [{"id": incident_id, "updated_at": now}])
    if writes is None:
        gathered.send()


def open_required_steps(incident_id):
    """How many required steps of the incident are still open."""
    return db.session.execute(db.select(db.func.count(Task.id)).where(
        Task.incident_id == incident_id, Task.required.is_(True), Task.done_at.is_(None))).scalar_one()


def close_resolved(actor, incident_id, note):
    """Close the incident because every alert of its group is resolved, unless required steps are
    still open: then only a note says so (a person closes it when the work is done). True when closed."""
    incident = db.session.get(Incident, incident_id)
    if incident is None or not is_open(incident.status):
        return False
    waiting = open_required_steps(incident_id)
    now = utcnow()
    if waiting:
        touch(incident)
        db.session.execute(_TIMELINE.insert(), [{
            "incident_id": incident_id, "author_id": actor.id, "at": now, "kind": "note",
            "body": _clip(note, TEXT_MAX), "data": {"resolved": True, "required_open": waiting}}])
        return False
    before = {"status": incident.status}
    db.session.execute(Incident.__table__.update().where(Incident.__table__.c.id == incident_id).values(
        status="closed", closed_at=now, updated_at=now, resolution=_clip(note, TEXT_MAX),
        version=Incident.__table__.c.version + 1))
    db.session.execute(_TIMELINE.insert(), [{
        "incident_id": incident_id, "author_id": actor.id, "at": now, "kind": "status", "body": _clip(note, TEXT_MAX),
        "data": {"from": before["status"], "to": "closed", "reason": None, "resolved": True}}])
    db.session.expire(incident)
    record(actor, "incident.status", object_type="incident", object_id=incident_id, before=before,
           after={"status": "closed"})
    return True
