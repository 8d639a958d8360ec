"""Firewall exposure, end to end through real nmap against ports the test opens on 127.0.0.x,
and the pure verdict with plain values."""
import os
import time
from datetime import datetime

import pytest

from csirt.checks import evaluate, firewall, scanner
from csirt.checks.kinds import Job, RunContext

from .test_scanner import NMAP, free_port, listening

CONFIG = {"CSIRT_NMAP_PATH": NMAP, "CSIRT_SCAN_ALLOWED_NETWORKS": "127.0.0.0/8, ::1/128",
          "CSIRT_SCAN_MAX_CIDR_HOSTS": 256}
needs_nmap = pytest.mark.skipif(not os.path.exists(NMAP), reason="nmap is not installed")


def job(item_id, addresses, ports, baseline="", **params):
    return Job(item_id=item_id, config_id=1, kind="firewall", server_id=item_id,
               hostname=f"srv{item_id}", addresses=tuple(addresses),
               params={"ports": ports, **params}, timeout=20, baseline=baseline)


def ctx(**config):
    return RunContext(now=datetime(2026, 12, 1), config={**CONFIG, **config})


@pytest.fixture
def popen_calls(monkeypatch):
    calls = []
    real = scanner.subprocess.Popen

    def counting(argv, *args, **kwargs):
        calls.append(list(argv))
        return real(argv, *args, **kwargs)
    monkeypatch.setattr(scanner.subprocess, "Popen", counting)
    return calls


# ---- the pure verdict --------------------------------------------------------------------------

def test_verdict_open_outside_the_baseline_fails_and_lists_the_ports():
    status, details = evaluate.firewall_verdict({"22/tcp", "3306/tcp", "161/udp"}, "22/tcp",
                                                "1-1024/tcp, 3306/tcp, 161/udp")
    assert status == "fail"
    assert details == {"reason": "open_ports", "unexpected": ["3306/tcp", "161/udp"], "closed": [],
                       "open": ["22/tcp", "3306/tcp", "161/udp"]}


def test_verdict_closed_baseline_port_warns_or_fails_when_configured():
    assert evaluate.firewall_verdict({"22/tcp"}, "22/tcp, 443/tcp", "1-1024/tcp") == \
        ("warn", {"reason": "closed_ports", "unexpected": [], "closed": ["443/tcp"], "open": ["22/tcp"]})
    assert evaluate.firewall_verdict({"22/tcp"}, "22/tcp, 443/tcp", "1-1024/tcp", True)[0] == "fail"


def test_verdict_range_in_the_baseline_is_closed_only_when_none_of_it_is_open():
    assert evaluate.firewall_verdict({"8005/tcp"}, "8000-8010/tcp", "8000-8010/tcp")[0] == "pass"
    status, details = evaluate.firewall_verdict(set(), "8000-8010/tcp, 53/udp", "8000-8010/tcp, 53/udp")
    assert (status, details["closed"]) == ("warn", ["8000-8010/tcp", "53/udp"])


def test_verdict_judges_only_the_baseline_inside_the_scanned_set():
    assert evaluate.firewall_verdict({"22/tcp"}, "22/tcp, 161/udp", "22/tcp") == \
        ("pass", {"reason": "ok", "unexpected": [], "closed": [], "open": ["22/tcp"]})


def test_a_port_open_on_any_address_counts_as_open():
    hosts = {"127.0.0.1": {"open": {"22/tcp"}}, "::1": {"open": {"443/tcp"}}, "127.0.0.2": {"open": {"9/tcp"}}}
    assert evaluate.union_open(hosts, ["127.0.0.1", "::1", "127.0.0.3"]) == {"22/tcp", "443/tcp"}


# ---- the kind runner with real nmap ------------------------------------------------------------

@needs_nmap
def test_unexpected_open_port_fails_and_a_closed_baseline_port_warns(popen_calls):
    expected, unexpected = listening("127.0.0.31"), listening("127.0.0.31")
    ok, bad = expected.getsockname()[1], unexpected.getsockname()[1]
    closed = free_port("127.0.0.32")
    try:
        results = firewall.run([
            job(1, ["127.0.0.31"], f"{bad}/tcp", baseline=f"{ok}/tcp"),
            job(2, ["127.0.0.32"], f"{bad}/tcp", baseline=f"{closed}/tcp"),
            job(3, ["127.0.0.32"], f"{bad}/tcp", baseline=f"{closed}/tcp", closed_fails=True),
        ], ctx())
    finally:
        expected.close()
        unexpected.close()
    fail, warn, closed_fail = results
    assert [r.item_id for r in results] == [1, 2, 3]
    assert fail.status == "fail"
    assert fail.details["reason"] == "open_ports"
    assert fail.details["unexpected"] == [f"{bad}/tcp"]
    assert fail.details["open"] == sorted([f"{ok}/tcp", f"{bad}/tcp"], key=lambda p: int(p.split("/")[0]))
    assert fail.details["hosts"] == {"127.0.0.31": "up"}
    assert fail.command[0] == NMAP and "127.0.0.31" in fail.command
    assert (warn.status, warn.details["closed"]) == ("warn", [f"{closed}/tcp"])
    assert (closed_fail.status, closed_fail.details["reason"]) == ("fail", "closed_ports")
    assert fail.started_at <= fail.finished_at


