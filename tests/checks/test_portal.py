"""The portal kind against a real HTTP server on 127.0.0.1: status, latency, redirects, and a
redirect out of the allowed networks refused before any connection to it is tried."""
import socket
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from csirt.checks import portal
from csirt.checks.kinds import Job, RunContext

CONFIG = {"CSIRT_SCAN_ALLOWED_NETWORKS": "127.0.0.0/8"}


class Handler(BaseHTTPRequestHandler):
    routes = {
        "/ok": (200, {}), "/error": (500, {}), "/outside": (302, {"Location": "http://10.255.255.1/"}),
        "/named-outside": (301, {"Location": "http://outside.test/"}),
        "/hop": (302, {"Location": "/ok"}), "/loop": (302, {"Location": "/loop"}),
    }
    seen = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        Handler.seen.append((self.path, self.headers.get("Host")))
        if self.path == "/slow":
            time.sleep(0.25)
            status, headers = 200, {}
        else:
            status, headers = self.routes.get(self.path, (404, {}))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture(name="site")
def site_fixture():
    Handler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(name="connections")
def connections_fixture(monkeypatch):
    """Every address the kind connects to; anything outside loopback fails the test at once."""
    tried = []
    real = portal.reach.connect

    def guarded(ip, port, timeout):
        tried.append(ip)
        assert ip.startswith("127."), f"tried to connect to {ip}"
        return real(ip, port, timeout)

    monkeypatch.setattr(portal.reach, "connect", guarded)
    # A name that resolves outside, without asking any DNS server.
    real_resolve = portal.reach.resolve
    monkeypatch.setattr(portal.reach, "resolve",
                        lambda host: ["10.255.255.1"] if host == "outside.test" else real_resolve(host))
    return tried


def _run(url, **params):
    job = Job(item_id=5, config_id=1, kind="portal", server_id=1, hostname="web-01", addresses=(),
              params={"url": url, "expect_status": 200, "max_latency_ms": 3000, **params}, timeout=3)
    [result] = portal.run([job], RunContext(now=datetime(2026, 12, 3), config=CONFIG))
    assert result.item_id == 5
    return result


def test_the_expected_status_in_time_passes(site, connections):
    result = _run(site + "/ok")
    assert (result.status, result.details["reason"], result.details["status"]) == ("pass", "ok", 200)
    assert 0 <= result.details["latency_ms"] < 3000
    assert Handler.seen == [("/ok", site.removeprefix("http://"))]


def test_another_status_fails(site, connections):
    result = _run(site + "/error")
    assert (result.status, result.details["reason"], result.details["status"]) == ("fail", "wrong_status", 500)
    assert _run(site + "/error", expect_status=500).status == "pass"


def test_a_slow_answer_fails_slow(site, connections):
    result = _run(site + "/slow", max_latency_ms=100)
    assert (result.status, result.details["reason"]) == ("fail", "slow")
    assert result.details["latency_ms"] >= 200


def test_a_redirect_inside_the_allowed_networks_is_followed(site, connections):
    result = _run(site + "/hop")
    assert (result.status, result.details["status"]) == ("pass", 200)
    assert result.details["redirects"] == [site + "/ok"]
    assert [p for p, _h in Handler.seen] == ["/hop", "/ok"]


@pytest.mark.parametrize("path", ["/outside", "/named-outside"])
def test_a_redirect_out_of_the_allowed_networks_is_refused_without_connecting(site, connections, path):
    result = _run(site + path)
    assert (result.status, result.details["reason"]) == ("fail", "redirect_refused")
    assert connections == ["127.0.0.1"]  # the portal itself only


def test_redirects_are_followed_at_most_three_times(site, connections):
    result = _run(site + "/loop")
    assert (result.status, result.details["reason"]) == ("fail", "too_many_redirects")
    assert len(Handler.seen) == 4


def test_a_closed_port_fails_connect_failed(connections):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _run(f"http://127.0.0.1:{port}/")
    assert (result.status, result.details["reason"]) == ("fail", "connect_failed")


def test_a_portal_that_does_not_answer_in_time_fails_timeout(connections):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        job = Job(item_id=5, config_id=1, kind="portal", server_id=1, hostname="w", addresses=(),
                  params={"url": f"http://127.0.0.1:{silent.getsockname()[1]}/"}, timeout=1)
        started = time.monotonic()
        [result] = portal.run([job], RunContext(now=datetime(2026, 12, 3), config=CONFIG))
    assert (result.status, result.details["reason"]) == ("fail", "timeout")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("https", [False, True])
def test_a_portal_dripping_its_answer_is_cut_at_the_timeout(connections, https):
    """Each byte arrives before the socket's timeout, so only a deadline on the whole GET ends it:
    one byte every 0.2 s of a header line that never ends (or of a TLS handshake record)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def drip():
        conn, _addr = server.accept()
        with conn:
            try:
                if not https:
                    conn.recv(4096)
                conn.sendall(b"\x16\x03\x03\x40\x00" if https else b"HTTP/1.1 200 OK\r\nX-Drip: ")
                while not stop.wait(0.2):
                    conn.sendall(b"x")
            except OSError:
                pass

    threading.Thread(target=drip, daemon=True).start()
    scheme = "https" if https else "http"
    job = Job(item_id=5, config_id=1, kind="portal", server_id=1, hostname="w", addresses=(),
              params={"url": f"{scheme}://127.0.0.1:{server.getsockname()[1]}/"}, timeout=1)
    started = time.monotonic()
    try:
        [result] = portal.run([job], RunContext(now=datetime(2026, 12, 3), config=CONFIG))
    finally:
        stop.set()
        server.close()
    assert (result.status, result.details["reason"]) == ("fail", "timeout")
    assert time.monotonic() - started < 2


def test_a_url_outside_the_allowed_networks_is_an_error_and_never_fetched(connections):
    result = _run("http://10.255.255.1/")
    assert (result.status, result.details["reason"]) == ("error", "not_allowed")
    assert connections == []


def test_the_verdict_alone():
    assert portal.verdict(200, 3000, 200, 3000) == ("pass", {"reason": "ok", "status": 200, "latency_ms": 3000})
    assert portal.verdict(200, 3001, 200, 3000)[1]["reason"] == "slow"
    assert portal.verdict(404, 1, 200, 3000)[1]["reason"] == "wrong_status"
