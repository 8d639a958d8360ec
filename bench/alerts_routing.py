"""Benchmark of the alert router, in process, on one core: alerts per second through 100 playbooks.

Builds 100 playbooks like a province's (spread over 8 sources, a tenth of them accepting any
source; equality, regex, `in`, severity and system_level conditions, some `none`, some
`continue`, most grouping) and 10,000 varied alerts with their host context, then times
`routing.route` over all of them. Three loops take turns on every repetition, so a change in the
machine's load weighs on all of them; each figure is the median of the repetitions, in CPU time
of this process (so the other work of a shared machine is not counted):

- route:      `route(alert, routes, context)`, the indexed walk (candidates of the alert's source)
- unindexed:  the same walk over every playbook in order (what the index saves)
- dict:       one dict lookup per alert (the floor: the cost of the loop itself)

The issue's target is 50,000 alerts/s; the ratios printed are route / target, route / unindexed
and route / dict. Nothing is asserted: the figures vary with the machine and its load. The tests
hold the property that does not (tests/alerts/test_routing.py: the indexed walk decides exactly as
the walk over every playbook).

    .venv/bin/python bench/alerts_routing.py       # CSIRT_BENCH_REPEATS=7 (default)
"""
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta

from csirt.alerts import routing
from csirt.alerts.canonical import SEVERITIES, Alert, Context
from csirt.alerts.matchers import compile_match
from csirt.alerts.playbooks.compiled import Group, Playbook, PlaybookSet

PLAYBOOKS, ALERTS, TARGET = 100, 10_000, 50_000
REPEATS = int(os.environ.get("CSIRT_BENCH_REPEATS", "7"))
SOURCES = ("wazuh", "alertmanager", "check", "manual", "zabbix", "suricata", "graylog", "uptime-kuma")
WEIGHTS = (40, 25, 8, 2, 10, 8, 5, 2)
RULE_GROUPS = ("web,attack", "syslog,sshd,authentication_failed", "ossec,rootcheck", "windows,malware",
               "web,accesslog,sql_injection", "syscheck,integrity", "firewall,drop", "audit,privilege")
ALERTNAMES = ("HostDown", "DiskFull", "HighCPU", "TLSCertExpiring", "HTTPProbeFailed", "BackupMissing",
              "PortOpened", "MemoryPressure", "ServiceRestarted", "RAIDDegraded")
SIGNATURES = ("ET SCAN Nmap", "ET EXPLOIT Log4j", "ET MALWARE CobaltStrike", "ET POLICY TOR", "ET WEB_SPECIFIC SQLi")
HOSTS = [f"srv-{n:03d}.tinh.gov.vn" for n in range(200)] + [f"10.10.{n // 256}.{n % 256}" for n in range(100)]
SYSTEMS = [f"HT{n:03d}" for n in range(60)]


def _conditions(rng, source, n):
    """The `all` list of the n-th playbook of `source`: a source, then one or two more."""
    extra = {
        "wazuh": [f'rule_id="{5700 + n}"', '{rule_groups=~".*web.*", severity!="info"}',
                  {"field": "rule_level", "in": [str(x) for x in range(10 + n % 3, 16)]},
                  'rule_groups=~"(.*,)?(sshd|authentication_failed)(,.*)?"', f'agent_name=~"srv-0{n % 10}.*"'],
        "alertmanager": [f'alertname="{ALERTNAMES[n % len(ALERTNAMES)]}"', f'{{alertname="{ALERTNAMES[n % 10]}", '
                         f'job=~"node|blackbox"}}', 'instance=~".*:9100"'],
        "check": [f'labels.check="{("ports", "tls", "av", "agent")[n % 4]}"'],
        "zabbix": [f'trigger=~"(?i).*{("disk", "cpu", "ping", "memory")[n % 4]}.*"'],
        "suricata": [f'signature=~"{SIGNATURES[n % len(SIGNATURES)].split()[1]}.*"'.replace("ET ", "")],
        "graylog": [f'stream="{("auth", "web", "dns")[n % 3]}"'],
        "uptime-kuma": ['monitor_type="http"'],
        "manual": [],
    }[source]
    out = [f'source="{source}"'] if n % 2 else [{"field": "source", "in": [source]}]
    out += rng.sample(extra, min(len(extra), 1 + n % 2))
    if n % 3 == 0:
        out.append({"field": "severity", "gte": rng.choice(SEVERITIES[1:4])})
    if n % 5 == 0:
        out.append({"field": "system_level", "gte": rng.randint(2, 4)})
    if n % 7 == 0:
        out.append({"field": "host", "in": rng.sample(HOSTS, 5)})
    return out


