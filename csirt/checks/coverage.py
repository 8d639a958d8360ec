"""Coverage: which servers the scheduled checks verified for a control (firewall, antivirus,
agent), read by the compliance dashboard (`reports/compliance/figures.py`) and by layer 2 of a
system page (`agents_state`, registered as the inventory's provider).

A server's control is *verified* when every active work item of that kind on it is passing
(pass or warn) and ran within twice its configuration's interval (one missed run is tolerated,
two are not). Otherwise it is *failing* (some item's state is fail), *never* checked (no item,
or none has run yet), or *stale* (the rest: an old pass, an error, an interrupted run).

`verdict` and `tally` are pure (tested with plain tuples); `items_statement` is the one query,
served by the (kind, server_id) index of `server_check`.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from ..clock import utcnow
from ..extensions import db
from ..systems.models import Server, system_server
from ..systems.summary import AgentsState
from .models import PASSING, CheckConfig, ServerCheck

VERIFIED, FAILING, NEVER, STALE = "verified", "failing", "never", "stale"
LISTED = 50  # hostnames kept per list (the counts count them all)


def item_verdict(state, last_run_at, interval_seconds, now):
    """The verdict of one work item."""
    if state == "fail":
        return FAILING
    if state == "never" or last_run_at is None:
        return NEVER
    if state in PASSING and last_run_at >= now - timedelta(seconds=2 * interval_seconds):
        return VERIFIED
    return STALE


def verdict(items, now):
    """A server's verdict for one control from its items [(state, last_run_at, interval)]:
    no item → never; any failing → failing; all verified → verified; all never → never; else stale."""
    found = {item_verdict(state, last, interval, now) for state, last, interval in items}
    if not found:
        return NEVER
    if FAILING in found:
        return FAILING
    if found == {VERIFIED}:
        return VERIFIED
    if found == {NEVER}:
        return NEVER
    return STALE


@dataclass
class Coverage:
    """One control over a set of servers."""

    expected: int = 0          # servers expected to have the control
    verified: int = 0
    failing: list = field(default_factory=list)   # [(server id, hostname)], at most LISTED
    never: list = field(default_factory=list)
    stale: list = field(default_factory=list)
    counts: dict = field(default_factory=lambda: {FAILING: 0, NEVER: 0, STALE: 0})

    @property
    def share(self):
        """Verified servers among those expected, 0-100; None when none is expected."""
        return round(100 * self.verified / self.expected, 1) if self.expected else None

    def add(self, server_id, hostname, outcome):
        self.expected += 1
        if outcome == VERIFIED:
            self.verified += 1
            return
        self.counts[outcome] += 1
        listed = getattr(self, outcome)
        if len(listed) < LISTED:
            listed.append((server_id, hostname))

    def as_dict(self):
        def names(rows):
            return [{"id": i, "hostname": h} for i, h in rows]
        return {"expected": self.expected, "verified": self.verified, "share": self.share,
                "failing": names(self.failing), "never": names(self.never), "stale": names(self.stale),
                "counts": dict(self.counts)}


def tally(servers, items, now):
    """{control: Coverage or None} from `servers` [(id, hostname, {control: expected?})] and
    `items` [(server id, kind, state, last_run_at, interval)]. A control with no work item on any
    of `servers` is None ("not checked")."""
    by_server, kinds = {}, set()
    for server_id, kind, state, last, interval in items:
        by_server.setdefault((server_id, kind), []).append((state, last, interval))
        kinds.add(kind)
    controls = {c for row in servers for c in row[2]}
    result = {c: (Coverage() if c in kinds else None) for c in controls}
    for server_id, hostname, expected in sorted(servers, key=lambda r: r[1]):
        for control, wanted in expected.items():
            if wanted and result.get(control) is not None:
                result[control].add(server_id, hostname, verdict(by_server.get((server_id, control), ()), now))
    return result


def items_statement(kinds, servers=None):
    """The active work items of `kinds` with their configuration's interval, on the servers of
    `servers` (a select of server ids) or every not-archived server."""
    query = (db.select(ServerCheck.server_id, ServerCheck.kind, ServerCheck.state, ServerCheck.last_run_at,
                       CheckConfig.interval_seconds)
             .join(CheckConfig, CheckConfig.id == ServerCheck.config_id)
             .join(Server, Server.id == ServerCheck.server_id)
             .where(ServerCheck.active.is_(True), ServerCheck.kind.in_(kinds), Server.archived_at.is_(None)))
    if servers is not None:
        query = query.where(ServerCheck.server_id.in_(servers))
    return query


def agents_state(system):
    """Layer 2 of `system`: among its not-archived servers expected to run an agent or carrying an
    agent check, those whose agent checks all pass within their interval (a
    `systems.summary.AgentsState`). None ("not checked") when no agent check applies to any of
    them. Two small queries, whatever the number of servers. Registered as the inventory's
    provider by `panels.init_app`."""
    servers = db.select(system_server.c.server_id).where(system_server.c.system_id == system.id)
    items = db.session.execute(items_statement(("agent",), servers)).all()
    if not items:
        return None
    with_items = {row.server_id for row in items}
    rows = db.session.execute(
        db.select(Server.id, Server.hostname, Server.agent_expected)
        .where(Server.id.in_(servers), Server.archived_at.is_(None))).all()
    found = tally([(r.id, r.hostname, {"agent": bool(r.agent_expected) or r.id in with_items}) for r in rows],
                  [tuple(r) for r in items], utcnow())["agent"]
    silent = [hostname for _id, hostname in found.failing + found.stale + found.never]
    return AgentsState(alive=found.verified, total=found.expected, silent=sorted(silent))
