"""The scanner: the argv is exactly the fixed profile, hostile input never reaches nmap, one
real nmap run finds what the test opened, and a timeout or a killed parent leaves no nmap."""
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from csirt.checks import scanner

from .test_targets import HOSTILE

NMAP = "/usr/bin/nmap"
pytestmark = pytest.mark.skipif(not os.path.exists(NMAP), reason="nmap is not installed")


def listening(address="127.0.0.1"):
    """A socket listening on `address` at a free port (the caller closes it)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, 0))
    sock.listen(8)
    return sock


def free_port(address="127.0.0.1"):
    sock = socket.socket()
    sock.bind((address, 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def processes_with(marker):
    """pids whose command line contains `marker` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and "nmap" in cmdline and "python" not in cmdline:
            found.append(int(entry.name))
    return found


def test_the_argv_is_exactly_the_profile():
    argv = scanner.build_argv("nmap", ["127.0.0.1", "127.0.1.0/24", "::1"], "22,80,8000-8010", "", 30)
    assert argv == ["nmap", "-oX", "-", "-n", "-Pn", "-sT", "-p", "T:22,80,8000-8010",
                    "--host-timeout", "30s", "--max-retries", "1", "--",
                    "127.0.0.1", "127.0.1.0/24", "::1"]
    argv = scanner.build_argv("/usr/bin/nmap", ["127.0.0.1"], "22", "161,500-501", 5)
    assert argv == ["/usr/bin/nmap", "-oX", "-", "-n", "-Pn", "-sT", "-sU", "-p", "T:22,U:161,500-501",
                    "--host-timeout", "5s", "--max-retries", "1", "--", "127.0.0.1"]


@pytest.mark.parametrize("host", HOSTILE + ["localhost", "127.000.0.1", "127.0.0.01"])
def test_hostile_hosts_never_reach_the_argv(host):
    with pytest.raises(ValueError):
        scanner.build_argv("nmap", ["127.0.0.1", host], "22", "", 30)


@pytest.mark.parametrize("tcp, udp", [
    ("22 -sV", ""), ("-p1", ""), ("22;id", ""), ("T:22", ""), ("22,--script=x", ""), (",22", ""),
    ("22\n", ""), ("", ""), (None, None), ("22", "161 -oN x"), ("22", "-1"), ("22", "U:161"), (22, ""),
])
def test_hostile_ports_never_reach_the_argv(tcp, udp):
    with pytest.raises(ValueError):
        scanner.build_argv("nmap", ["127.0.0.1"], tcp, udp, 30)


@pytest.mark.parametrize("path", ["-oN/tmp/x", "", None, "nmap\n-sV"])
def test_bad_nmap_paths_are_refused(path):
    with pytest.raises(ValueError):
        scanner.build_argv(path, ["127.0.0.1"], "22", "", 30)


