"""What people read on the audit page: translated action names, object kinds, field names and
channels. Codes stay in the database; an unknown code is shown as itself."""
from ...catalogue import gettext as _
from ...catalogue import lazy_gettext as _l
from ...incidents import vocab

# Every action the code writes (a test greps `record(` to keep this list complete).
ACTIONS = {
    "incident.create": _l("Incident opened"),
    "incident.update": _l("Incident edited"),
    "incident.status": _l("Incident status changed"),
    "incident.acknowledge": _l("Incident acknowledged"),
    "incident.reopen": _l("Incident reopened"),
    "incident.note": _l("Note added"),
    "incident.action": _l("Action taken recorded"),
    "incident.report_sent": _l("Report sent to an authority recorded"),
    "incident.export": _l("Incidents exported"),
    "evidence.add": _l("Evidence uploaded"),
    "evidence.download": _l("Evidence downloaded"),
    "task.create": _l("Task added"),
    "task.done": _l("Task completed"),
    "task.reopen": _l("Task reopened"),
    "user.create": _l("Member created"),
    "user.update": _l("Member edited"),
    "user.enable": _l("Member account enabled"),
    "user.disable": _l("Member account disabled"),
    "user.reset_password": _l("Password reset by an administrator"),
    "agency.create": _l("Agency created"),
    "agency.update": _l("Agency edited"),
    "token.create": _l("API token created"),
    "token.revoke": _l("API token revoked"),
    "auth.login": _l("Signed in"),
    "auth.login_failed": _l("Failed sign-in"),
    "auth.login_locked": _l("Sign-in refused (too many attempts)"),
    "auth.logout": _l("Signed out"),
    "auth.password_change": _l("Password changed"),
    "auth.password_change_failed": _l("Password change failed"),
    "auth.password_change_locked": _l("Password change refused (too many attempts)"),
    "auth.unlock": _l("Sign-in lock cleared"),
    "auth.denied": _l("Access denied"),
    "system.create": _l("Information system created"),
    "server.create": _l("Server created"),
    "system.update": _l("Information system changed"),
    "server.update": _l("Server changed"),
    "system.archive": _l("Information system archived"),
    "system.restore": _l("Information system restored"),
    "server.archive": _l("Server archived"),
    "server.restore": _l("Server restored"),
    "system.export": _l("Information systems exported"),
    "server.export": _l("Servers exported"),
    "systems.import": _l("Information systems and servers imported from CSV"),
    "alerts.ingest": _l("Alerts received"),
    "layer.create": _l("Protection layer recorded"),
    "layer.update": _l("Protection layer edited"),
    "layer.verify": _l("Protection layer verified"),
    "layer.evidence_add": _l("Layer evidence file uploaded"),
    "layer.evidence_download": _l("Layer evidence file downloaded"),
    "assessment.create": _l("Assessment recorded"),
    "assessment.finding_close": _l("Finding closed"),
    "compliance.export": _l("Compliance figures exported"),
    "dashboard.export": _l("Dashboard figures exported"),
    "system.dossier": _l("Level dossier downloaded"),
    "incident.facts": _l("National report answers saved"),
    "incident.national_report": _l("National report downloaded"),
    "summary.export": _l("Summary report (Form 05) downloaded"),
    "statistics.export": _l("Incident statistics exported"),
    "annual_report.export": _l("Annual report on information systems downloaded"),
    "rule.create": _l("Rule added"),
    "rule.update": _l("Rule edited"),
    "rule.supersede": _l("Rule ended by a new version"),
    "rotation.create": _l("On-call rotation created"),
    "rotation.update": _l("On-call rotation edited"),
    "rotation.archive": _l("On-call rotation archived"),
    "rotation.restore": _l("On-call rotation restored"),
    "rotation.override_add": _l("On-call override added"),
    "rotation.override_remove": _l("On-call override removed"),
    "calendar_feed.create": _l("Calendar feed created"),
    "calendar_feed.revoke": _l("Calendar feed revoked"),
    "notify.method_added": _l("Notification address added"),
    "notify.method_removed": _l("Notification address removed"),
    "notify.method_enabled": _l("Notification address turned on"),
    "notify.method_disabled": _l("Notification address turned off"),
    "notify.quiet_hours": _l("Quiet hours changed"),
    "notify.test": _l("Test notification sent"),
    "notify.retried": _l("Notification retried"),
    "check.create": _l("Check configured"),
    "check.update": _l("Check edited"),
    "check.enable": _l("Check turned on"),
    "check.disable": _l("Check turned off"),
    "check.delete": _l("Check deleted"),
    "check.run_now": _l("Check asked to run now"),
    "heartbeat.grant": _l("Heartbeat token issued"),
}

