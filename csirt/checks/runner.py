"""One scheduler tick of the checks: claim the due work items, run them, store the results, and
turn the changes of state into alerts.

1. `workitems.sync()` (servers added to the inventory are picked up), then the runs left behind by
   a killed scheduler are marked interrupted (`claims.recover_interrupted`);
2. up to CSIRT_CHECK_BATCH due items are claimed (`claims.claim_due`, committed) and turned into
   `kinds.Job`s: plain data, so the kinds run in threads with no database session;
3. the jobs run in units (all firewall jobs in one unit: the firewall kind puts the hosts of one
   scan into one nmap; the antivirus kind's jobs in one; each agent, tls and portal job alone), at
   most CSIRT_CHECK_CONCURRENCY units at once;
4. every result is stored as a CheckResult with the item's new state (a result whose claim ran out
   and was taken over is dropped): the results a kind hands over early (the firewall kind, as nmap
   reports each host) are stored while the kinds run, STORE_EVERY to a transaction, so a
   10,000-host scan is stored as it goes, not after it; the rest in one transaction at the end
   (on PostgreSQL each transaction is one statement, `storing.py`);
5. a failure not yet alerted fires, a pass (or warn) of an alerted item resolves: the alerts go
   in ONE call to the alert intake (`via="check"`), then `alerting` is set. A failed intake leaves
   `alerting` as it was, so the next run sends it again.

A scheduler stopping in the middle of a tick (`stop()`) records its claimed runs as interrupted
(retried once) instead of storing what the killed scans returned; results stored before the stop
are kept (nmap had finished those hosts).
"""
import itertools
import logging
import math
import os
import queue
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from .. import bulk
from ..clock import utcnow
from ..extensions import db, on_postgres
from ..systems.models import Server
from . import claims, kinds, storing, workitems
from .models import PASSING, CheckConfig, CheckResult, CheckScan, ServerCheck, ServerHeartbeat

logger = logging.getLogger(__name__)
CONFIG_KEYS = ("CSIRT_SCAN_ALLOWED_NETWORKS", "CSIRT_SCAN_MAX_CIDR_HOSTS", "CSIRT_NMAP_PATH",
               "CSIRT_HEARTBEAT_MAX_SKEW_SECONDS", "CSIRT_CHECK_CONCURRENCY", "CSIRT_TLS_CA_FILE")
WHOLE_KIND = ("firewall", "antivirus")  # one unit for all their jobs; other kinds: one unit per job
HEARTBEAT_KINDS = ("agent", "antivirus")
_ITEMS = ServerCheck.__table__
_RESULTS = CheckResult.__table__
_SCANS = CheckScan.__table__

_holder = None
_stops = itertools.count(1)
_stopped = 0  # the number of the last stop(); a tick that saw another number at its start was stopped


def holder():
    """This process's claimer id (made at first use, so forked processes each get their own)."""
    global _holder
    pid = os.getpid()
    if _holder is None or _holder[0] != pid:
        _holder = (pid, f"checks:{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:8]}"[-100:])
    return _holder[1]


def stop():
    """The scheduler stops: the ticks running now record their runs as interrupted."""
    global _stopped
    _stopped = next(_stops)


@dataclass
class Item:
    """A claimed work item as plain data: its job, and what storing and alerting need."""

    job: kinds.Job
    config_name: str
    state: str
    alerting: bool


@dataclass
class Stored:
    """One stored result: the item, the result and the item's state before and after."""

    item: Item
    result: kinds.Result
    result_id: int
    before: str
    changed: bool
    alert: str | None = None  # "firing" | "resolved" when this run raised one


@dataclass
class TickReport:
    recovered: int = 0
    claimed: int = 0
    stored: list = field(default_factory=list)  # [Stored]
    alerts: int = 0
    interrupted: int = 0


def _unit_seconds(kind, timeouts_by_config):
    """A unit's longest run: the whole-kind units run their scans one after the other."""
    if kind in WHOLE_KIND:
        return sum(timeouts_by_config.values())
    return max(timeouts_by_config.values())


def lease_for(concurrency):
    """How long a claim must last for a batch run `concurrency` units at once: the list-scheduling
    bound (the units' total over the workers, plus the longest), and a margin."""
    def seconds(rows):
        per_kind, alone = {}, []
        for row in rows:
            if row.kind in WHOLE_KIND:
                timeouts = per_kind.setdefault(row.kind, {})
                timeouts[row.config_id] = max(timeouts.get(row.config_id, 0), row.timeout_seconds)
            else:
                alone.append(row.timeout_seconds)
        units = [sum(t.values()) for t in per_kind.values()] + alone
        if not units:
            return claims.MARGIN_SECONDS
        return math.ceil(sum(units) / max(1, concurrency)) + max(units) + claims.MARGIN_SECONDS
    return seconds