def test_the_argv_holds_under_python_O():
    """Nothing rests on `assert` (gone under -O): the same refusals and argv there."""
    script = textwrap.dedent(f"""
        import json, sys
        assert False is False  # noqa
        from csirt.checks import scanner
        out = {{"optimised": sys.flags.optimize,
               "argv": scanner.build_argv("nmap", ["127.0.0.1", "::1"], "22", "161", 7), "refused": []}}
        for host in {HOSTILE!r}:
            try:
                scanner.build_argv("nmap", [host], "22", "", 7)
            except ValueError:
                out["refused"].append(host)
        print(json.dumps(out))
    """)
    done = subprocess.run([sys.executable, "-O", "-c", script], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["optimised"] == 1
    assert out["argv"] == ["nmap", "-oX", "-", "-n", "-Pn", "-sT", "-sU", "-p", "T:22,U:161",
                           "--host-timeout", "7s", "--max-retries", "1", "--", "127.0.0.1", "::1"]
    assert out["refused"] == HOSTILE


def test_a_real_scan_finds_the_open_port_and_the_closed_one():
    server = listening("127.0.0.23")
    open_port = server.getsockname()[1]
    closed_port = free_port("127.0.0.24")
    try:
        outcome = scanner.scan(["127.0.0.23", "127.0.0.24"], f"{open_port},{closed_port}", "", 20,
                               {"CSIRT_NMAP_PATH": NMAP})
    finally:
        server.close()
    assert outcome.error is None, outcome.stderr
    assert outcome.argv[-3:] == ["--", "127.0.0.23", "127.0.0.24"]
    assert outcome.hosts["127.0.0.23"] == {"state": "up", "open": {f"{open_port}/tcp"}}
    assert outcome.hosts["127.0.0.24"] == {"state": "up", "open": set()}
    assert scanner.running() == 0


def test_a_scan_outside_the_allowed_networks_never_starts(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("nmap started")
    monkeypatch.setattr(scanner.subprocess, "Popen", boom)
    outcome = scanner.scan(["127.0.0.1", "10.0.0.1"], "22", "", 5,
                           {"CSIRT_SCAN_ALLOWED_NETWORKS": "127.0.0.0/8"})
    assert outcome.error == "not_allowed"


def test_nmap_missing_is_an_error_not_a_crash(tmp_path):
    outcome = scanner.scan(["127.0.0.1"], "22", "", 5, {"CSIRT_NMAP_PATH": str(tmp_path / "nmap")})
    assert outcome.error == "nmap_missing"
    outcome = scanner.scan(["127.0.0.1"], "22", "", 5, {"CSIRT_NMAP_PATH": "no-such-nmap-here"})
    assert outcome.error == "nmap_missing"


def test_a_scan_type_nmap_may_not_run_is_not_permitted(tmp_path):
    fake = tmp_path / "nmap"
    fake.write_text("#!/bin/sh\necho 'You requested a scan type which requires root privileges.' >&2\n"
                    "echo 'QUITTING!' >&2\nexit 1\n")
    fake.chmod(0o755)
    outcome = scanner.scan(["127.0.0.1"], "22", "161", 5, {"CSIRT_NMAP_PATH": str(fake)})
    assert outcome.error == "not_permitted"
    assert "root privileges" in outcome.stderr


def test_a_timeout_kills_the_whole_group_and_leaves_no_nmap():
    marker = "127.0.91.0/24"
    hosts = [marker, "127.0.92.0/24", "127.0.93.0/24", "127.0.94.0/24"]
    started = time.monotonic()
    outcome = scanner.scan(hosts, "1-65535", "", 1, {"CSIRT_NMAP_PATH": NMAP})
    assert outcome.error == "timeout"
    assert time.monotonic() - started < 5
    assert processes_with(marker) == []
    assert scanner.running() == 0


def test_kill_all_stops_a_running_scan():
    marker = "127.0.95.0/24"
    box = {}
    worker = threading.Thread(target=lambda: box.setdefault("outcome", scanner.scan(
        [marker, "127.0.96.0/24", "127.0.97.0/24"], "1-65535", "", 60, {"CSIRT_NMAP_PATH": NMAP})))
    worker.start()
    deadline = time.monotonic() + 5
    while scanner.running() == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert processes_with(marker)
    assert scanner.kill_all() == 1
    worker.join(10)
    assert box["outcome"].error == "killed"
    assert processes_with(marker) == []


def test_a_killed_parent_leaves_no_nmap():
    """The scheduler dies with SIGKILL mid-scan: the kernel kills nmap too (PR_SET_PDEATHSIG)."""
    marker = "127.0.98.0/24"
    script = textwrap.dedent(f"""
        from csirt.checks import scanner
        scanner.scan([{marker!r}, "127.0.99.0/24", "127.0.100.0/24"], "1-65535", "", 60,
                     {{"CSIRT_NMAP_PATH": {NMAP!r}}})
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2])
    try:
        deadline = time.monotonic() + 10
        while not processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert processes_with(marker), "nmap never started"
        parent.send_signal(signal.SIGKILL)
        parent.wait(5)
        deadline = time.monotonic() + 3
        while processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert processes_with(marker) == []
    finally:
        for pid in processes_with(marker):
            os.kill(pid, signal.SIGKILL)
        if parent.poll() is None:
            parent.kill()


def test_parse_marks_timed_out_hosts_and_counts_only_open_ports():
    xml = """<?xml version="1.0"?><nmaprun>
<host timedout="true"><status state="up" reason="user-set"/><address addr="127.0.0.5" addrtype="ipv4"/></host>
<host><status state="up" reason="user-set"/><address addr="::1" addrtype="ipv6"/>
<ports><port protocol="tcp" portid="22"><state state="open"/></port>
<port protocol="udp" portid="161"><state state="open|filtered"/></port>
<port protocol="tcp" portid="23"><state state="filtered"/></port>
<port protocol="udp" portid="53"><state state="open"/></port></ports></host>
<runstats><finished elapsed="0.1"/><hosts up="2" down="0" total="2"/></runstats></nmaprun>"""
    assert scanner.parse_xml(xml) == {"127.0.0.5": {"state": "timeout", "open": set()},
                                      "::1": {"state": "up", "open": {"22/tcp", "53/udp"}}}


def test_our_parser_agrees_with_python_nmaps_on_a_real_scan():
    """python-nmap's parser is the reference: on the XML of a real scan of three hosts (ports the
    test opens, one closed, one host with nothing open) both find the same open ports."""
    import nmap

    servers = [listening("127.0.0.31"), listening("127.0.0.31"), listening("127.0.0.32")]
    opened = [s.getsockname()[1] for s in servers]
    ports = sorted(set(opened) | {free_port("127.0.0.33")})
    try:
        argv = scanner.build_argv(NMAP, ["127.0.0.31", "127.0.0.32", "127.0.0.33"],
                                  ",".join(map(str, ports)), "", 20)
        xml = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True).stdout
    finally:
        for server in servers:
            server.close()
    ours = scanner.parse_xml(xml)
    pieces = scanner.HostParser()  # as the scan reads it: whatever pieces the pipe gives
    data = xml.encode()
    for start in range(0, len(data), 7):
        pieces.feed(data[start:start + 7])
    assert pieces.close() == ours
    reference = nmap.PortScanner().analyse_nmap_xml_scan(xml)["scan"]
    theirs = {host: {f"{port}/tcp" for port, state in data.get("tcp", {}).items() if state["state"] == "open"}
              for host, data in reference.items()}
    assert {host: value["open"] for host, value in ours.items()} == theirs
    assert theirs["127.0.0.31"] == {f"{opened[0]}/tcp", f"{opened[1]}/tcp"}
    assert theirs["127.0.0.32"] == {f"{opened[2]}/tcp"}
    assert theirs["127.0.0.33"] == set()