# Groups of the action filter, by the part of the code before the dot.
ACTION_GROUPS = {
    "incident": _l("Incidents"), "evidence": _l("Evidence"), "task": _l("Tasks"),
    "user": _l("Members"), "agency": _l("Agencies"), "token": _l("API tokens"),
    "auth": _l("Sign-in and access"), "system": _l("Information systems"), "server": _l("Servers"),
    "rule": _l("Rules"), "compliance": _l("Compliance"), "dashboard": _l("Dashboard"),
    "layer": _l("Protection layers"), "assessment": _l("Assessments"),
    "systems": _l("Inventory import"),
    "rotation": _l("On-call rotations"), "calendar_feed": _l("Calendar feeds"),
    "notify": _l("Notifications"),
    "check": _l("Scheduled checks"), "heartbeat": _l("Heartbeats"),
}

OBJECT_TYPES = {
    "incident": _l("Incident"),
    "evidence": _l("Evidence"),
    "incident_task": _l("Task"),
    "user_account": _l("Member"),
    "user": _l("User name"),  # a sign-in attempt names the typed user name, known or not
    "agency": _l("Agency"),
    "api_token": _l("API token"),
    "route": _l("Page or API address"),
    "information_system": _l("Information system"),
    "dashboard": _l("Dashboard"),
    "server": _l("Server"),
    "inventory": _l("Inventory"),
    "rule": _l("Rule"),
    "layer_record": _l("Protection layer record"),
    "layer_evidence": _l("Layer evidence file"),
    "assessment": _l("Assessment"),
    "finding": _l("Finding"),
    "alert": _l("Alert"),
    "rotation": _l("On-call rotation"),
    "rotation_override": _l("On-call override"),
    "calendar_feed": _l("Calendar feed"),
    "notification": _l("Notification"),
    "contact_method": _l("Notification address"),
    "notify_preference": _l("Notification settings"),
    "check_config": _l("Check"),
    "server_check": _l("Check of a server"),
}

CHANNELS = {
    "web": _l("Web"),
    "api": _l("API"),
    "cli": _l("Command line (CLI)"),
    "scheduler": _l("Scheduler"),
    "system": _l("System"),
}
CHANNEL_BADGES = {"web": "text-bg-primary", "api": "text-bg-info", "cli": "text-bg-dark",
                  "scheduler": "text-bg-warning", "system": "text-bg-secondary"}

