"""What csirt already knows for the national forms, as {field key: text}.

Read from the incident and what hangs off it: its reporter and assignee, its agency, the linked
information systems (name, domains, addresses, level, operator, purpose, hosting, layer 2 and
layer 4 providers in force), their servers and the incident's own (operating system, role,
antivirus and monitoring agent), its evidence files, its timeline and tasks, and the reports
already sent (`SentReport`). A key that csirt cannot fill is absent: the form asks it.

Times are shown in the province's time (Asia/Ho_Chi_Minh) as dd/mm/yyyy HH:MM, in every language.
"""
from ...catalogue import gettext as _
from ...clock import utc_to_local
from ...extensions import db
from ...incidents import vocab
from ...incidents.duty_models import HANDLED_WITH
from ...incidents.models import Task, TimelineEntry
from ...rules import keys as rule_keys
from ...rules import lookup as rules
from ...systems import compliance
from ...systems.dates import today
from ...systems.labels import level_label

TIME_FORMAT = "%d/%m/%Y %H:%M"
OFFICIAL_REGIME = "2017"  # the regime whose official forms (Circular 20/2017) these are
HANDLED_STATUSES = ("recovered", "closed")
IN_PROGRESS_STATUSES = ("triaged", "contained", "eradicated")
CONFIDENTIAL_TLPS = ("AMBER", "AMBER+STRICT", "RED")


def local_time(value):
    """A naive UTC datetime as the province's dd/mm/yyyy HH:MM (empty for None)."""
    return utc_to_local(value).strftime(TIME_FORMAT) if value else ""


def regime_of(incident):
    """The reporting regime in force on the incident's day of discovery (from the rules table),
    or None when the table has no notice duty that day."""
    rule = rules.find(rule_keys.INCIDENT_NOTICE, incident.discovered_at)
    return rule.regime if rule is not None else None


def is_official(incident):
    """Whether the official (2017) form applies; else csirt fills its own layout (DOMAIN.md §6)."""
    return regime_of(incident) == OFFICIAL_REGIME


def subject(incident):
    """The e-mail subject of the initial report: "[TBSC] <agency> – <title>"."""
    return f"[TBSC] {incident.agency.name} – {incident.title}"


def handled_with_choices():
    labels = {"in_house": _("By the agency itself"), "domestic": _("With help from domestic organisations"),
              "foreign": _("With help from foreign organisations"),
              "coordinator": _("With help from the national coordinator")}
    return [(key, labels[key]) for key in HANDLED_WITH]


def _joined(values, sep="; "):
    return sep.join(v for v in dict.fromkeys(str(v).strip() for v in values if v) if v)


def _person(user):
    if user is None:
        return {}
    return {"name": user.full_name or user.username, "agency": user.agency.name if user.agency else "",
            "phone": user.phone or "", "email": user.email or ""}


def _layer_providers(systems, layer, day):
    return _joined(rec.provider for s in systems
                   for rec in [compliance.current([r for r in s.layers if r.layer == layer], day)] if rec)


def _servers(incident):
    servers = {s.id: s for s in incident.servers}
    for system in incident.systems:
        for server in system.servers:
            servers.setdefault(server.id, server)
    return sorted(servers.values(), key=lambda s: s.hostname)


def _controls(servers, systems, day):
    parts = []
    antivirus = _joined(s.antivirus_expected for s in servers)
    agents = _joined(s.agent_expected for s in servers)
    if antivirus:
        parts.append(_("Antivirus: %(names)s", names=antivirus))
    if agents:
        parts.append(_("Monitoring agent: %(names)s", names=agents))
    monitored = _layer_providers(systems, 2, day)
    if monitored:
        parts.append(_("Security monitoring (layer 2): %(names)s", names=monitored))
    national = _layer_providers(systems, 4, day)
    if national:
        parts.append(_("Connected to the national monitoring system (layer 4): %(names)s", names=national))
    return "\n".join(parts)


def _handled(incident):
    status = vocab.label(vocab.STATUSES, incident.status)
    if incident.status in HANDLED_STATUSES:
        return _("Handled (%(status)s)", status=status)
    if incident.status in IN_PROGRESS_STATUSES:
        return _("Being handled (%(status)s)", status=status)
    return _("Not yet handled (%(status)s)", status=status)


