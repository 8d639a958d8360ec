"""The agent kind: is the server's monitoring agent alive?

Mode "heartbeat": the server's latest heartbeat arrived at most `stale_minutes` ago (exactly
`stale_minutes` is still fresh), and, when the server names an expected agent, comes from it.
Mode "port": a TCP connection to `port` on the targets (default: the server's addresses) opens
on at least one of them; only addresses inside the allowed networks are ever tried.
"""
import ipaddress
import time
from datetime import timedelta

from ..clock import iso_utc
from . import reach
from .kinds import each

DEFAULT_STALE_MINUTES = 15


def heartbeat_verdict(beat, now, stale_minutes, expected=""):
    """(status, details) from the latest heartbeat `beat` (None: never one). Pure."""
    if beat is None:
        return "fail", {"reason": "never"}
    age = max(timedelta(0), now - beat.received_at)
    details = {"last_seen": iso_utc(beat.received_at), "age_seconds": int(age.total_seconds()),
               "agent_name": beat.agent_name or "", "agent_version": beat.agent_version or ""}
    if age > timedelta(minutes=stale_minutes):
        return "fail", {"reason": "stale", **details}
    if expected and expected.strip().lower() not in (beat.agent_name or "").lower():
        return "fail", {"reason": "wrong_agent", "expected": expected, **details}
    return "pass", {"reason": "fresh", **details}


def port_verdict(port, answers, refused):
    """(status, details) from {address: True/False (the port answered)} and the addresses refused
    as outside the allowed networks. Pure."""
    hosts = {ip: "open" if ok else "closed" for ip, ok in answers.items()}
    details = {"port": port, "hosts": hosts}
    if refused:
        details["refused"] = list(refused)
    if not answers:
        return "error", {"reason": "not_allowed" if refused else "no_targets", **details}
    if any(answers.values()):
        return "pass", {"reason": "port_open", **details}
    return "fail", {"reason": "port_closed", **details}


def addresses(job, nets, max_hosts=256):
    """(addresses to try, those refused) from the job's targets or the server's addresses: a
    network gives its hosts (at most `max_hosts`), a name its addresses, resolved once."""
    wanted, refused = [], []
    for target in list(job.params.get("targets") or []) or list(job.addresses):
        if "/" in str(target):
            try:
                network = ipaddress.ip_network(target, strict=False)
            except ValueError:
                refused.append(str(target))
                continue
            hosts = [network.network_address] if network.num_addresses == 1 else network.hosts()
            found = []
            for ip in hosts:
                found.append(str(ip))
                if len(found) >= max_hosts:
                    break
        else:
            found = reach.resolve(str(target)) or [str(target)]
        for ip in found:
            (wanted if reach.is_allowed(ip, nets) else refused).append(ip)
    return list(dict.fromkeys(wanted)), list(dict.fromkeys(refused))


def _probe(job, ctx):
    nets = reach.networks(ctx.config)
    port = int(job.params.get("port") or 0)
    max_hosts = int(ctx.config.get("CSIRT_SCAN_MAX_CIDR_HOSTS") or 256)
    wanted, refused = addresses(job, nets, max_hosts)
    answers = {}
    # The job's timeout bounds the whole probe, not each address: many silent addresses (a
    # network of filtered hosts) would otherwise take minutes. Those left when it runs out count
    # as not answering and are listed as untried.
    end = time.monotonic() + reach.budget(job.timeout, ctx.deadline)
    untried = []
    for ip in wanted:
        left = end - time.monotonic()
        if left <= 0:
            untried.append(ip)
            answers[ip] = False
            continue
        try:
            with reach.connect(ip, port, left):
                answers[ip] = True
        except OSError:
            answers[ip] = False
    status, details = port_verdict(port, answers, refused)
    if untried:
        details["untried"] = untried
    return status, details


def check(job, ctx):
    if job.params.get("mode") == "port":
        return _probe(job, ctx)
    stale = int(job.params.get("stale_minutes") or DEFAULT_STALE_MINUTES)
    return heartbeat_verdict(ctx.heartbeats.get(job.server_id), ctx.now, stale, job.agent_expected)


def run(jobs, ctx):
    return each(jobs, lambda job: check(job, ctx))