FIELDS = {
    **vocab.FIELDS,
    "status": _l("Status"), "resolution": _l("Outcome"),
    "reject_reason": _l("Reason for rejection"), "reporter_id": _l("Reporter"),
    "timeline_entry": _l("Content"), "incident_id": _l("Incident"),
    "owner_id": _l("Owner"), "due_at": _l("Due"), "done_at": _l("Completed at"), "done_by_id": _l("Completed by"),
    "size": _l("Size (bytes)"), "sha256": "SHA-256",
    "user_id": _l("Member"), "scopes": _l("Scopes"), "expires_at": _l("Expires"), "revoked_at": _l("Revoked at"),
    "cleared": _l("Counters cleared"), "rule": _l("Rule that refused"),
    "username": _l("User name"), "full_name": _l("Full name"), "email": _l("E-mail"), "phone": _l("Phone"),
    "phone_alt": _l("Second phone"), "chat_handles": _l("Chat handles (Zalo, Telegram, ...)"),
    "skills": _l("Skills"), "certifications": _l("Certifications"), "role": _l("Role"),
    "active": _l("Active"), "code": _l("Code"), "name": _l("Name"), "kind": _l("Kind"),
    "address": _l("Address"),
    # a denied or unanswerable request (auth.denied)
    "answer": _l("Answer given"), "record": _l("Record asked for"),
    "suppressed": _l("Similar attempts left out of the log"),
    # the filters of an incident export
    "agency": _l("Affected agency"), "assignee": _l("Assignee"), "q": _l("Search text"),
}
# The same key means something else on another kind of object.
FIELDS_BY_TYPE = {
    "user_account": {"title": _l("Job title")},
    "evidence": {"name": _l("File name")},
    "api_token": {"name": _l("Token name")},
    "rule": {"regime": _l("Regime"), "key": _l("Rule"), "level": _l("Security level"), "value": _l("Value"),
             "unit": _l("Unit"), "legal_reference": _l("Legal reference"), "effective_from": _l("In force from"),
             "effective_to": _l("In force until (exclusive)"), "confirmed": _l("Confirmed"), "notes": _l("Notes"),
             "replaces": _l("Replaces rule")},
    "rotation": {"key": _l("Key"), "description": _l("Description"), "time_zone": _l("Time zone"),
                 "handover_time": _l("Hand-over time"), "shift_kind": _l("Shift length"),
                 "shift_hours": _l("Shift length (hours)"), "starts_on": _l("First hand-over on"),
                 "layers": _l("Layers and members"), "overrides_removed": _l("Overrides removed")},
    "rotation_override": {"rotation_id": _l("On-call rotation"), "layer_position": _l("Layer"),
                          "user_id": _l("Who covers"), "starts_at": _l("From"), "ends_at": _l("Until"),
                          "reason": _l("Reason"), "note": _l("Note")},
    "calendar_feed": {"rotation_id": _l("On-call rotation"), "user_id": _l("Shifts of")},
    "check_config": {"server_id": _l("Server"), "agency_id": _l("Agency"), "level": _l("Security level"),
                     "params": _l("Parameters"), "interval_seconds": _l("Interval (seconds)"),
                     "timeout_seconds": _l("Timeout (seconds)"), "enabled": _l("Turned on")},
    "server_check": {"next_run_at": _l("Next run")},
    "server": {"token_id": _l("API token"), "token_name": _l("Token name"), "expires_at": _l("Expires")},
}


def action_label(code):
    """The translated name of an action, or its code when it has none."""
    label = ACTIONS.get(code)
    return str(label) if label is not None else (code or "")


# The kinds of record a NotFound names, as the object types they stand for.
RECORD_KINDS = {"task": "incident_task", "token": "api_token", "user": "user_account"}


def record_kind_label(kind):
    return object_type_label(RECORD_KINDS.get(kind, kind))


def object_type_label(code):
    label = OBJECT_TYPES.get(code)
    return str(label) if label is not None else (code or "")


def field_label(object_type, key):
    label = FIELDS_BY_TYPE.get(object_type, {}).get(key) or FIELDS.get(key)
    return str(label) if label is not None else key


def channel_badge(channel, via=None):
    """(text, css class) of the channel badge: "Web", "API (token name #id)", "CLI", ...;
    (None, None) for entries written before channels were recorded."""
    if not channel:
        return None, None
    label = CHANNELS.get(channel)
    text = str(label) if label is not None else channel
    if via:
        text = _("%(channel)s (%(via)s)", channel=text, via=via)
    return text, CHANNEL_BADGES.get(channel, "text-bg-secondary")


def action_choices():
    """[(group label, [(code, label), ...]), ...] for the action filter, in reading order."""
    groups = {}
    for code in ACTIONS:
        groups.setdefault(code.split(".", 1)[0], []).append((code, action_label(code)))
    return [(str(ACTION_GROUPS.get(prefix, prefix)), items) for prefix, items in groups.items()]


def object_type_choices():
    return [(code, str(label)) for code, label in OBJECT_TYPES.items()]


def channel_choices():
    return [(code, str(label)) for code, label in CHANNELS.items()]
