"""A check result in words, in the reader's language: labels of kinds and states, badge classes,
and one short sentence per kind and reason (`summary`), used by the pages, the CLI and the API.

`details` comes from the runners and partly from the network (banners, certificate subjects,
host names): it is data, never markup; the templates escape what this module returns.
"""
from flask_babel import format_decimal

from ..catalogue import gettext as _
from ..catalogue import lazy_gettext as _l

KIND_LABELS = {
    "firewall": _l("Firewall exposure"),
    "agent": _l("Monitoring agent"),
    "antivirus": _l("Antivirus"),
    "tls": _l("TLS certificate"),
    "portal": _l("Portal availability"),
}
STATE_LABELS = {
    "never": _l("Not run yet"),
    "pass": _l("Passing"),
    "warn": _l("Warning"),
    "fail": _l("Failing"),
    "error": _l("Could not check"),
    "interrupted": _l("Interrupted"),
}
BADGES = {
    "never": "text-bg-light border",
    "pass": "text-bg-success",
    "warn": "text-bg-warning",
    "fail": "text-bg-danger",
    "error": "text-bg-secondary",
    "interrupted": "text-bg-secondary",
}
MAX_LISTED = 10
MAX_TEXT = 120


def kind_label(kind):
    return str(KIND_LABELS.get(kind, kind))


def state_label(state):
    return str(STATE_LABELS.get(state, state))


def badge(state):
    return BADGES.get(state, "text-bg-light border")


def _short(value):
    text = str(value if value is not None else "")
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def _listed(values):
    values = [str(v) for v in (values or []) if v is not None]
    shown = ", ".join(_short(v) for v in values[:MAX_LISTED])
    if len(values) > MAX_LISTED:
        shown += " " + _("(and %(n)d more)", n=len(values) - MAX_LISTED)
    return shown


def _n(value):
    try:
        return format_decimal(value, format="#,##0.#")
    except (TypeError, ValueError, ArithmeticError):
        return _short(value)


