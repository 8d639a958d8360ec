"""The agent kind: heartbeat freshness with its boundary, and the port mode against real
sockets on loopback (and never anything outside the allowed networks)."""
import socket
import time
from datetime import datetime, timedelta
from types import SimpleNamespace

from csirt.checks import agent
from csirt.checks.kinds import Job, RunContext

NOW = datetime(2026, 12, 3, 1, 0, 0)
CONFIG = {"CSIRT_SCAN_ALLOWED_NETWORKS": "127.0.0.0/8"}


def beat(minutes_ago=0, seconds_ago=0, name="wazuh-agent", version="4.9.2"):
    return SimpleNamespace(received_at=NOW - timedelta(minutes=minutes_ago, seconds=seconds_ago),
                           agent_name=name, agent_version=version)


def job(**params):
    mode = params.pop("mode", "heartbeat")
    addresses = params.pop("addresses", ("127.0.0.1",))
    return Job(item_id=1, config_id=1, kind="agent", server_id=7, hostname="web-01", addresses=addresses,
               params={"mode": mode, "stale_minutes": 15, **params}, timeout=2,
               agent_expected=params.pop("expected", ""))


def test_no_heartbeat_ever_fails_never():
    assert agent.heartbeat_verdict(None, NOW, 15) == ("fail", {"reason": "never"})


def test_a_heartbeat_exactly_stale_minutes_old_is_fresh_one_second_more_is_stale():
    status, details = agent.heartbeat_verdict(beat(minutes_ago=15), NOW, 15)
    assert (status, details["reason"], details["age_seconds"]) == ("pass", "fresh", 900)
    assert details["agent_name"] == "wazuh-agent" and details["last_seen"] == "2026-12-03T00:45:00Z"
    status, details = agent.heartbeat_verdict(beat(minutes_ago=15, seconds_ago=1), NOW, 15)
    assert (status, details["reason"], details["age_seconds"]) == ("fail", "stale", 901)


def test_a_heartbeat_from_another_agent_than_expected_fails():
    assert agent.heartbeat_verdict(beat(name="ossec"), NOW, 15, expected="Wazuh")[1]["reason"] == "wrong_agent"
    assert agent.heartbeat_verdict(beat(name="wazuh-agent"), NOW, 15, expected="WAZUH")[0] == "pass"


def test_the_runner_reads_the_heartbeat_of_the_job_server():
    ctx = RunContext(now=NOW, config=CONFIG, heartbeats={7: beat(minutes_ago=3)})
    [result] = agent.run([job()], ctx)
    assert (result.item_id, result.status, result.details["reason"]) == (1, "pass", "fresh")
    [result] = agent.run([job()], RunContext(now=NOW, config=CONFIG))
    assert (result.status, result.details["reason"]) == ("fail", "never")


def test_port_mode_passes_when_the_port_accepts_and_fails_when_closed():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        [result] = agent.run([job(mode="port", port=port)], RunContext(now=NOW, config=CONFIG))
        assert (result.status, result.details["reason"]) == ("pass", "port_open")
        assert result.details["hosts"] == {"127.0.0.1": "open"}
    [result] = agent.run([job(mode="port", port=port)], RunContext(now=NOW, config=CONFIG))
    assert (result.status, result.details["reason"]) == ("fail", "port_closed")


def test_port_mode_never_connects_outside_the_allowed_networks(monkeypatch):
    tried = []
    monkeypatch.setattr(agent.reach, "connect", lambda *a: tried.append(a))
    [result] = agent.run([job(mode="port", port=1514, addresses=("10.255.255.1",))],
                         RunContext(now=NOW, config=CONFIG))
    assert (result.status, result.details["reason"]) == ("error", "not_allowed")
    assert result.details["refused"] == ["10.255.255.1"] and tried == []


def test_port_mode_targets_replace_the_server_addresses_and_a_network_gives_its_hosts(monkeypatch):
    tried = []

    def fake(ip, port, timeout):
        tried.append(ip)
        raise ConnectionRefusedError

    monkeypatch.setattr(agent.reach, "connect", fake)
    [result] = agent.run([job(mode="port", port=1514, targets=["127.0.9.0/30", "10.0.0.1"])],
                         RunContext(now=NOW, config=CONFIG))
    assert tried == ["127.0.9.1", "127.0.9.2"]
    assert result.details["refused"] == ["10.0.0.1"] and result.details["reason"] == "port_closed"


def test_port_mode_stops_at_the_job_timeout_however_many_addresses_are_silent(monkeypatch):
    """Filtered addresses take the whole connection timeout each: the job's timeout (2 s) bounds
    the probe of a /24, and the addresses left are listed as untried."""
    tried = []

    def silent(ip, port, timeout):
        tried.append(ip)
        time.sleep(min(timeout, 0.5))
        raise TimeoutError

    monkeypatch.setattr(agent.reach, "connect", silent)
    started = time.monotonic()
    [result] = agent.run([job(mode="port", port=1514, targets=["127.0.9.0/24"])], RunContext(now=NOW, config=CONFIG))
    assert time.monotonic() - started < 3
    assert (result.status, result.details["reason"]) == ("fail", "port_closed")
    assert 3 <= len(tried) <= 5 and len(result.details["untried"]) == 254 - len(tried)
