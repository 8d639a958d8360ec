"""Results stored while the kinds still run: the firewall kind hands over each server's result as
soon as nmap has written all its addresses (real nmap), and the tick stores those before the scan
ends, once each, with one scan row per nmap run; a stop keeps what was stored and records the
rest interrupted."""
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from csirt.checks import firewall, kinds, runner, scanner
from csirt.checks.models import CheckResult, CheckScan

from .engine_support import config, items, results, server, use_kinds
from .test_firewall import CONFIG, job, needs_nmap
from .test_scanner import free_port


@needs_nmap
def test_the_firewall_kind_emits_each_single_address_job_while_nmap_still_runs():
    port = free_port("127.0.0.81")
    emitted = []

    def emit(result):
        emitted.append((result, scanner.running()))

    jobs = [job(i, [f"127.0.0.{80 + i}"], f"{port}/tcp") for i in range(1, 4)]
    jobs.append(job(9, ["127.0.0.88/30"], f"{port}/tcp"))  # a network: its hosts are known at the end only
    returned = firewall.run(jobs, kinds.RunContext(now=datetime(2026, 12, 1), config=CONFIG, emit=emit))
    assert sorted(r.item_id for r, _running in emitted) == [1, 2, 3]
    assert all(running == 1 for _r, running in emitted)  # nmap had not ended when each was handed over
    by_id = {r.item_id: r for r in returned}
    assert [r.item_id for r in returned] == [1, 2, 3, 9]
    assert all(by_id[r.item_id] is r for r, _running in emitted)  # the same Result, not judged twice
    assert {r.status for r in returned} == {"pass"}
    assert by_id[9].details["hosts"] == {f"127.0.0.{n}": "up" for n in range(88, 92)}
    assert len({id(r.command) for r in returned}) == 1  # one argv list for the run


def _stamp(job, ctx, status="pass"):
    return kinds.Result(item_id=job.item_id, status=status, started_at=ctx.now,
                        finished_at=ctx.now + timedelta(milliseconds=5), details={"reason": "fake"},
                        command=["fake", "--", job.hostname])


def _four(make):
    agency = make.agency()
    for n in range(4):
        server(agency, f"early-{n}", [f"127.0.8.{n + 1}"])
    return config("firewall", agency=agency, params={"ports": "22/tcp"}, interval=600)


def _signal_stores(monkeypatch):
    """An Event set once the tick has stored (committed) some results."""
    stored = threading.Event()
    real_store = runner._Storer.store

    def store(self, found):
        done = real_store(self, found)
        if done:
            stored.set()
        return done
    monkeypatch.setattr(runner._Storer, "store", store)
    return stored


def test_the_tick_stores_emitted_results_before_the_kind_ends_and_each_once(app, db, make, monkeypatch):
    cfg = _four(make)
    stored_during_run = _signal_stores(monkeypatch)

    def early_kind(jobs, ctx):
        first, rest = jobs[:2], jobs[2:]
        for one in first:
            ctx.emit(_stamp(one, ctx, "fail"))
        assert stored_during_run.wait(10), "the early results were not stored while the kind ran"
        # the kind returns everything, the early ones again with another verdict: the first stays
        return [_stamp(one, ctx, "pass") for one in first] + [_stamp(one, ctx, "warn") for one in rest]

    use_kinds(monkeypatch, firewall=early_kind)
    report = runner.tick()
    assert report.claimed == 4 and len(report.stored) == 4
    statuses = {row.server.hostname: (row.state, [r.status for r in results(row.id)]) for row in items(cfg)}
    assert statuses == {"early-0": ("fail", ["fail"]), "early-1": ("fail", ["fail"]),
                        "early-2": ("warn", ["warn"]), "early-3": ("warn", ["warn"])}
    assert report.alerts == 2  # the two failures fire, stored early or not
    assert all(row.claimed_by is None for row in items(cfg))
    # four rows for four items, though the kind gave six results
    assert db.session.scalar(select(func.count()).select_from(CheckResult)) == 4


def test_a_stop_keeps_the_results_stored_early_and_interrupts_the_rest(app, db, make, monkeypatch):
    cfg = _four(make)
    stored = _signal_stores(monkeypatch)

    def stopping(jobs, ctx):
        ctx.emit(_stamp(jobs[0], ctx))
        assert stored.wait(10)
        runner.stop()  # the scheduler shuts down while the scan goes on
        return [_stamp(one, ctx) for one in jobs]

    use_kinds(monkeypatch, firewall=stopping)
    report = runner.tick()
    assert len(report.stored) == 1 and report.interrupted == 3
    by_host = {row.server.hostname: row for row in items(cfg)}
    assert [r.status for r in results(by_host["early-0"].id)] == ["pass"]
    assert by_host["early-0"].state == "pass" and by_host["early-0"].retry is False
    for host in ("early-1", "early-2", "early-3"):
        assert [r.status for r in results(by_host[host].id)] == ["interrupted"]
        assert by_host[host].retry is True and by_host[host].claimed_by is None


@needs_nmap
def test_a_scan_stored_in_many_transactions_has_one_scan_row(app, db, make, monkeypatch):
    app.config.update(CSIRT_NMAP_PATH=CONFIG["CSIRT_NMAP_PATH"], CSIRT_SCAN_ALLOWED_NETWORKS="127.0.0.0/8")
    monkeypatch.setattr(runner, "STORE_EVERY", 1)
    port = free_port("127.0.9.1")
    agency = make.agency()
    for n in range(6):
        server(agency, f"many-{n}", [f"127.0.9.{n + 1}"])
    cfg = config("firewall", agency=agency, params={"ports": f"{port}/tcp"}, interval=600, timeout=30)
    report = runner.tick()
    assert report.claimed == 6 and len(report.stored) == 6
    stored = [results(row.id) for row in items(cfg)]
    assert all(len(one) == 1 and one[0].status == "pass" for one in stored)
    assert len({one[0].scan_id for one in stored}) == 1
    [scan] = db.session.execute(select(CheckScan)).scalars().all()
    assert scan.hosts == 6 and scan.argv[scan.argv.index("--") + 1:] == [f"127.0.9.{n + 1}" for n in range(6)]


def test_nmaps_pipe_is_widened_where_linux_allows():
    import os
    import sys
    from pathlib import Path

    if not sys.platform.startswith("linux") or int(Path("/proc/sys/fs/pipe-max-size").read_text()) < 1 << 20:
        pytest.skip("Linux with 1 MB pipes only")
    read, write = os.pipe()
    try:
        with os.fdopen(read, "rb") as pipe:
            scanner._widen(pipe)
            assert scanner.fcntl.fcntl(pipe.fileno(), 1032) == 1 << 20  # F_GETPIPE_SZ
    finally:
        os.close(write)
