"""Load a demo province (Lào Cai) so the desk can be shown and tried with realistic data.

`load()` creates 20 agencies (reusing the `CSIRT` unit), 50 members, 8 information systems, the
15 shared servers (5 physical, 10 virtual) and 40 incidents spread over every status, category
and severity, then a month of alerts routed by the playbooks into more incidents (`demo/alerts.py`),
the scheduled checks of the servers with their heartbeats (`demo/checks.py`), and returns a
summary of counts. The data itself lives in `csirt.demo.data`.

Password: every demo user gets the password from the environment variable
``CSIRT_DEMO_PASSWORD`` (default ``demo-password-2026``). Sign in as e.g. ``nguyen.duc.thang``
(coordinator), ``do.van.hung`` (responder), ``hoang.minh.tuan`` (manager) or
``le.thi.thu.trang`` (liaison of Sở Tài chính). Never load the demo into a production database.

Idempotent: agencies, users, systems and servers are skipped when their code, user name or host
name exists (an existing agency with the same name is reused too), and an incident is skipped
when an incident with its title exists. Running `load()` twice creates nothing the second time.

Incidents go through the services (references, timeline, tasks and audit are the real ones).
To give them a believable history the app clock (`csirt.clock.freeze`) is moved to the moment
of each step and put back afterwards, so run `load()` from the console, not inside a process
that is serving requests. Servers use loopback addresses (127.0.10.x) so that a scheduled check
of demo data never sends traffic off this machine.
"""
import heapq
import os
import random
import unicodedata
from contextlib import nullcontext
from datetime import timedelta

from flask import current_app, has_request_context
from flask_babel import force_locale
from werkzeug.security import generate_password_hash

from ..alerts.models import Alert
from ..audit.services import record, snapshot
from ..catalogue import gettext as _
from ..clock import local_to_utc, moved_to, utc_to_local, utcnow
from ..errors import DomainError
from ..extensions import db
from ..incidents import sent_reports
from ..incidents import services as incident_services
from ..incidents import tasks as incident_tasks
from ..incidents.models import Incident
from ..oncall import ack as oncall_ack
from ..oncall import services as oncall_services
from ..oncall.models import Rotation
from ..reports.compliance.jobs import previous_month, take_snapshot
from ..systems import policy as systems_policy
from ..systems.compliance import month_start
from ..systems.models import Assessment, Finding, InformationSystem, LayerRecord, Server
from ..team import services as team_services
from ..team.models import Agency, User
from ..team.passwords import password_problem
from . import data
from .alerts import load_alerts
from .checks import load_checks, load_heartbeats

DEFAULT_PASSWORD = "demo-password-2026"  # noqa: S105 - documented demo default
SEED = 2026
SETUP_DAYS_AGO = 180  # the team, systems and servers "exist" from then on
WORK_STAGES = ("contained", "eradicated", "recovered")
SYSTEM_FIELDS = ("code", "name", "level", "owner_agency_id", "description")
SERVER_FIELDS = ("hostname", "agency_id", "addresses", "kind", "operating_system", "role")