def _age(seconds):
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        return _("an unknown time")
    if seconds < 120:
        return _("%(n)s seconds", n=_n(seconds))
    if seconds < 2 * 3600:
        return _("%(n)s minutes", n=_n(seconds // 60))
    if seconds < 2 * 86400:
        return _("%(n)s hours", n=_n(seconds // 3600))
    return _("%(n)s days", n=_n(seconds // 86400))


# Reasons any kind may give when it could not run.
def _common(reason, d):
    messages = {
        "nmap_missing": lambda: _("nmap is not installed or not found; the scan could not run."),
        "nmap_not_permitted": lambda: _("nmap is not allowed to run this scan type."),
        "not_permitted": lambda: _("nmap is not allowed to run this scan type."),
        "killed": lambda: _("The scan was stopped before it finished."),
        "bad_output": lambda: _("nmap's output could not be read."),
        "bad_ports": lambda: _("The port set is not valid; edit the check."),
        "bad_target": lambda: _("A target is not valid; edit the check."),
        "unresolved": lambda: _("The host name could not be resolved."),
        "host_timeout": lambda: _("A host did not answer the scan in time."),
        "no_result": lambda: _("The scan gave no result for the host."),
        "unknown_kind": lambda: _("This kind of check is not known to this version."),
        "scheduler_stopped": lambda: _("The scheduler stopped during the run; it is retried once."),
        "nmap_failed": lambda: _("nmap failed: %(error)s", error=_short(d.get("error", ""))),
        "timeout": lambda: _("The check did not finish within its timeout."),
        "not_allowed": lambda: _("The target lies outside the networks checks may reach."),
        "no_targets": lambda: _("Nothing to check: the server has no address the checks may reach."),
        "no_addresses": lambda: _("Nothing to check: the server has no address the checks may reach."),
        "resolve_failed": lambda: _("The host name could not be resolved."),
        "interrupted": lambda: _("The scheduler stopped during the run; it is retried once."),
        "internal": lambda: _("The check failed unexpectedly; see the log."),
    }
    make = messages.get(reason)
    return make() if make else None


def _firewall(reason, d):
    unexpected, closed = d.get("unexpected") or [], d.get("closed") or []
    hosts = d.get("hosts") or {}
    down = [h for h, s in hosts.items() if s == "down"] if isinstance(hosts, dict) else []
    parts = []
    if unexpected:
        parts.append(_("Open ports outside the baseline: %(ports)s.", ports=_listed(unexpected)))
    if closed:
        parts.append(_("Baseline ports found closed: %(ports)s.", ports=_listed(closed)))
    if down:
        parts.append(_("Hosts not answering: %(hosts)s.", hosts=_listed(down)))
    if parts:
        return " ".join(parts)
    if reason in ("ok", None):
        return _("Only baseline ports are open.")
    if reason == "open_ports":
        return _("Ports outside the baseline are open.")
    if reason == "closed_ports":
        return _("Baseline ports found closed.")
    if reason == "hosts_down":
        return _("No scanned host answered.")
    return None


def _agent(reason, d):
    name = " ".join(_short(d.get(k)) for k in ("agent_name", "agent_version") if d.get(k))
    age = _age(d.get("age_seconds"))
    messages = {
        "fresh": lambda: (_("Heartbeat from %(agent)s, %(age)s ago.", agent=name, age=age) if name
                          else _("Heartbeat %(age)s ago.", age=age)),
        "stale": lambda: _("The last heartbeat is %(age)s old.", age=age),
        "never": lambda: _("No heartbeat has ever arrived."),
        "port_open": lambda: _("The agent's port %(port)s answers.", port=_short(d.get("port", ""))),
        "port_closed": lambda: _("The agent's port %(port)s does not answer.", port=_short(d.get("port", ""))),
        "wrong_agent": lambda: _("The heartbeat comes from %(agent)s, not the expected agent.", agent=name or "—"),
    }
    make = messages.get(reason)
    return make() if make else None


def _antivirus(reason, d):
    product = _short(d.get("product") or "—")
    messages = {
        "ok": lambda: _("%(product)s is enabled; signatures %(days)s days old.", product=product,
                        days=_n(d.get("signature_age_days", "?"))),
        "no_report": lambda: _("No heartbeat has reported the antivirus yet."),
        "stale_report": lambda: _("The last antivirus report is too old."),
        "missing": lambda: _("No antivirus is reported."),
        "disabled": lambda: _("%(product)s is disabled.", product=product),
        "old_signatures": lambda: _("%(product)s signatures are %(days)s days old.", product=product,
                                    days=_n(d.get("signature_age_days", "?"))),
        "wrong_product": lambda: _("%(product)s is reported, not the expected product.", product=product),
    }
    make = messages.get(reason)
    return make() if make else None


def _tls(reason, d):
    days = _n(d.get("days_left", "?"))
    messages = {
        "ok": lambda: _("The certificate is valid for %(days)s more days.", days=days),
        "expiring": lambda: _("The certificate expires in %(days)s days.", days=days),
        "expired": lambda: _("The certificate has expired."),
        "name_mismatch": lambda: _("The certificate does not name this host (it names %(names)s).",
                                   names=_listed(d.get("names")) or "—"),
        "untrusted": lambda: _("The certificate chain is not trusted."),
        "connect_failed": lambda: _("Could not connect to the TLS service."),
        "handshake_failed": lambda: _("The TLS handshake failed."),
        "no_certificate": lambda: _("The service sent no certificate."),
    }
    make = messages.get(reason)
    return make() if make else None


def _portal(reason, d):
    status, latency = _short(d.get("status", "?")), _n(d.get("latency_ms", "?"))
    messages = {
        "ok": lambda: _("HTTP %(status)s in %(ms)s ms.", status=status, ms=latency),
        "wrong_status": lambda: _("Answered HTTP %(status)s, not the expected status.", status=status),
        "slow": lambda: _("Answered in %(ms)s ms, slower than allowed.", ms=latency),
        "connect_failed": lambda: _("Could not connect to the portal."),
        "redirect_refused": lambda: _("The portal redirects outside the networks checks may reach."),
        "timeout": lambda: _("The portal did not answer in time."),
        "too_many_redirects": lambda: _("The portal redirects too many times."),
        "bad_url": lambda: _("The portal address is not a valid http or https URL; edit the check."),
    }
    make = messages.get(reason)
    return make() if make else None


_KINDS = {"firewall": _firewall, "agent": _agent, "antivirus": _antivirus, "tls": _tls, "portal": _portal}


def summary(kind, status, details):
    """One short sentence for a result of `kind` with `status` and `details` (plain text)."""
    d = details if isinstance(details, dict) else {}
    reason = d.get("reason")
    reason = reason if isinstance(reason, str) else None
    text = None
    if status == "interrupted":
        text = _common("interrupted", d)
    if text is None and kind in _KINDS:
        text = _KINDS[kind](reason, d)
    if text is None and reason is not None:
        text = _common(reason, d)
    if text is None and d.get("error"):
        text = _("Error: %(error)s", error=_short(d["error"]))
    if text is None:
        text = state_label(status) + (f" ({_short(reason)})" if reason else "")
    return text


def result_summary(result):
    """`summary` of a CheckResult (or anything with kind, status and details)."""
    return summary(result.kind, result.status, result.details)


def result_summary_for(user, result):
    """`result_summary` of what `user` may read of the result (a liaison: no host names)."""
    from . import policy

    return summary(result.kind, result.status, policy.shown_details(user, result.details))


def register(app):
    """Template helpers: check_kind, check_state, check_badge, check_summary."""
    app.jinja_env.globals.update(check_kind=kind_label, check_state=state_label, check_badge=badge,
                                 check_summary=result_summary)
