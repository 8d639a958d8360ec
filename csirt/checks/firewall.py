"""Firewall exposure: the kind runner. Scans each server's addresses (or the configuration's
targets) for the configured port set plus the server's baseline ports, and judges what is open
against the baseline (`evaluate.firewall_verdict`).

Efficient scanning: the jobs are grouped by the exact port set to scan, and each group is ONE
nmap run over all its hosts (`scanner.scan`), whose XML is parsed once and mapped back to the
jobs. A job is judged as soon as nmap has written every one of its addresses (a job that names
a network waits for the end), and handed to `ctx.emit` when the runner gave one, so its result is
stored while nmap scans the others; `run` still returns every Result. Every target is
normalised, host names resolved once, and every address checked against
`CSIRT_SCAN_ALLOWED_NETWORKS` before anything runs: a job with a target outside gets an error
result ("not_allowed") and is not scanned, the others are.
"""
import ipaddress
import logging
import time
from functools import lru_cache

from ..clock import utcnow
from ..systems.ports import format_baseline, merge, parse_baseline
from . import evaluate, scanner, targets
from .kinds import Result

logger = logging.getLogger(__name__)

# States of an address in which its ports are unknown.
_UNKNOWN = ("timeout", "missing", "down", "unknown")


def _ports_text(ranges, protocol):
    """"22,80,8000-8010" for one protocol (what nmap's -p takes after T: or U:)."""
    parts = [str(r.first) if r.first == r.last else f"{r.first}-{r.last}"
             for r in ranges if r.protocol == protocol]
    return ",".join(parts)


class _Refused(Exception):
    def __init__(self, details):
        super().__init__(details.get("reason"))
        self.details = details


@lru_cache(maxsize=4096)
def _scanned(ports_text, baseline_text):
    """The merged PortRanges to scan for a configuration's ports and a server's baseline. Cached:
    thousands of jobs share a handful of pairs (ValueError, for bad text, is not cached)."""
    return merge(parse_baseline(ports_text) + parse_baseline(baseline_text))


def _plan(job, ctx, networks, max_hosts):
    """(scanned ranges, addresses/networks to scan) for one job, or _Refused."""
    try:
        scanned = _scanned(job.params.get("ports") or "", job.baseline or "")
    except ValueError:
        raise _Refused({"reason": "bad_ports"}) from None
    if not scanned:
        raise _Refused({"reason": "bad_ports"})
    wanted = list(job.params.get("targets") or job.addresses or ())
    if not wanted:
        raise _Refused({"reason": "no_addresses"})
    hosts = []
    for text in wanted:
        try:
            token = targets.normalise_target(text, max_hosts)
        except ValueError:
            raise _Refused({"reason": "bad_target", "target": str(text)[:100]}) from None
        try:
            addresses = targets.resolve(token)
        except ValueError:
            raise _Refused({"reason": "unresolved", "target": token}) from None
        try:
            targets.check_allowed(addresses, networks)
        except ValueError:
            raise _Refused({"reason": "not_allowed", "target": token}) from None
        hosts += [a for a in addresses if a not in hosts]
    return scanned, hosts


def _error(job, started, details, command=None):
    return Result(job.item_id, "error", started, utcnow(), details, command)


def _states(hosts, outcome_hosts):
    """address → state for a job's scan targets (a network gives each address nmap reported)."""
    out = {}
    for host in hosts:
        if "/" in host:
            network = ipaddress.ip_network(host)
            for address, found in outcome_hosts.items():
                if ipaddress.ip_address(address) in network:
                    out[address] = found["state"]
        else:
            out[host] = outcome_hosts.get(host, {}).get("state", "missing")
    return out


def _judge(job, scanned, hosts, found, started, command):
    """The job's Result from what its group's scan `found` (address → state and open ports).
    `command` is the group's argv, ONE list shared by all its results (read-only): copying an argv
    of 10,000 addresses for each of 10,000 results was quadratic."""
    states = _states(hosts, found)
    opened = evaluate.union_open(found, states)
    status, details = evaluate.firewall_verdict(opened, job.baseline or "", scanned,
                                                bool(job.params.get("closed_fails")))
    details["hosts"] = states
    details["ports"] = _ports_shown(scanned)
    unknown = sorted(a for a, s in states.items() if s in _UNKNOWN)
    if (unknown or not states) and status != "fail":
        status = "error"
        details["reason"] = "host_timeout" if any(states.get(a) == "timeout" for a in unknown) \
            else "no_result"
    return Result(job.item_id, status, started, utcnow(), details, command)


