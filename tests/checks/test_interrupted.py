"""A scheduler killed (SIGKILL) in the middle of a real nmap scan leaves no nmap behind; the next
tick records the run as interrupted and retries it once."""
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from csirt import clock
from csirt.checks import runner

from .engine_support import FakeKind, config, items, results, server, use_kinds

NMAP = shutil.which("nmap")
TARGET = "127.0.77.0/24"  # a scan of every port of 256 loopback addresses: it runs long enough
pytestmark = pytest.mark.skipif(NMAP is None, reason="nmap is not installed")

# The scheduler as `csirt scheduler` runs it, with the checks job only (it ticks at start).
SCHEDULER = """
import signal, threading
from csirt import create_app, scheduler

runner = scheduler.start(create_app(), jobs=[("checks", scheduler._checks_tick, 15)])
print("started", flush=True)
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_a: done.set())
done.wait()
runner.shutdown()
print("stopped", flush=True)
"""
# Stands in for nmap: waits a moment, then becomes nmap itself (exec: same process, so the
# scanner's "die with the parent" setting carries over, and the process is found by name).
WRAPPER = """#!{python}
import os, sys, time
time.sleep(0.2)
os.execv({nmap!r}, ["nmap"] + sys.argv[1:])
"""


def _scans():
    """Pids of the processes scanning TARGET (zombies have no command line and do not count)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if TARGET.encode() in argv:
            found.append(int(entry.name))
    return found


def _wait(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()


def _comm(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _start(db, make, tmp_path, database_url):
    assert not _scans(), "a scan of the test's network is already running"
    agency = make.agency()
    target = server(agency, "scan-host", ["127.0.77.1"])
    cfg = config("firewall", target, params={"ports": "1-65535/tcp", "targets": [TARGET], "closed_fails": False},
                 interval=3600, timeout=600)
    wrapper = tmp_path / "nmap-wrapper"
    wrapper.write_text(WRAPPER.format(python=sys.executable, nmap=NMAP))
    wrapper.chmod(0o755)
    env = {**os.environ, "CSIRT_DATABASE_URL": database_url, "CSIRT_INSTANCE_PATH": str(tmp_path),
           "CSIRT_NMAP_PATH": str(wrapper)}
    env.pop("CSIRT_ENV", None)
    log = tmp_path / "scheduler.log"
    proc = subprocess.Popen([sys.executable, "-c", SCHEDULER], env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)
    return cfg, proc, log


def _cleanup(proc):
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)
    for pid in _scans():  # never leave a scan running, whatever the test found
        os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_a_scheduler_stopped_cleanly_mid_scan_kills_nmap_and_records_the_run_interrupted(
        app, db, make, database_url, tmp_path):
    cfg, proc, log = _start(db, make, tmp_path, database_url)
    try:
        assert _wait(lambda: [p for p in _scans() if _comm(p) == "nmap"], 60), log.read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()
        assert "stopped" in log.read_text()
        assert not _scans(), f"nmap left behind: {_scans()}"
    finally:
        _cleanup(proc)
    [item] = items(cfg)
    [interrupted] = results(item.id)  # recorded at once, not when the claim runs out
    assert interrupted.status == "interrupted"
    assert item.claimed_by is None and item.retry is True and item.state == "never"


@pytest.mark.slow
def test_a_scheduler_killed_mid_scan_leaves_no_nmap_and_the_run_is_interrupted_then_retried(
        app, db, make, database_url, tmp_path, monkeypatch):
    cfg, proc, log = _start(db, make, tmp_path, database_url)
    try:
        scanning = _wait(lambda: [p for p in _scans() if _comm(p) == "nmap"], 60)
        assert scanning, log.read_text()
        [item] = items(cfg)
        assert item.claimed_by is not None and item.run_started_at is not None  # the run is under way
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert _wait(lambda: not _scans(), 5), f"nmap left behind: {_scans()}"
    finally:
        _cleanup(proc)

    [item] = items(cfg)
    assert results(item.id) == []  # nothing was stored by the killed scheduler
    # later, past the claim's end, a tick records the run interrupted and retries it at once
    clock.freeze(item.claimed_until + timedelta(seconds=1))
    fake = FakeKind()
    use_kinds(monkeypatch, firewall=fake)
    report = runner.tick()
    assert report.recovered == 1 and report.claimed == 1 and len(fake.calls) == 1
    interrupted, retried = results(item.id)
    assert interrupted.status == "interrupted" and interrupted.details["reason"] == "scheduler_stopped"
    assert interrupted.details["claimed_by"].startswith("checks:")
    assert retried.status == "pass"
    [item] = items(cfg)
    assert item.retry is False and item.state == "pass" and item.claimed_by is None