def _configs(config_ids):
    """config id → the row's columns a job needs (one query: a batch has few configurations)."""
    table = CheckConfig.__table__
    rows = db.session.execute(select(table.c.id, table.c.name, table.c.kind, table.c.params,
                                     table.c.timeout_seconds).where(table.c.id.in_(config_ids)))
    return {row.id: row for row in rows}


def _load(ids):
    """The claimed items as plain data (and the heartbeats their kinds read). Core rows, not ORM
    objects: building and tracking 10,000 entities of three classes was most of the load's time."""
    servers = Server.__table__
    rows = []
    for chunk in bulk.chunks(ids):
        rows += db.session.execute(
            select(_ITEMS.c.id, _ITEMS.c.config_id, _ITEMS.c.state, _ITEMS.c.alerting,
                   servers.c.id.label("server_id"), servers.c.hostname, servers.c.addresses,
                   servers.c.baseline_ports, servers.c.antivirus_expected, servers.c.agent_expected)
            .join(servers, servers.c.id == _ITEMS.c.server_id)
            .where(bulk.among(_ITEMS.c.id, chunk))).all()
    rows.sort(key=lambda row: row.id)
    configs = _configs({row.config_id for row in rows})
    items = []
    for row in rows:
        config = configs.get(row.config_id)
        if config is None:  # deleted meanwhile: the inner join of the query before left it out too
            continue
        job = kinds.Job(item_id=row.id, config_id=config.id, kind=config.kind, server_id=row.server_id,
                        hostname=row.hostname, addresses=tuple(row.addresses or ()),
                        params=dict(config.params or {}), timeout=int(config.timeout_seconds),
                        baseline=row.baseline_ports or "", antivirus_expected=row.antivirus_expected or "",
                        agent_expected=row.agent_expected or "")
        items.append(Item(job=job, config_name=config.name, state=row.state, alerting=bool(row.alerting)))
    wanted = {item.job.server_id for item in items if item.job.kind in HEARTBEAT_KINDS}
    return items, _heartbeats(wanted)


def _heartbeats(server_ids):
    """server id → its heartbeat's columns as attributes (the kinds read them in threads)."""
    beats = ServerHeartbeat.__table__
    out = {}
    for chunk in bulk.chunks(server_ids):
        for row in db.session.execute(select(beats).where(bulk.among(beats.c.server_id, chunk))):
            out[row.server_id] = SimpleNamespace(**row._asdict())
    return out


def _units(items):
    by_kind = {}
    for item in items:
        by_kind.setdefault(item.job.kind, []).append(item.job)
    units = []
    for kind, jobs in sorted(by_kind.items()):
        units.extend([(kind, jobs)] if kind in WHOLE_KIND else [(kind, [job]) for job in jobs])
    return units


def _error(job, reason, now, **extra):
    return kinds.Result(item_id=job.item_id, status="error", started_at=now, finished_at=now,
                        details={"reason": reason, **extra})


def _run_unit(run, kind, jobs, ctx, generation):
    """Run one unit in a worker thread: plain data in, one Result per job out, never raising."""
    if _stopped != generation:
        return []  # the scheduler is stopping: the claims are recorded interrupted
    timeouts = {}
    for job in jobs:
        timeouts[job.config_id] = max(timeouts.get(job.config_id, 0), job.timeout)
    unit_ctx = replace(ctx, deadline=time.monotonic() + _unit_seconds(kind, timeouts))
    try:
        results = list(run(jobs, unit_ctx) or [])
    except Exception:
        logger.exception("check kind %s failed on %d job(s)", kind, len(jobs))
        results = []
    wanted = {job.item_id: job for job in jobs}
    found = {}
    for result in results:
        if result.item_id in wanted and result.item_id not in found:
            found[result.item_id] = result
    now = utcnow()
    for item_id, job in wanted.items():
        if item_id not in found:
            found[item_id] = _error(job, "internal", now)
    return list(found.values())


