"""Two real processes tick the checks against one PostgreSQL database at the same time: claimed
FOR UPDATE SKIP LOCKED, they share the load and each due check runs once per interval, never twice.

Both processes read one simulated clock (30 s of it per real second, from a start time the test
gives them), so a few real seconds span several check intervals."""
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from csirt import clock
from csirt.checks.models import CheckResult

from .engine_support import config, server

pytestmark = pytest.mark.skipif(
    not os.environ.get("CSIRT_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="several schedulers share the load on PostgreSQL (SQLite: one scheduler at a time)")
INTERVAL, SPEED, SECONDS, ITEMS = 60, 30, 5.0, 60

WORKER = """
import os, sys, time
from datetime import datetime, timedelta
from pathlib import Path
from csirt import create_app
from csirt.checks import kinds, runner

def fake(jobs, ctx):
    time.sleep(0.01)
    return [kinds.Result(job.item_id, "pass", ctx.now, ctx.now, {"reason": "fresh", "pid": os.getpid()})
            for job in jobs]

kinds.runners = lambda: {"agent": fake}
go, base = Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2])
speed, seconds = float(sys.argv[3]), float(sys.argv[4])
app = create_app()
with app.app_context():
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.01)
    started = float(go.read_text())
    ticks = claimed = 0
    while time.time() < started + seconds:
        now = base + timedelta(seconds=(time.time() - started) * speed)
        claimed += runner.tick(now=now).claimed
        ticks += 1
        time.sleep(0.01)
    print("done", ticks, claimed, flush=True)
"""


@pytest.mark.slow
def test_two_processes_run_each_due_check_once_per_interval(app, db, make, database_url, tmp_path):
    agency = make.agency()
    for n in range(ITEMS):
        server(agency, f"srv-{n:03d}", [f"127.0.9.{n + 1}"])
    config("agent", agency=agency, params={"mode": "heartbeat", "stale_minutes": 15}, interval=INTERVAL)
    base = clock.utcnow()
    env = {**os.environ, "CSIRT_DATABASE_URL": database_url, "CSIRT_INSTANCE_PATH": str(tmp_path),
           "CSIRT_CHECK_BATCH": "7", "CSIRT_CHECK_CONCURRENCY": "4"}
    env.pop("CSIRT_ENV", None)
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(go), base.isoformat(), str(SPEED), str(SECONDS)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        go.write_text(str(time.time()))
        outputs = [proc.communicate(timeout=60) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert out.startswith("done"), (out, err)

    db.session.expire_all()
    rows = db.session.execute(db.select(CheckResult).order_by(CheckResult.started_at)).scalars().all()
    runs = {}
    for row in rows:
        runs.setdefault(row.server_check_id, []).append(row)
    assert len(runs) == ITEMS  # every due check ran
    span = SECONDS * SPEED
    for item_id, item_runs in runs.items():
        starts = [r.started_at for r in item_runs]
        gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:])]
        assert all(gap >= INTERVAL for gap in gaps), (item_id, gaps)  # never twice in one interval
        assert len(starts) <= span // INTERVAL + 1, (item_id, starts)
        assert starts[0] - base < timedelta(seconds=INTERVAL)
    assert {r.status for r in rows} == {"pass"}
    pids = {r.details["pid"] for r in rows}
    assert pids == {proc.pid for proc in procs}  # both shared the load
    total = sum(len(v) for v in runs.values())
    assert all(len(v) >= span // INTERVAL for v in runs.values())  # kept up: once in every interval
    print(f"{total} runs of {ITEMS} checks over {span:.0f} simulated seconds, "
          f"{sum(r.details['pid'] == procs[0].pid for r in rows)} by the first process")