@needs_nmap
def test_a_port_open_on_one_of_the_servers_addresses_counts(popen_calls):
    server = listening("127.0.0.42")
    port = server.getsockname()[1]
    try:
        (result,) = firewall.run([job(1, ["127.0.0.41", "127.0.0.42"], f"{port}/tcp",
                                      baseline=f"{port}/tcp")], ctx())
    finally:
        server.close()
    assert (result.status, result.details["reason"]) == ("pass", "ok")
    assert result.details["hosts"] == {"127.0.0.41": "up", "127.0.0.42": "up"}


@needs_nmap
def test_jobs_with_the_same_port_set_share_one_nmap_run(popen_calls):
    port = free_port("127.0.0.51")
    jobs = [job(i, [f"127.0.0.{50 + i}"], f"{port}/tcp") for i in range(1, 6)]
    jobs.append(job(9, ["127.0.0.59"], f"{port}/tcp, 9/tcp"))
    results = firewall.run(jobs, ctx())
    assert [r.status for r in results] == ["pass"] * 6
    assert len(popen_calls) == 2
    shared = popen_calls[0]
    assert shared[shared.index("--") + 1:] == [f"127.0.0.{50 + i}" for i in range(1, 6)]
    assert all(r.command == shared for r in results[:5])
    assert results[5].command == popen_calls[1]
    ports = popen_calls[1][popen_calls[1].index("-p") + 1]
    assert ports == (f"T:9,{port}" if port > 9 else f"T:{port},9")


@needs_nmap
def test_the_baseline_ports_are_always_scanned(popen_calls):
    (result,) = firewall.run([job(1, ["127.0.0.61"], "22/tcp", baseline="443/tcp, 161/udp")], ctx())
    argv = popen_calls[0]
    assert argv[argv.index("-p") + 1] == "T:22,443,U:161" and "-sU" in argv
    assert result.details["ports"] == "22/tcp, 443/tcp, 161/udp"


@needs_nmap
def test_a_target_outside_the_allowed_networks_is_an_error_and_is_not_scanned(popen_calls):
    results = firewall.run([
        job(1, ["127.0.0.71"], "22/tcp", targets=["10.0.0.1"]),
        job(2, ["10.0.0.2"], "22/tcp"),
        job(3, ["127.0.0.73"], "22/tcp"),
        job(4, ["127.0.0.74"], "22/tcp", targets=["127.0.0.75"]),
    ], ctx())
    assert [(r.status, r.details["reason"]) for r in results[:2]] == [("error", "not_allowed")] * 2
    assert results[0].details["target"] == "10.0.0.1"
    assert results[0].command is None
    assert len(popen_calls) == 1
    scanned = popen_calls[0][popen_calls[0].index("--") + 1:]
    assert scanned == ["127.0.0.73", "127.0.0.75"]
    assert results[3].details["hosts"] == {"127.0.0.75": "up"}


def test_nmap_missing_gives_an_error_result_for_each_job(tmp_path):
    results = firewall.run([job(1, ["127.0.0.1"], "22/tcp"), job(2, ["127.0.0.2"], "22/tcp")],
                           ctx(CSIRT_NMAP_PATH=str(tmp_path / "nmap")))
    assert [(r.status, r.details["reason"]) for r in results] == [("error", "nmap_missing")] * 2
    assert results[0].command[0] == str(tmp_path / "nmap")


def test_a_passed_deadline_scans_nothing(monkeypatch):
    monkeypatch.setattr(scanner.subprocess, "Popen", lambda *a, **k: pytest.fail("nmap started"))
    context = ctx()
    context.deadline = time.monotonic() - 1
    (result,) = firewall.run([job(1, ["127.0.0.1"], "22/tcp")], context)
    assert (result.status, result.details["reason"]) == ("error", "timeout")


def test_a_job_without_addresses_or_with_a_bad_baseline_is_an_error(monkeypatch):
    monkeypatch.setattr(scanner.subprocess, "Popen", lambda *a, **k: pytest.fail("nmap started"))
    results = firewall.run([job(1, [], "22/tcp"), job(2, ["127.0.0.1"], "22/tcp", baseline="22/xyz")], ctx())
    assert [r.details["reason"] for r in results] == ["no_addresses", "bad_ports"]