def username_for(full_name):
    """'Nguyễn Văn An' -> 'nguyen.van.an'."""
    plain = unicodedata.normalize("NFKD", full_name.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return ".".join(plain.lower().split())


def _count(model):
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar()


# --- team ----------------------------------------------------------------------------

def _load_agencies(created):
    agencies = {}
    for code, name, kind, phone, address in data.AGENCIES:
        agency = db.session.execute(db.select(Agency).where(Agency.code == code)).scalar_one_or_none()
        if agency is None:
            agency = db.session.execute(db.select(Agency).where(Agency.name == name)).scalar_one_or_none()
        if agency is None:
            agency = team_services.create_agency(None, {
                "code": code, "name": name, "kind": kind, "phone": phone, "address": address,
                "email": f"{code.lower()}@{data.EMAIL_DOMAIN}"})
            created["agencies"] += 1
        agencies[code] = agency
    return agencies


def _contact(rng):
    phone = rng.choice(("091", "094", "088", "098", "097", "086", "083")) + f"{rng.randrange(10**7):07d}"
    alt = rng.choice(("096", "081", "085", "090")) + f"{rng.randrange(10**7):07d}"
    return phone, alt


def _demo_password():
    password = os.environ.get("CSIRT_DEMO_PASSWORD") or DEFAULT_PASSWORD
    problem = password_problem(password)
    if problem:
        raise ValueError(f"CSIRT_DEMO_PASSWORD: {problem}")
    return password


def _load_members(agencies, password, created):
    rng = random.Random(SEED)
    password_hash = None
    people = {}
    for full_name, code, role, title, skills, certifications in data.MEMBERS:
        username = username_for(full_name)
        phone, alt = _contact(rng)  # drawn for every row, so numbers do not depend on what exists
        user = db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            if password_hash is None:  # scrypt once, shared by every demo user
                password_hash = generate_password_hash(password, method="scrypt")
            handles = f"Zalo: {phone}"
            if role != "member":
                handles += f"; Telegram: @{username.replace('.', '_')}"
            user = User(username=username, full_name=full_name, role=role, agency_id=agencies[code].id,
                        title=title, skills=skills, certifications=certifications,
                        email=f"{username}@{code.lower()}.{data.EMAIL_DOMAIN}", phone=phone,
                        phone_alt=alt if role != "member" else None, chat_handles=handles,
                        password_hash=password_hash, password_changed_at=utcnow())
            db.session.add(user)
            db.session.flush()
            record(None, "user.create", user, after=snapshot(user, team_services.USER_FIELDS),
                   actor_name="console")
            created["members"] += 1
        people[username] = user
    db.session.commit()
    return people


# --- systems and servers -------------------------------------------------------------

def _load_systems(agencies, created):
    systems = {}
    for code, name, level, owner, description in data.SYSTEMS:
        system = db.session.execute(
            db.select(InformationSystem).where(InformationSystem.code == code)).scalar_one_or_none()
        if system is None:
            (operator, purpose, information_kind, served, decision, decision_days_ago, approver, domains,
             public_addresses, hosting) = data.SYSTEM_DETAILS[code]
            system = InformationSystem(
                code=code, name=name, level=level, description=description, owner_agency_id=agencies[owner].id,
                operator=operator, purpose=purpose, information_kind=information_kind, served=served,
                level_decision=decision, level_approver=approver, domains=domains,
                public_addresses=public_addresses, hosting=hosting,
                level_decision_date=(utcnow() - timedelta(days=decision_days_ago)).date())
            db.session.add(system)
            db.session.flush()
            record(None, "system.create", system, after=snapshot(system, SYSTEM_FIELDS), actor_name="console")
            created["systems"] += 1
        systems[code] = system
    for number, (hostname, kind, os_name, role, system_code) in enumerate(data.SERVERS, start=1):
        if db.session.execute(db.select(Server.id).where(Server.hostname == hostname)).first():
            continue
        # The shared servers are run by the provincial data centre (the dedicated unit).
        baseline, antivirus, agent, host, rack = data.SERVER_CONTROLS[hostname]
        host_id = db.session.execute(db.select(Server.id).where(Server.hostname == host)).scalar() if host else None
        server = Server(hostname=hostname, addresses=[f"127.0.10.{number}"], kind=kind,
                        operating_system=os_name, role=role, agency_id=agencies["CSIRT"].id,
                        systems=[systems[system_code]] if system_code else [], baseline_ports=baseline,
                        antivirus_expected=antivirus, agent_expected=agent, host_id=host_id,
                        data_centre=data.DATA_CENTRE, rack=rack)
        db.session.add(server)
        db.session.flush()
        record(None, "server.create", server, after=snapshot(server, SERVER_FIELDS), actor_name="console")
        created["servers"] += 1
    db.session.commit()
    return systems


# --- the four layers, assessments and the compliance trend -----------------------------
# Dates are relative to the day of loading (`today`), so the mix of states (valid, expiring,
# expired, missing) is the same whenever the demo is loaded. A system that already has layer
# records (or assessments) is left as it is.

def _load_layers(systems, author, today):
    for code, specs in data.LAYER_RECORDS.items():
        system = systems[code]
        if db.session.execute(db.select(LayerRecord.id).where(LayerRecord.system_id == system.id)).first():
            continue
        for layer, provider, reference, started, ends in specs:
            item = LayerRecord(system_id=system.id, layer=layer, provider=provider, reference=reference,
                               valid_from=today - timedelta(days=started),
                               valid_to=None if ends is None else today + timedelta(days=ends),
                               last_verified=today - timedelta(days=min(started, 30)), created_by_id=author.id)
            db.session.add(item)
            db.session.flush()
            record(None, "layer.create", item, after={"system_id": system.id, "layer": layer, "provider": provider,
                                                      "reference": reference}, actor_name="console")
    for code, (ago, assessor, kind, report, summary, findings) in data.ASSESSMENTS.items():
        system = systems[code]
        if db.session.execute(db.select(Assessment.id).where(Assessment.system_id == system.id)).first():
            continue
        performed = today - timedelta(days=ago)
        item = Assessment(system_id=system.id, performed_on=performed, assessor=assessor, kind=kind,
                          report_reference=report, summary=summary, created_by_id=author.id)
        db.session.add(item)
        db.session.flush()
        for title, severity, owner, due_in, closed_ago in findings:
            db.session.add(Finding(assessment_id=item.id, title=title, severity=severity, remediation_owner=owner,
                                   due_on=today + timedelta(days=due_in),
                                   closed_on=None if closed_ago is None else today - timedelta(days=closed_ago)))
        record(None, "assessment.create", item, after={"system_id": system.id, "assessor": assessor,
                                                       "performed_on": performed.isoformat(),
                                                       "findings": len(findings)}, actor_name="console")
    db.session.commit()


def _load_snapshots(today):
    """The past months' snapshots, as the monthly job would have written them."""
    month = month_start(today)
    for _number in range(data.SNAPSHOT_MONTHS):
        month = previous_month(month)
        take_snapshot(month)


# --- incidents -----------------------------------------------------------------------
# Each incident's history is a generator: it yields the moment of its next step, and the
# scheduler in `_load_incidents` runs the earliest pending step of all incidents with the clock
# set to that moment. So ids, references, timeline and audit all follow the order of time.

class _Story:
    """The moments of one incident's history: each step a little later, never after `limit`."""

    def __init__(self, start, limit, rng):
        self.moment, self.limit, self.rng = min(start, limit), limit, rng

    def later(self, low_minutes, high_minutes):
        step = timedelta(minutes=self.rng.randint(low_minutes, high_minutes))
        self.moment = min(self.moment + step, self.limit)
        return self.moment


class _Cast:
    """Who plays which part in an incident."""

    def __init__(self, people):
        self.people = people
        self.coordinators = [u for u in people.values() if u.role == "coordinator"]
        self.responders = [u for u in people.values() if u.role == "responder"]

    def liaison(self, agency):
        for user in self.people.values():
            if user.role == "member" and user.agency_id == agency.id:
                return user
        return self.coordinators[0]

    def reporter(self, spec, agency, coordinator):
        if spec["by"] == "liaison":
            return self.liaison(agency)
        if spec["by"] == "coordinator":
            return coordinator
        return self.people[spec["by"]]


def _discovered(spec, now, rng):
    """When the incident was discovered, as naive local time (what a person types)."""
    today = utc_to_local(now).replace(tzinfo=None)
    local = (today - timedelta(days=spec["ago"])).replace(hour=spec["hour"], minute=rng.randint(0, 59),
                                                          second=0, microsecond=0)
    latest = utc_to_local(now - timedelta(hours=3, minutes=rng.randint(0, 360))).replace(tzinfo=None)
    return min(local, latest.replace(second=0, microsecond=0))


def _incident_data(spec, agency, systems, discovered_local):
    return {
        "title": spec["title"], "description": spec["description"], "category": spec["category"],
        "sub_type": spec.get("sub_type", ""), "severity": spec.get("severity", "ordinary"),
        "priority": spec["priority"], "tlp": spec["tlp"], "agency_id": agency.id,
        "discovered_at": discovered_local,
    }


def _links(spec, systems, reporter):
    """The incident's links to the systems and servers its spec names: ({field: ids the reporter
    may see}, {field: all ids} when the reporter cannot see some, else None). A liaison links what
    their agency owns; the coordinator links the rest right after."""
    hostnames = [h.strip() for h in spec.get("servers", "").split(",") if h.strip()]
    wanted = {"system_ids": sorted(systems[c.strip()].id for c in spec.get("systems", "").split(",") if c.strip()),
              "server_ids": sorted(db.session.execute(db.select(Server.id).where(Server.hostname.in_(hostnames)))
                                   .scalars()) if hostnames else []}
    seen = {"system_ids": systems_policy.visible_systems(reporter, db.select(InformationSystem.id)),
            "server_ids": systems_policy.visible_servers(reporter, db.select(Server.id))}
    model = {"system_ids": InformationSystem, "server_ids": Server}
    own = {key: sorted(db.session.execute(seen[key].where(model[key].id.in_(ids))).scalars()) if ids else []
           for key, ids in wanted.items()}
    return own, (wanted if own != wanted else None)


RECIPIENTS = {"2017": "VNCERT/CC – Trung tâm Ứng cứu khẩn cấp máy tính Việt Nam",
              "2026": "Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao (A05), Bộ Công an"}


def _report_sent(coordinator, incident, moment, duty, kind, number):
    """The coordinator records the report of `duty` as sent now, if the incident has that duty."""
    clock = next((c for c in incident.clocks if c.key == duty), None)
    if clock is None or clock.stopped_at is not None:
        return
    sent_reports.record_sent(coordinator, incident, {
        "duty": duty, "kind": kind, "channel": "email", "sent_at": moment,
        "recipient": RECIPIENTS.get(clock.regime, RECIPIENTS["2026"]),
        "reference": f"{number}/BC-CSIRT", "note": ""})


def _play(spec, agencies, systems, cast, coordinator, assignee, now, rng):
    """Open one incident and take it along the lifecycle to its demo status (a generator)."""
    agency = agencies[spec["agency"]]
    reporter = cast.reporter(spec, agency, coordinator)
    discovered_local = _discovered(spec, now, rng)
    story = _Story(local_to_utc(discovered_local), now - timedelta(minutes=1), rng)
    target, category = spec["status"], spec["category"]
    yield story.later(15, 180)
    own_links, all_links = _links(spec, systems, reporter)
    incident = incident_services.open_incident(
        reporter, {**_incident_data(spec, agency, systems, discovered_local), **own_links},
        source=spec.get("source", "manual"))
    if all_links:
        yield story.later(5, 30)
        incident_services.update_incident(coordinator, incident, all_links)
    if target == "new":
        return
    if target == "rejected" and spec.get("reject_from") != "triaged":
        yield story.later(30, 240)
        incident_services.change_status(coordinator, incident, "rejected", note=spec["close"], reason=spec["reason"])
        return
    yield story.later(5, 90)
    oncall_ack.acknowledge(coordinator, incident)  # the first response: stops the escalation
    yield story.later(20, 120)
    incident_services.change_status(coordinator, incident, "triaged",
                                    note=f"Đã xác minh và phân loại; giao {assignee.full_name} xử lý.")
    yield story.later(1, 5)
    incident_services.assign_incident(coordinator, incident, assignee.id)
    if target == "rejected":
        yield story.later(60, 300)
        incident_services.change_status(coordinator, incident, "rejected", note=spec["close"], reason=spec["reason"])
        return
    if incident.severity == "serious":
        yield story.later(10, 60)
        incident_services.add_note(coordinator, incident, data.SERIOUS_NOTE, kind="action")
        if target in WORK_STAGES[1:] or target == "closed":  # the demo leaves the early ones overdue
            yield story.later(60, 600)
            _report_sent(coordinator, incident, story.moment, "incident.notice", "notice", 100 + incident.id)
    tasks = []
    for title, done_at in data.STEP_TASKS[category]:
        yield story.later(2, 15)
        due = story.moment + timedelta(days=rng.randint(1, 3))
        tasks.append((incident_tasks.add_task(coordinator, incident, title, owner_id=assignee.id, due_at=due),
                      done_at))
    for who, kind, body in spec.get("notes", ()):
        actor = {"liaison": cast.liaison(agency), "assignee": assignee, "coordinator": coordinator}[who]
        yield story.later(30, 240)
        incident_services.add_note(actor, incident, body, kind=kind)
    stages = WORK_STAGES[:WORK_STAGES.index(target) + 1] if target in WORK_STAGES else ()
    if target == "closed":
        stages = WORK_STAGES
    for step, stage in enumerate(stages):
        for task, done_at in tasks:
            if done_at == stage:
                yield story.later(30, 600)
                incident_tasks.set_task_done(assignee, incident, task.id)
        yield story.later(60, 1440)
        incident_services.change_status(assignee, incident, stage, note=data.STEP_NOTES[category][step])
    if incident.severity == "serious" and (target == "closed" or target in WORK_STAGES[2:]):
        yield story.later(30, 240)
        _report_sent(coordinator, incident, story.moment, "incident.report", "report", 200 + incident.id)
    if target == "closed":
        yield story.later(240, 2880)
        incident_services.change_status(coordinator, incident, "closed", note=spec["close"])
        if incident.severity == "serious":
            yield story.later(60, 2880)
            _report_sent(coordinator, incident, story.moment, "incident.closing_report", "closing", 300 + incident.id)


def _load_incidents(agencies, systems, people, created):
    titles = [spec["title"] for spec in data.INCIDENTS]
    existing = set(db.session.execute(db.select(Incident.title).where(Incident.title.in_(titles))).scalars())
    cast = _Cast(people)
    now = utcnow()
    pending = []  # heap of (moment of the next step, incident number, history)
    for index, spec in enumerate(data.INCIDENTS):
        if spec["title"] in existing:
            continue
        coordinator = cast.coordinators[index % len(cast.coordinators)]
        assignee = cast.responders[index % len(cast.responders)]
        history = _play(spec, agencies, systems, cast, coordinator, assignee, now, random.Random(SEED + index))
        heapq.heappush(pending, (next(history), index, history))
        created["incidents"] += 1
    while pending:
        moment, index, history = heapq.heappop(pending)
        with moved_to(moment):
            following = next(history, None)
        if following is not None:
            heapq.heappush(pending, (following, index, history))


def _load_rotation(people, since):
    """The two-layer weekly rotation over the responders, running since the Monday on or before
    `since`; skipped when a rotation with its key exists."""
    spec = data.ROTATION
    if db.session.execute(db.select(Rotation.id).where(Rotation.key == spec["key"])).first():
        return
    layers = [{"name": name, "members": [people[username_for(full)].id for full in names]}
              for name, names in spec["layers"]]
    oncall_services.create_rotation(None, {**{k: v for k, v in spec.items() if k != "layers"}, "layers": layers,
                                           "starts_on": since - timedelta(days=since.weekday()), "active": True})


def load():
    """Load the demo province; returns totals in the database and what this call created.

    Needs an application context; outside a request the messages use the default locale (the
    locale selector reads the session, which only exists in a request).

    Refused with a DomainError when `CSIRT_ENV=production`: the demo members are coordinators
    and managers whose password is documented."""
    if current_app.config.get("CSIRT_ENV") == "production":
        raise DomainError(_("The demo data is never loaded into a production installation "
                            "(CSIRT_ENV=production): its members sign in with a published password."))
    password = _demo_password()  # refuse a weak one before creating anything
    created = {"agencies": 0, "members": 0, "servers": 0, "systems": 0, "incidents": 0, "alerts": 0, "checks": 0}
    setup_time = utcnow() - timedelta(days=SETUP_DAYS_AGO)
    locale = nullcontext() if has_request_context() else force_locale(current_app.config["BABEL_DEFAULT_LOCALE"])
    with locale:
        with moved_to(setup_time):
            agencies = _load_agencies(created)
            people = _load_members(agencies, password, created)
            systems = _load_systems(agencies, created)
        today = utc_to_local(utcnow()).date()
        _load_layers(systems, people[data.LAYER_AUTHOR], today)
        _load_snapshots(today)
        _load_incidents(agencies, systems, people, created)
        _load_rotation(people, utc_to_local(setup_time).date())
        # the scheduled checks of the 15 servers, and their heartbeats (demo/checks.py)
        created["checks"] += load_checks(people[data.LAYER_AUTHOR], agencies["CSIRT"].id)
        load_heartbeats()
        alerts, opened = load_alerts(people)  # routed by the playbooks into more incidents
        created["alerts"] += alerts
        created["incidents"] += opened
    summary = {"agencies": _count(Agency), "members": _count(User), "servers": _count(Server),
               "systems": _count(InformationSystem), "incidents": _count(Incident), "alerts": _count(Alert)}
    summary["created"] = created
    return summary