def _detected_by(incident):
    if incident.source == "alert":
        return _("Monitoring alert (IDS/SIEM)")
    if incident.source == "check":
        return _("Automatic check by csirt")
    return ""


def _actions(incident):
    """What was done: the "action taken" entries of the timeline and the tasks done, in order."""
    # read in SQL, just those two: an incident's timeline may be long (every change writes to it)
    entries = db.session.execute(db.select(TimelineEntry.at, TimelineEntry.body).where(
        TimelineEntry.incident_id == incident.id, TimelineEntry.kind == "action", TimelineEntry.body != "")).all()
    tasks = db.session.execute(db.select(Task.done_at, Task.title).where(
        Task.incident_id == incident.id, Task.done_at.is_not(None))).all()
    done = [(at, body.strip()) for at, body in entries if body.strip()] + [(at, title) for at, title in tasks]
    return "\n".join(f"- {local_time(at)}: {text}" for at, text in sorted(done, key=lambda x: x[0]))


def initial_report(incident):
    """The first initial report sent for the incident (kind 'initial' or the initial-report duty)."""
    sent = [r for r in incident.sent_reports
            if r.kind == "initial" or r.duty == rule_keys.INCIDENT_INITIAL_REPORT]
    return min(sent, key=lambda r: r.sent_at) if sent else None


def recipient(incident):
    regime = regime_of(incident)
    if regime == OFFICIAL_REGIME:
        return _("Viet Nam Computer Emergency Response Team (VNCERT/CC)")
    if regime:
        return _("Ministry of Public Security (the national cybersecurity incident response authority)")
    return ""


def known(incident, now):
    """{field key: text} of everything csirt knows for Forms 03 and 04 (`now`: naive UTC, the
    report's time). Empty values are left out."""
    day = today()
    systems = list(incident.systems)
    servers = _servers(incident)
    reporter = _person(incident.reporter)
    contact = _person(incident.assignee) or reporter
    first = initial_report(incident)
    levels = sorted({s.level for s in systems if s.level})
    values = {
        "recipient": recipient(incident),
        "reporter_name": reporter.get("name"),
        "reporter_agency": reporter.get("agency"),
        "reporter_phone": reporter.get("phone"),
        "reporter_email": reporter.get("email"),
        "contact_name": contact.get("name"),
        "contact_phone": contact.get("phone"),
        "contact_email": contact.get("email"),
        "owner_agency": _joined([s.owner_agency.name for s in systems if s.owner_agency] or [incident.agency.name]),
        "operator": _joined(s.operator for s in systems),
        "system_name": _joined([s.name for s in systems] + [incident.affected_systems]),
        "domains": _joined((d for s in systems for d in s.domains or []), ", "),
        "addresses": _joined([a for s in systems for a in s.public_addresses or []]
                             + [a for s in servers for a in s.addresses or []], ", "),
        "system_level": ", ".join(level_label(n) for n in levels),
        "hosting": _joined(s.hosting for s in systems),
        "security_provider": _layer_providers(systems, 2, day),
        "incident_name": f"{incident.title} ({incident.reference})",
        "description": incident.description,
        "discovered_at": local_time(incident.discovered_at),
        "handled": _handled(incident),
        "detected_by": _detected_by(incident),
        "notified": _joined(r.recipient for r in incident.sent_reports),
        "operating_system": _joined(f"{s.hostname}: {s.operating_system}" for s in servers if s.operating_system),
        "services": _joined(f"{s.hostname}: {s.role}" for s in servers if s.role),
        "controls": _controls(servers, systems, day),
        "purpose": _joined(s.purpose for s in systems),
        "attachments": "\n".join(e.original_name for e in incident.evidence),
        "confidential": (_("Yes (TLP:%(tlp)s)", tlp=incident.tlp) if incident.tlp in CONFIDENTIAL_TLPS
                         else _("No (TLP:%(tlp)s)", tlp=incident.tlp)),
        "report_time": local_time(now),
        "initial_reference": first.reference if first else "",
        "initial_date": local_time(first.sent_at) if first else "",
        "outcome": incident.resolution if incident.status in HANDLED_STATUSES else "",
        "actions": _actions(incident),
    }
    return {k: str(v) for k, v in values.items() if v}
