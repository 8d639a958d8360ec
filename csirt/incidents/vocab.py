"""Closed vocabularies of the incident domain, with their translated labels.

Keys are stored in the database; labels are what people read (DOMAIN.md §5, §7).
"""
from ..catalogue import lazy_gettext as _l

# The ten national categories of Form 05, in the order of the form.
CATEGORIES = {
    "dos": _l("Denial of service"),
    "spoofing": _l("Spoofing"),
    "malware": _l("Malware"),
    "unauthorized_access": _l("Unauthorised access, takeover"),
    "defacement": _l("Website defacement"),
    "ransomware": _l("Encryption of software, data or devices (ransomware)"),
    "destruction": _l("Destruction of information, data or software"),
    "data_theft": _l("Eavesdropping, espionage, data theft"),
    "combined": _l("Combined attack"),
    "other": _l("Other"),
}

SUB_TYPES = {
    "": _l("(none)"),
    "phishing": _l("Phishing"),
    "data_leak": _l("Data leak"),
    "botnet": _l("Botnet"),
    "web_shell": _l("Web shell"),
    "brute_force": _l("Brute force"),
    "vulnerability_exploit": _l("Vulnerability exploitation"),
    "cryptomining": _l("Cryptomining"),
    "apt": _l("Targeted attack (APT)"),
    "lost_device": _l("Lost or stolen device"),
    "misconfiguration": _l("Misconfiguration"),
}

SEVERITIES = {"ordinary": _l("Ordinary"), "serious": _l("Serious")}

PRIORITIES = {"P1": _l("P1 – critical"), "P2": _l("P2 – high"), "P3": _l("P3 – medium"),
              "P4": _l("P4 – low")}

TLPS = {"CLEAR": "TLP:CLEAR", "GREEN": "TLP:GREEN", "AMBER": "TLP:AMBER",
        "AMBER+STRICT": "TLP:AMBER+STRICT", "RED": "TLP:RED"}

SOURCES = {"manual": _l("Manual"), "alert": _l("Alert"), "check": _l("Check")}

STATUSES = {
    "new": _l("New"),
    "triaged": _l("Triaged"),
    "contained": _l("Contained"),
    "eradicated": _l("Eradicated"),
    "recovered": _l("Recovered"),
    "closed": _l("Closed"),
    "rejected": _l("Rejected"),
}

REJECT_REASONS = {
    "duplicate": _l("Duplicate"),
    "false_positive": _l("False positive"),
    "out_of_scope": _l("Out of scope"),
}

TIMELINE_KINDS = {
    "created": _l("Created"),
    "note": _l("Note"),
    "action": _l("Action taken"),
    "status": _l("Status change"),
    "assignment": _l("Assignment"),
    "edit": _l("Edited"),
    "task": _l("Task"),
    "evidence": _l("Evidence"),
    "alert": _l("Alert"),
    "acknowledged": _l("Acknowledged"),
    "escalation": _l("Escalation"),
    "notified": _l("Notified"),
    "facts": _l("National report answers"),
    "report": _l("Report sent"),
}

# reports sent to an authority (csirt/incidents/sent_reports.py; duty_models.REPORT_KINDS, CHANNELS)
REPORT_KINDS = {
    "notice": _l("Notice"), "initial": _l("Initial report"), "preliminary": _l("Preliminary report"),
    "update": _l("Update"), "closing": _l("Closing report"), "report": _l("Report"), "other": _l("Other"),
}
REPORT_CHANNELS = {
    "email": _l("E-mail"), "portal": _l("Reporting portal"), "post": _l("Post (official letter)"), "fax": _l("Fax"),
    "phone": _l("Telephone"), "in_person": _l("In person"), "other": _l("Other"),
}


FIELDS = {
    "title": _l("Title"), "description": _l("Description"), "category": _l("Category"),
    "sub_type": _l("Sub-type"), "severity": _l("Severity"), "priority": _l("Priority"), "tlp": _l("TLP"),
    "agency_id": _l("Affected agency"), "affected_systems": _l("Other systems (not in the inventory)"),
    "affected_servers": _l("Other servers (not in the inventory)"), "discovered_at": _l("Discovered at"),
    "assignee_id": _l("Assignee"), "system_ids": _l("Affected information systems"),
    "server_ids": _l("Affected servers"),
}


def labels(vocab, keys):
    """Translated labels of several keys, joined for display."""
    return ", ".join(label(vocab, k) for k in keys or ())


def label(vocab, key):
    """The translated label of `key`, or the key itself if unknown."""
    value = vocab.get(key)
    return str(value) if value is not None else (key or "")