def _run(items, heartbeats, now, config, storer):
    """Run the items' units in threads; the results they emit early are stored meanwhile (in this
    thread, which holds the session). (every unit's results, stopped?)."""
    registry = kinds.runners()
    early = queue.SimpleQueue()
    ctx = kinds.RunContext(now=now, config=config, heartbeats=heartbeats, emit=early.put)
    concurrency = max(1, int(config.get("CSIRT_CHECK_CONCURRENCY") or 1))
    generation = _stopped
    results, futures = [], []
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="csirt-check") as pool:
        for kind, jobs in _units(items):
            run = registry.get(kind)
            if run is None:
                results.extend(_error(job, "unknown_kind", now) for job in jobs)
                continue
            future = pool.submit(_run_unit, run, kind, jobs, ctx, generation)
            future.add_done_callback(lambda _f: early.put(_UNIT_DONE))
            futures.append(future)
        _store_early(len(futures), early, storer, generation)
        for future in futures:
            results.extend(future.result())
    return results, _stopped != generation


_UNIT_DONE = object()  # put on the queue of early results when a unit ends
STORE_EVERY = 250      # early results stored per transaction (fewer when none comes for 50 ms)


def _store_early(units, early, storer, generation):
    """Until the `units` have all ended, store the results they emit, STORE_EVERY at a time or
    whatever came once the flow pauses. Stops storing when the scheduler stops (those runs are
    recorded interrupted); what is left at the end is stored with the units' returned results."""
    pending = []
    while units:
        try:
            got = early.get(timeout=0.05 if pending else None)
        except queue.Empty:
            got = None
        if got is _UNIT_DONE:
            units -= 1
        elif got is not None:
            pending.append(got)
        if pending and (got is None or len(pending) >= STORE_EVERY):
            if _stopped == generation:
                storer.store(pending)
            pending = []


def _hosts(argv):
    """The number of hosts of an nmap argv (they follow "--"; a fake runner's argv has none)."""
    return len(argv) - argv.index("--") - 1 if "--" in argv else 0


class _Storer:
    """Stores a tick's results, in one transaction per call: the results a kind emits while it
    runs (`kinds.RunContext.emit`), then the rest. Each result is stored once (a second one for
    the same item is ignored) and only while the item still carries the claim; one CheckScan row
    per nmap run however many calls its results come in."""

    def __init__(self, claim, items):
        self.claim = claim
        self.by_id = {item.job.item_id: item for item in items}
        self.stored = []   # [Stored], in the order stored
        self.done = set()  # item ids stored, or dropped because the claim was lost
        self._scans = {}   # id(argv) → CheckScan id

    def store(self, results):
        """Store `results` not stored yet and the items' new states; commits."""
        fresh = {}
        for r in results:
            if r.item_id in self.by_id and r.item_id not in self.done and r.item_id not in fresh:
                fresh[r.item_id] = r
        if not fresh:
            return []
        results = [fresh[item_id] for item_id in sorted(fresh)]
        self.done.update(fresh)
        if on_postgres():
            ids = storing.store(self.claim, self._rows(results))
        else:
            ids = self._release_and_insert(results)
        dropped = len(results) - len(ids)
        if dropped:
            logger.warning("%d check result(s) dropped: their claim ran out and was taken over", dropped)
        db.session.commit()
        stored = [Stored(item=self.by_id[r.item_id], result=r, result_id=ids[r.item_id],
                         before=self.by_id[r.item_id].state, changed=r.status != self.by_id[r.item_id].state)
                  for r in results if r.item_id in ids]
        self.stored.extend(stored)
        return stored

    def _scan_ids(self, results):
        for r in results:
            if r.command is not None and id(r.command) not in self._scans:
                self._scans[id(r.command)] = db.session.execute(
                    insert(_SCANS).values(started_at=r.started_at, argv=r.command, hosts=_hosts(r.command))
                    .returning(_SCANS.c.id)).scalar_one()
        return self._scans

    def _rows(self, results):
        """check_result's columns for each of `results` (the nmap runs behind them inserted)."""
        scans = self._scan_ids(results)
        rows = []
        for r in results:
            item = self.by_id[r.item_id]
            rows.append({"server_check_id": r.item_id, "server_id": item.job.server_id, "kind": item.job.kind,
                         "status": r.status, "changed": r.status != item.state, "started_at": r.started_at,
                         "finished_at": r.finished_at,
                         "duration_ms": max(0, int((r.finished_at - r.started_at).total_seconds() * 1000)),
                         "details": r.details or {},
                         "scan_id": scans.get(id(r.command)) if r.command is not None else None})
        return rows

    def _release_and_insert(self, results):
        """SQLite: the claims released (`claims.release`), then the results of the items still
        ours inserted and their states set; {item id: result id}."""
        ours = set(claims.release(self.claim, [r.item_id for r in results]))
        rows = self._rows([r for r in results if r.item_id in ours])
        if not rows:
            return {}
        statement = insert(_RESULTS).returning(_RESULTS.c.id, _RESULTS.c.server_check_id)
        ids = {}
        for start in range(0, len(rows), 500):
            returned = db.session.execute(statement, rows[start:start + 500])
            ids.update({item_id: ident for ident, item_id in returned})
        changed, same = [], []  # the items whose state changed also get a new state_since
        for row in rows:
            item = {"id": row["server_check_id"], "state": row["status"], "last_run_at": row["finished_at"],
                    "last_result_id": ids[row["server_check_id"]]}
            if row["changed"]:
                changed.append({**item, "state_since": row["finished_at"]})
            else:
                same.append(item)
        writes = bulk.Writes()
        writes.update(_ITEMS, changed)
        writes.update(_ITEMS, same)
        writes.send()
        return ids


