"""Translated labels of the inventory's fields and closed vocabularies (DOMAIN.md §3, §7).
Keys are stored; labels are what people read."""
from ..catalogue import gettext as _
from ..catalogue import lazy_gettext as _l

INFORMATION_KINDS = {
    "public": _l("Public information"),
    "internal": _l("Internal information"),
    "confidential": _l("Confidential information"),
    "state_secret": _l("State secrets"),
}
SERVED = {
    "internal": _l("Internal operations of the agency"),
    "public_service": _l("Services to people and businesses"),
    "infrastructure": _l("Shared infrastructure of the province"),
    "national_critical": _l("National critical information infrastructure"),
}
SERVER_KINDS = {"physical": _l("Physical server"), "virtual": _l("Virtual server")}

SYSTEM_FIELDS = {
    "code": _l("Code"),
    "name": _l("Name"),
    "level": _l("Security level"),
    "owner_agency_id": _l("Owner agency"),
    "operator": _l("Operator"),
    "purpose": _l("Purpose"),
    "description": _l("Description"),
    "information_kind": _l("Information it holds"),
    "served": _l("Whom it serves"),
    "classification_notes": _l("Classification notes"),
    "level_decision": _l("Level approval decision"),
    "level_decision_date": _l("Decision date"),
    "level_approver": _l("Approved by"),
    "domains": _l("Domains"),
    "public_addresses": _l("Public IP addresses"),
    "hosting": _l("Hosting"),
    "server_ids": _l("Servers"),
    "archived_at": _l("Archived"),
}
SERVER_FIELDS = {
    "hostname": _l("Host name"),
    "agency_id": _l("Agency"),
    "addresses": _l("IP addresses"),
    "kind": _l("Kind"),
    "host_id": _l("Host (physical server)"),
    "operating_system": _l("Operating system"),
    "role": _l("Role"),
    "data_centre": _l("Data centre"),
    "rack": _l("Rack"),
    "baseline_ports": _l("Firewall baseline (allowed open ports)"),
    "antivirus_expected": _l("Antivirus expected (product)"),
    "agent_expected": _l("Monitoring agent expected"),
    "system_ids": _l("Information systems"),
    "archived_at": _l("Archived"),
}


def label(vocab, key):
    value = vocab.get(key)
    return str(value) if value is not None else (key or "—")


def level_label(level):
    return _("Level %(n)d", n=level) if level else "—"


def level_badge(level):
    """The badge class of a security level: the higher, the darker."""
    return {1: "text-bg-light border", 2: "text-bg-secondary", 3: "text-bg-primary", 4: "text-bg-warning",
            5: "text-bg-danger"}.get(level, "text-bg-light border")
