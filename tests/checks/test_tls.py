"""The TLS kind against a real TLS server on 127.0.0.1, with a CA and certificates this test
makes with the openssl command line (the `cryptography` package is not installed)."""
import shutil
import socket
import ssl
import subprocess
import threading
from datetime import datetime, timedelta

import pytest

from csirt.checks import tls
from csirt.checks.kinds import Job, RunContext

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module", name="pki")
def pki_fixture(tmp_path_factory):
    """A CA, and a leaf for portal.test and 127.0.0.1 signed by it, valid 30 days."""
    d = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "60",
             "-subj", "/CN=Test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr",
             "-subj", "/CN=portal.test/O=So TTTT", cwd=d)
    (d / "ext.cnf").write_text("subjectAltName=DNS:portal.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                               "extendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "leaf.pem", "-days", "30", "-extfile", "ext.cnf", cwd=d)
    return d


@pytest.fixture(name="server")
def server_fixture(pki):
    """A TLS server on 127.0.0.1 that completes handshakes until the test ends; yields its port."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki / "leaf.pem", pki / "leaf.key")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _addr = listener.accept()
            except OSError:
                continue
            conn.settimeout(2)
            try:
                with context.wrap_socket(conn, server_side=True) as tls_conn:
                    tls_conn.recv(1)
            except OSError:
                pass
            finally:
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    listener.close()


def _config(pki, trusted=True):
    return {"CSIRT_SCAN_ALLOWED_NETWORKS": "127.0.0.0/8", "CSIRT_TLS_CA_FILE": str(pki / "ca.pem") if trusted else ""}


def _run(port, config, now=None, **params):
    job = Job(item_id=3, config_id=1, kind="tls", server_id=1, hostname="web-01", addresses=("127.0.0.1",),
              params={"host": "127.0.0.1", "port": port, "min_days": 14, **params}, timeout=3)
    [result] = tls.run([job], RunContext(now=now or datetime.utcnow(), config=config))
    assert result.item_id == 3
    return result


def test_a_trusted_certificate_naming_the_host_passes_and_says_what_it_is(pki, server):
    result = _run(server, _config(pki), server_name="portal.test")
    assert (result.status, result.details["reason"]) == ("pass", "ok")
    assert result.details["days_left"] in (29, 30)
    assert result.details["names"] == ["portal.test", "127.0.0.1"]
    assert "CN=portal.test" in result.details["subject"] and result.details["issuer"] == "CN=Test CA"
    assert _run(server, _config(pki)).status == "pass"  # by its IP address


def test_min_days_left_passes_one_second_less_fails_expiring_and_after_the_end_expired(pki, server):
    end = datetime.fromisoformat(_run(server, _config(pki)).details["not_after"].rstrip("Z"))
    at_limit = _run(server, _config(pki), now=end - timedelta(days=14))
    assert (at_limit.status, at_limit.details["days_left"]) == ("pass", 14)
    over = _run(server, _config(pki), now=end - timedelta(days=14, seconds=-1))
    assert (over.status, over.details["reason"], over.details["days_left"]) == ("fail", "expiring", 13)
    expired = _run(server, _config(pki), now=end + timedelta(seconds=1))
    assert (expired.status, expired.details["reason"]) == ("fail", "expired")


def test_an_unknown_ca_is_untrusted_but_the_days_left_are_still_reported(pki, server):
    result = _run(server, _config(pki, trusted=False), server_name="portal.test")
    assert (result.status, result.details["reason"]) == ("fail", "untrusted")
    assert result.details["days_left"] in (29, 30) and result.details["names"] == ["portal.test", "127.0.0.1"]


def test_a_certificate_for_another_name_is_a_name_mismatch(pki, server):
    result = _run(server, _config(pki), server_name="intranet.test")
    assert (result.status, result.details["reason"]) == ("fail", "name_mismatch")
    assert "portal.test" in result.details["names"]


def test_a_closed_port_fails_connect_failed():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _run(port, {"CSIRT_SCAN_ALLOWED_NETWORKS": "127.0.0.0/8"})
    assert (result.status, result.details["reason"]) == ("fail", "connect_failed")


def test_a_host_outside_the_allowed_networks_is_never_connected_to(monkeypatch):
    tried = []
    monkeypatch.setattr(tls.reach, "connect", lambda *a: tried.append(a))
    result = _run(443, {"CSIRT_SCAN_ALLOWED_NETWORKS": "127.0.0.0/8"}, host="10.255.255.1")
    assert (result.status, result.details["reason"]) == ("error", "not_allowed")
    assert tried == []


def test_the_verdict_alone():
    cert = {"notAfter": "Jan 31 00:00:00 2027 GMT", "subject": ((("commonName", "a"),),),
            "issuer": ((("commonName", "ca"),),), "subjectAltName": (("DNS", "a"),)}
    now = datetime(2027, 1, 17)
    assert tls.verdict(cert, now, 14)[0] == "pass"
    assert tls.verdict(cert, now + timedelta(seconds=1), 14)[1]["reason"] == "expiring"
    assert tls.verdict(cert, now, 14, "untrusted")[1]["reason"] == "untrusted"
    assert tls.verdict(None, now, 14)[0] == "error"
