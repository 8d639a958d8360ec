"""csirt's own scheduled checks: a work item's change of state as one canonical alert.

A check that starts failing fires; one that passes again (pass or warn) resolves. Both carry the
same fingerprint, stable per (configuration, server), so a failure that persists updates one
incident and the recovery closes it (the shipped check-* playbooks group by labels.check and
labels.server). Labels: check (the kind), server (the inventory host name), config (the
configuration's name) and, for the firewall, ports (the open ports outside the baseline).

Title and description are written in the province's default locale (BABEL_DEFAULT_LOCALE): an
alert is stored once and read by everyone. Needs an app context (for the locale), no database.
"""
from flask import current_app
from flask_babel import force_locale

from .. import markdown
from ..alerts import canonical
from ..alerts.normalise.fields import raw as cut_raw
from ..catalogue import gettext as _
from . import display

SOURCE = "check"
FORMAT = "check"
SEVERITY = "high"


def fingerprint(config_id, server_id):
    """Stable per configuration and server, in every process."""
    return f"check:{int(config_id)}:{int(server_id)}"


def _ports(kind, details):
    if kind != "firewall" or not isinstance(details, dict):
        return None
    return ", ".join(str(p) for p in details.get("unexpected") or [])


def _clip(text, cap):
    text = " ".join(str(text).split())
    return text if len(text) <= cap else text[:cap - 1] + "…"


def from_transition(*, kind, config_id, config_name, server_id, hostname, status, details, occurred_at,
                    firing):
    """The canonical alert of a work item that starts failing (`firing`) or passes again (not
    `firing`); `status` and `details` are the run's result, `occurred_at` its end (naive UTC)."""
    labels = {"check": kind, "server": hostname, "config": _clip(config_name, canonical.LABEL_VALUE_MAX)}
    ports = _ports(kind, details if firing else {})
    if ports is not None and firing:
        labels["ports"] = _clip(ports, canonical.LABEL_VALUE_MAX)
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE") or "vi"):
        what = display.kind_label(kind)
        if firing:
            title = _("Check failed: %(check)s on %(server)s", check=what, server=hostname)
        else:
            title = _("Check passes again: %(check)s on %(server)s", check=what, server=hostname)
        # the details come partly from the network (certificate names, a portal's redirect):
        # escaped, since incident pages render a description as Markdown
        description = markdown.escape(display.summary(kind, status, details))
        description = _("%(summary)s (configuration: %(config)s)", summary=description,
                        config=markdown.escape(config_name))
    return canonical.Alert(
        source=SOURCE, format=FORMAT, severity=SEVERITY, status="firing" if firing else "resolved",
        title=_clip(title, canonical.TITLE_MAX), description=description[:canonical.DESCRIPTION_MAX],
        occurred_at=occurred_at, fingerprint=fingerprint(config_id, server_id), host=hostname.lower(), labels=labels,
        raw=cut_raw({"kind": kind, "status": status, "details": details, "config_id": config_id,
                     "server_id": server_id}))