def build_playbooks(rng):
    specs = []
    for i in range(PLAYBOOKS - 11):  # and 10 any-source, 1 catch-all
        source = SOURCES[i % len(SOURCES)]
        match = {"all": _conditions(rng, source, i // len(SOURCES))}
        if i % 6 == 0:
            match["none"] = ['status="resolved"', {"field": "agency", "in": ["CQ001", "CQ002"]}][: 1 + i % 2]
        if i % 11 == 0:
            match["any"] = [{"field": "severity", "gte": "high"}, f'system=~"HT0{i % 6}."']
        specs.append((f"{source}-{i:03d}", match))
    for i in range(10):  # any source: by the host's systems, severity, level
        match = {"all": [{"field": "severity", "gte": ("high", "critical")[i % 2]},
                         {"field": "system_level", "gte": 3 + i % 3}]}
        if i % 2:
            match["all"].append(f'system=~"HT0{i}.*"')
        if i % 3 == 0:
            match["none"] = ['source="manual"']
        specs.append((f"any-{i:02d}", match))
    books = []
    for n, (book_id, match) in enumerate(specs):
        group = Group(by=("source", "host", "labels.rule_id"), window=timedelta(hours=6)) if n % 4 else None
        books.append(Playbook(id=book_id, title=None, description=None, order=rng.choice((10, 50, 100, 100, 200)),
                              cont=n % 9 == 0, enabled=True, match=compile_match(match), group=group, incident=None,
                              actions=(), path=f"{book_id}.yaml", version="", spec={"match": match}))
    books.append(Playbook(id="zz-catch-all", title=None, description=None, order=1000, cont=False, enabled=True,
                          match=compile_match(None), group=None, incident=None, actions=(), path="", version="",
                          spec={}))
    return books


def build_alerts(rng):
    start = datetime(2026, 12, 1)
    alerts = []
    for n in range(ALERTS):
        source = rng.choices(SOURCES, WEIGHTS)[0]
        labels = {
            "wazuh": lambda: {"rule_id": str(rng.randint(5700, 5720)), "rule_level": str(rng.randint(3, 15)),
                              "rule_groups": rng.choice(RULE_GROUPS), "agent_name": rng.choice(HOSTS)[:10],
                              "decoder": "sshd", "location": "/var/log/auth.log"},
            "alertmanager": lambda: {"alertname": rng.choice(ALERTNAMES), "job": rng.choice(("node", "blackbox")),
                                     "instance": f"{rng.choice(HOSTS)}:{rng.choice((9100, 9115))}"},
            "check": lambda: {"check": rng.choice(("ports", "tls", "av", "agent"))},
            "zabbix": lambda: {"trigger": rng.choice(("Disk space low", "CPU high", "Ping lost", "Free memory"))},
            "suricata": lambda: {"signature": rng.choice(SIGNATURES).replace("ET ", "")},
            "graylog": lambda: {"stream": rng.choice(("auth", "web", "dns", "mail"))},
            "uptime-kuma": lambda: {"monitor_type": rng.choice(("http", "ping"))},
            "manual": lambda: {},
        }[source]()
        alerts.append(Alert(source=source, severity=rng.choice(SEVERITIES), status=rng.choice(("firing",) * 4 + (
            "resolved",)), title=f"alert {n}", occurred_at=start + timedelta(seconds=n), fingerprint=f"{n:016x}",
            host=rng.choice(HOSTS), labels=labels))
    contexts = [Context(agency=f"CQ{rng.randint(0, 20):03d}", system=tuple(rng.sample(SYSTEMS, rng.randint(0, 2))),
                        system_level=rng.randint(0, 5), server=rng.choice(HOSTS)) for _ in range(ALERTS)]
    return alerts, contexts


class Unindexed(routing.Routes):
    """The same router with every playbook a candidate of every source."""

    def __init__(self, playbooks):
        super().__init__(playbooks)
        every = tuple((book, book.match.test) for book in self.playbooks)
        self.entries, self.fallback = {}, (every, None, None, None, every)


def _second_levels(routes):
    """Which field each source's second index level uses."""
    return ", ".join(f"{source}: {entry[1]}" for source, entry in sorted(routes.entries.items()) if entry[1]) or "none"


def _tried(routes, alert, ctx):
    """How many tests the walk runs for this alert."""
    count = 0
    for book, test in routes.pairs(alert, ctx):
        count += 1
        if test(alert, ctx) and not book.cont:
            break
    return count


def timed(loop):
    """CPU seconds of this process (time.process_time): the router runs on one core, and on a
    shared machine the wall clock would also count the time other processes held the CPU."""
    started = time.process_time()
    loop()
    return time.process_time() - started


def main():
    print(f"csirt alert routing benchmark, {datetime.now():%Y-%m-%d %H:%M}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs (one used)")
    rng = random.Random(20261203)
    books = build_playbooks(rng)
    started = time.perf_counter()
    routes = routing.Routes(books)
    index_ms = (time.perf_counter() - started) * 1000
    playbook_set = PlaybookSet(playbooks=routes.playbooks, errors=(), version="bench", routes=routes)
    unindexed = Unindexed(books)
    alerts, contexts = build_alerts(rng)
    pairs = list(zip(alerts, contexts, strict=True))
    lookup = {s: i for i, s in enumerate(SOURCES)}

    def indexed_loop():
        for alert, ctx in pairs:
            routing.route(alert, playbook_set, ctx)

    def unindexed_loop():
        for alert, ctx in pairs:
            routing.route(alert, unindexed, ctx)

    def dict_loop():
        for alert, _ctx in pairs:
            lookup.get(alert.source)

    decisions = [routing.route(a, playbook_set, c) for a, c in pairs]
    assert decisions == [routing.route(a, unindexed, c) for a, c in pairs]  # sanity: same decisions
    loops = {"route": indexed_loop, "unindexed": unindexed_loop, "dict": dict_loop}
    samples = {name: [] for name in loops}
    for loop in loops.values():
        loop()  # warm-up
    for _ in range(REPEATS):
        for name, loop in loops.items():
            samples[name].append(timed(loop))
    rate = {name: ALERTS / statistics.median(times) for name, times in samples.items()}
    explain_seconds = timed(lambda: [routing.route(a, playbook_set, c, explain=True) for a, c in pairs[:1000]])

    sizes = [len(routes.pairs(a, c)) for a, c in pairs]
    tried = [_tried(routes, a, c) for a, c in pairs]
    matched = sum(1 for d in decisions if d.matched)
    caught = sum(1 for d in decisions if d.playbook is not None and d.playbook.id == "zz-catch-all")
    print(f"{len(routes.playbooks)} playbooks over {len(SOURCES)} sources ({len(routes.fallback[0])} accept any "
          f"source), index built in {index_ms:.1f} ms; {ALERTS:,} alerts; median of {REPEATS} runs, taking turns")
    print(f"second index level: {_second_levels(routes)}")
    print(f"per alert: {statistics.mean(sizes):.1f} candidates (max {max(sizes)} of {len(routes.playbooks)}), "
          f"{statistics.mean(tried):.1f} tested before the walk stops; {matched:,} alerts matched, {caught:,} only "
          f"by the catch-all; {sum(len(d.extra) for d in decisions):,} extra matches through continue")
    print(f"{'loop':<12}{'alerts/s':>14}{'µs/alert':>11}")
    for name in loops:
        print(f"{name:<12}{rate[name]:>14,.0f}{1e6 / rate[name]:>11.2f}")
    print(f"route / target {TARGET:,}/s: {rate['route'] / TARGET:.2f}x   route / unindexed: "
          f"{rate['route'] / rate['unindexed']:.2f}x   route / dict lookup: {rate['route'] / rate['dict']:.3f}x")
    print(f"explain=True (every playbook, with reasons): {1000 / explain_seconds:,.0f} alerts/s")


if __name__ == "__main__":
    main()
