"""The canonical alert: what every normaliser produces and every playbook reads."""
from dataclasses import dataclass, field
from datetime import datetime

# One severity scale for every source, lowest first (playbooks compare on it: `gte: high`).
SEVERITIES = ("info", "low", "medium", "high", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
STATUSES = ("firing", "resolved")
SOURCE_MAX = 64
TITLE_MAX = 300
HOST_MAX = 255
DESCRIPTION_MAX = 20000
LABELS_MAX = 64          # labels per alert
LABEL_KEY_MAX = 100
LABEL_VALUE_MAX = 1000
RAW_MAX = 64 * 1024      # bytes of the sender's payload kept with the alert (JSON text)


@dataclass(frozen=True)
class Alert:
    """One alert on the canonical scale. `labels` is a plain dict of str → str (do not mutate);
    `occurred_at` is a naive UTC datetime like every time in the database; `raw` is the sender's
    payload (JSON-serialisable, already cut to RAW_MAX by the normaliser) or None."""

    source: str
    severity: str
    status: str
    title: str
    occurred_at: datetime
    fingerprint: str
    description: str = ""
    host: str = ""
    labels: dict = field(default_factory=dict)
    raw: object = None
    format: str = "generic"  # which normaliser read it: generic, alertmanager, wazuh, check, manual

    def field(self, name):
        """The value of a canonical field by name (used by matchers and group keys)."""
        return getattr(self, name)


@dataclass(frozen=True)
class Context:
    """What csirt knows about the alert's host, looked up by the executor before routing (the
    router itself reads no database): the inventory server the host names ("" if none), the codes
    of the systems it serves, their highest security level (0 when unknown) and the owner agency's
    code ("" when unknown)."""

    agency: str = ""
    system: tuple = ()
    system_level: int = 0
    server: str = ""

    def field(self, name):
        return getattr(self, name)


CONTEXT_FIELDS = ("agency", "system", "system_level", "server")
ALERT_FIELDS = ("source", "severity", "status", "title", "description", "host", "fingerprint", "format")
