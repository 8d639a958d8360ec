"""What people read on the compliance dashboard: the statuses, the layers and the controls
(DOMAIN.md §4 and §7 words)."""
from ...catalogue import lazy_gettext as _l
from ...systems.compliance import EXPIRED, EXPIRING, MISSING, VALID

STATUSES = {VALID: _l("Valid"), EXPIRING: _l("Expiring"), EXPIRED: _l("Expired"), MISSING: _l("Missing")}
BADGES = {VALID: "text-bg-success", EXPIRING: "text-bg-warning", EXPIRED: "text-bg-danger",
          MISSING: "text-bg-secondary"}
LAYERS = {
    1: _l("On-site force"),
    2: _l("Professional monitoring and protection"),
    3: _l("Independent periodic inspection"),
    4: _l("Connection to the national monitoring system"),
}
CONTROLS = {
    "firewall": _l("Firewall baseline"),
    "antivirus": _l("Antivirus software"),
    "agent": _l("Security monitoring agent"),
}


def status_label(status):
    label = STATUSES.get(status)
    return str(label) if label is not None else status


def layer_label(layer):
    label = LAYERS.get(layer)
    return str(label) if label is not None else str(layer)
