"""The antivirus kind: from the server's latest heartbeat, an antivirus is reported, is the
expected product (when the server names one), is enabled, and its signatures are at most
`max_signature_days` old (exactly that many days passes). A heartbeat older than
`stale_minutes` proves nothing about today: it fails too."""
from datetime import timedelta

from ..clock import iso_utc
from .kinds import each

DEFAULT_MAX_DAYS = 7
DEFAULT_STALE_MINUTES = 1440


def verdict(beat, now, max_signature_days, stale_minutes, expected=""):
    """(status, details) from the latest heartbeat `beat` (None: never one). Pure."""
    if beat is None:
        return "fail", {"reason": "no_report"}
    product = (beat.antivirus_product or "").strip()
    details = {"product": product, "enabled": beat.antivirus_enabled,
               "signature_date": beat.signature_date.isoformat() if beat.signature_date else None,
               "last_seen": iso_utc(beat.received_at)}
    if beat.signature_date is not None:
        details["signature_age_days"] = (now.date() - beat.signature_date).days
    if now - beat.received_at > timedelta(minutes=stale_minutes):
        return "fail", {"reason": "stale_report", **details}
    if not product:
        return "fail", {"reason": "missing", **details}
    if expected and expected.strip().lower() not in product.lower():
        return "fail", {"reason": "wrong_product", "expected": expected, **details}
    if beat.antivirus_enabled is False:
        return "fail", {"reason": "disabled", **details}
    if beat.signature_date is None or details["signature_age_days"] > max_signature_days:
        return "fail", {"reason": "old_signatures", **details}
    return "pass", {"reason": "ok", **details}


def check(job, ctx):
    return verdict(ctx.heartbeats.get(job.server_id), ctx.now,
                   int(job.params.get("max_signature_days", DEFAULT_MAX_DAYS)),
                   int(job.params.get("stale_minutes") or DEFAULT_STALE_MINUTES), job.antivirus_expected)


def run(jobs, ctx):
    return each(jobs, lambda job: check(job, ctx))
