"""The firewall exposure verdict: what was found open against the server's approved baseline.
Pure: sets and text in, (status, details) out.

- a port open outside the baseline fails the check, and every such port is listed;
- a baseline entry found closed (a single port closed, or a range with none of its ports open:
  a range means "may expose any of these", not "must expose all") is a warning, or a failure
  when the configuration says `closed_fails`; only entries inside the scanned set are judged;
- otherwise the check passes.
A server with several addresses is judged on the union: a port open on any address is open.
"""
from functools import lru_cache

from ..systems.ports import PROTOCOLS, PortRange, contains, merge, parse_baseline


def _key(port):
    number, _slash, protocol = port.partition("/")
    return (PROTOCOLS.index(protocol) if protocol in PROTOCOLS else len(PROTOCOLS), int(number))


def union_open(hosts, addresses):
    """The ports open on any of `addresses` in a scan's host map (ip → {"open": set})."""
    out = set()
    for address in addresses:
        out |= set(hosts.get(address, {}).get("open", ()))
    return out


def _split(port):
    number, _slash, protocol = port.partition("/")
    return protocol, int(number)


def _entries(baseline, scanned):
    """The baseline entries that lie inside the scanned set (cut to it)."""
    for entry in baseline:
        for scan in scanned:
            if scan.protocol != entry.protocol:
                continue
            first, last = max(entry.first, scan.first), min(entry.last, scan.last)
            if first <= last:
                yield PortRange(entry.protocol, first, last)


@lru_cache(maxsize=4096)
def _judged(baseline_text, scanned):
    """(the baseline's ranges, the entries judged for "closed"). Cached: a scan of thousands of
    servers has a handful of distinct (baseline, port set) pairs, and parsing them again for each
    server was most of the time spent judging. Both arguments and the result are immutable."""
    baseline = parse_baseline(baseline_text)
    if isinstance(scanned, str):
        scanned = parse_baseline(scanned)
    return baseline, merge(_entries(baseline, merge(scanned)))


def firewall_verdict(open_ports, baseline_text, scanned, closed_fails=False):
    """(status, details) for the ports found open. `scanned`: the PortRanges that were scanned
    (or their text). details: {"reason": "open_ports"|"closed_ports"|"ok", "unexpected": [...],
    "closed": [...], "open": [...]}, port lists as "22/tcp" / "8000-8010/tcp", sorted."""
    baseline, entries = _judged(baseline_text, scanned if isinstance(scanned, str) else tuple(scanned))
    found = sorted(set(open_ports), key=_key)
    unexpected = [p for p in found if not contains(baseline, *_split(p))]
    opened = {_split(p) for p in found}
    closed = [str(entry) for entry in entries if not _range_ports(entry, opened)]
    details = {"unexpected": unexpected, "closed": closed, "open": found}
    if unexpected:
        return "fail", {"reason": "open_ports", **details}
    if closed:
        return ("fail" if closed_fails else "warn"), {"reason": "closed_ports", **details}
    return "pass", {"reason": "ok", **details}


def _range_ports(entry, opened):
    """The open port numbers of `entry`'s protocol that fall in it (cheaper than walking a range
    of 65,535 ports)."""
    return [n for protocol, n in opened if protocol == entry.protocol and entry.first <= n <= entry.last]