@lru_cache(maxsize=4096)
def _ports_shown(scanned):
    """The scanned set as canonical text (cached like `_scanned`: the same few sets every job)."""
    return format_baseline(scanned)


@lru_cache(maxsize=4096)
def _group_key(scanned):
    """(tcp text, udp text): the jobs with the same key share one nmap run."""
    return _ports_text(scanned, "tcp"), _ports_text(scanned, "udp")


class _Early:
    """Judges a group's jobs as nmap reports their addresses (`scanner.scan`'s `on_host`) and
    emits each Result at once. Only jobs of single addresses: a network's hosts are not known
    before the end. Never raises into the scan: a failure here only means the job waits for the
    end like the others."""

    def __init__(self, members, started, emit):
        self.members, self.started, self.emit = members, started, emit
        self.results = {}   # item id → the Result emitted
        self._left = {}     # member index → addresses not reported yet
        self._waiting = {}  # address → [member index]
        for index, (_job, _scanned, hosts) in enumerate(members):
            if hosts and not any("/" in host for host in hosts):
                self._left[index] = set(hosts)
                for host in hosts:
                    self._waiting.setdefault(host, []).append(index)

    def __call__(self, argv, address, found):
        for index in self._waiting.pop(address, ()):
            left = self._left[index]
            left.discard(address)
            if left:
                continue
            job, scanned, hosts = self.members[index]
            try:
                result = _judge(job, scanned, hosts, found, self.started, argv)
                self.emit(result)
            except Exception:  # judged again at the end, with the others
                logger.exception("firewall job %s could not be judged early", job.item_id)
                continue
            self.results[job.item_id] = result


def run(jobs, ctx):
    """One Result per job; never raises for a job's own trouble."""
    networks = targets.allowed_networks(ctx.config)
    max_hosts = int(ctx.config.get("CSIRT_SCAN_MAX_CIDR_HOSTS") or 256)
    results = {}
    groups = {}  # (tcp text, udp text) → [(job, scanned, hosts)]
    for job in jobs:
        started = utcnow()
        try:
            scanned, hosts = _plan(job, ctx, networks, max_hosts)
        except _Refused as refused:
            results[job.item_id] = _error(job, started, refused.details)
            continue
        groups.setdefault(_group_key(scanned), []).append((job, scanned, hosts))

    for (tcp, udp), members in groups.items():
        started = utcnow()
        timeout = max(job.timeout for job, _s, _h in members)
        if ctx.deadline is not None:
            timeout = min(timeout, ctx.deadline - time.monotonic())
        if timeout < 1:
            for job, _s, _h in members:
                results[job.item_id] = _error(job, started, {"reason": "timeout"})
            continue
        everyone = list(dict.fromkeys(h for _j, _s, hosts in members for h in hosts))
        early = _Early(members, started, ctx.emit) if ctx.emit is not None else None
        try:
            outcome = scanner.scan(everyone, tcp, udp, timeout, ctx.config, on_host=early)
        except ValueError:  # the scanner's last gate refused what the checks above let through
            for job, _s, _h in members:
                results[job.item_id] = _error(job, started, {"reason": "bad_target"})
            continue
        command = outcome.argv  # the list the early results carry too: one scan row per run
        for job, scanned, hosts in members:
            if early is not None and job.item_id in early.results:
                results[job.item_id] = early.results[job.item_id]  # final: nmap was done with it
            elif outcome.error:
                details = {"reason": outcome.error}
                if outcome.stderr:
                    details["stderr"] = outcome.stderr[-500:]
                results[job.item_id] = _error(job, started, details, command)
            else:
                results[job.item_id] = _judge(job, scanned, hosts, outcome.hosts, started, command)
    return [results[job.item_id] for job in jobs]