def alert_due(status, alerting):
    """"firing" when a failure is not alerted yet, "resolved" when an alerted item passes again,
    else None (error and interrupted runs change nothing)."""
    if status == "fail" and not alerting:
        return "firing"
    if status in PASSING and alerting:
        return "resolved"
    return None


def _alert(stored):
    """Send the alerts of the stored results' changes in one intake call, then set `alerting`."""
    from ..alerts import intake
    from ..incidents.from_alerts import system_actor
    from .alert import from_transition

    due = []
    for one in stored:
        kind = alert_due(one.result.status, one.item.alerting)
        if kind is not None:
            one.alert = kind
            due.append(one)
    if not due:
        return 0
    job = lambda one: one.item.job  # noqa: E731
    alerts = [from_transition(kind=job(one).kind, config_id=job(one).config_id, config_name=one.item.config_name,
                              server_id=job(one).server_id, hostname=job(one).hostname, status=one.result.status,
                              details=one.result.details, occurred_at=one.result.finished_at,
                              firing=one.alert == "firing") for one in due]
    try:
        intake.ingest(system_actor(), alerts, via="check")
    except Exception:
        db.session.rollback()
        logger.exception("check alerts could not be handed to the intake; sent again at the next run")
        for one in due:
            one.alert = None
        return 0
    params = [{"b_id": job(one).item_id, "b_alerting": one.alert == "firing"} for one in due]
    db.session.execute(update(_ITEMS).where(_ITEMS.c.id == bindparam("b_id"))
                       .values(alerting=bindparam("b_alerting")), params)
    db.session.commit()
    return len(due)


def _sync(now):
    try:
        workitems.sync(now=now)
        db.session.commit()
    except (IntegrityError, OperationalError):  # another scheduler added the same rows at once
        db.session.rollback()
        logger.info("work items synchronised by another scheduler meanwhile")


def tick(holder_id=None, now=None, only=None):
    """One tick: run the due work items (or the active items `only`, due or not). A TickReport."""
    config = current_app.config
    holder_id = holder_id or holder()
    now = now or utcnow()
    report = TickReport()
    _sync(now)
    report.recovered = claims.recover_interrupted(now)
    concurrency = max(1, int(config.get("CSIRT_CHECK_CONCURRENCY") or 1))
    lease = lease_for(concurrency)
    if only is None:
        claim = claims.claim_due(holder_id, now, int(config.get("CSIRT_CHECK_BATCH") or 500), lease)
    else:
        claim = claims.claim_items(holder_id, now, only, lease)
    report.claimed = len(claim.ids)
    if not claim.ids:
        return report
    try:
        items, heartbeats = _load(claim.ids)
        db.session.commit()  # no transaction stays open while the checks run
        storer = _Storer(claim, items)
        values = {key: config.get(key) for key in CONFIG_KEYS}
        results, stopped = _run(items, heartbeats, now, values, storer)
    except BaseException:
        db.session.rollback()
        claims.interrupt(claim, claim.ids, utcnow())  # the runs stored already are not ours to mark
        raise
    if not stopped:
        storer.store(results)
    report.stored = storer.stored
    if stopped:
        report.interrupted = claims.interrupt(claim, claim.ids, utcnow())
    report.alerts = _alert(report.stored)
    return report

