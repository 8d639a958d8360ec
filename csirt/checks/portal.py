"""The portal kind: an HTTP(S) GET of `url` answers `expect_status` within `max_latency_ms`.

Only addresses inside the allowed networks are connected to: the URL's host is resolved once
and the connection goes to that address (the Host header and, for https, SNI and the
certificate check keep the name). A redirect is followed at most MAX_REDIRECTS times and only
when its target resolves inside the allowed networks; any other redirect fails
"redirect_refused" before a connection is even tried.
"""
import http.client
import socket
import ssl
import threading
import time
from urllib.parse import urljoin, urlsplit

from . import reach
from .kinds import each

MAX_REDIRECTS = 3
REDIRECTS = (301, 302, 303, 307, 308)
DEFAULT_STATUS, DEFAULT_LATENCY_MS = 200, 3000


def verdict(status, latency_ms, expect_status, max_latency_ms):
    """(status, details) from the answer's HTTP status and the time it took. Pure."""
    details = {"status": status, "latency_ms": latency_ms}
    if status != expect_status:
        return "fail", {"reason": "wrong_status", "expected": expect_status, **details}
    if latency_ms > max_latency_ms:
        return "fail", {"reason": "slow", **details}
    return "pass", {"reason": "ok", **details}


class Refused(Exception):
    """The URL (or a redirect's) may not be fetched: `reason` says why."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def target(url, nets):
    """(scheme, host, port, path, ip) of `url`, or raise Refused naming why it may not be fetched.
    Pure apart from resolving the host once."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("bad_url") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc or port == 0:
        raise Refused("bad_url")
    ip, problem = reach.pick(parts.hostname, nets)
    if ip is None:
        raise Refused(problem)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path, ip


def _context(config):
    context = ssl.create_default_context()
    if config.get("CSIRT_TLS_CA_FILE"):
        context.load_verify_locations(cafile=config["CSIRT_TLS_CA_FILE"])
    return context


def _get(scheme, host, port, path, ip, timeout, config):
    """(status, Location header) of one GET sent to `ip` (the checked address) for `host`, all of
    it within `timeout` seconds: the socket timeout bounds each read only, so a server dripping
    one byte at a time would hold the check (and the tick) for hours; a timer cuts the connection
    when the time is up, and the GET then ends as TimeoutError."""
    sock = reach.connect(ip, port, timeout)
    held = {"sock": sock, "cut": False}

    def cut():
        held["cut"] = True
        try:
            held["sock"].shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    timer = threading.Timer(max(0.0, timeout), cut)
    timer.daemon = True
    timer.start()
    try:
        if scheme == "https":
            sock = held["sock"] = _context(config).wrap_socket(sock, server_hostname=host)
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.sock = sock  # connected by us, to the checked address: http.client never resolves
        default = 443 if scheme == "https" else 80
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if port == default else f"{host}:{port}")
        conn.putheader("User-Agent", "csirt-check")
        conn.putheader("Connection", "close")
        conn.endheaders()
        response = conn.getresponse()
        response.read(64 * 1024)  # the body's start only: the check is about status and time
        if held["cut"]:
            raise TimeoutError
        return response.status, response.getheader("Location")
    except (OSError, http.client.HTTPException, ValueError):
        if held["cut"]:
            raise TimeoutError from None
        raise
    finally:
        timer.cancel()
        sock.close()


def fetch(url, timeout, config, expect_status=DEFAULT_STATUS, max_latency_ms=DEFAULT_LATENCY_MS,
          deadline=None):
    """(status, details) of one check of `url`: follow allowed redirects, time the whole."""
    nets = reach.networks(config)
    start = time.monotonic()
    hops = []
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            scheme, host, port, path, ip = target(url, nets)
        except Refused as err:
            if hops:  # never follow a redirect out of the allowed networks
                return "fail", {"reason": "redirect_refused", "location": url[:300], "error": err.reason,
                                "redirects": hops}
            if err.reason == "unresolved":  # the portal's name has no address: nobody reaches it
                return "fail", {"reason": "unresolved"}
            return "error", {"reason": err.reason}  # not_allowed, bad_url: the configuration's fault
        remaining = reach.budget(timeout, deadline) - (time.monotonic() - start)
        try:
            if remaining <= 0:
                raise TimeoutError
            status, location = _get(scheme, host, port, path, ip, remaining, config)
        except TimeoutError:
            return "fail", {"reason": "timeout", "redirects": hops}
        except (OSError, http.client.HTTPException, ValueError) as err:
            return "fail", {"reason": "connect_failed", "error": type(err).__name__, "redirects": hops}
        if status not in REDIRECTS or not location:
            found, details = verdict(status, int((time.monotonic() - start) * 1000), expect_status,
                                     max_latency_ms)
            return found, {**details, "redirects": hops}
        url = urljoin(url, location)
        hops.append(url[:300])
    return "fail", {"reason": "too_many_redirects", "redirects": hops}


def check(job, ctx):
    """(status, details) of one job."""
    params = job.params
    status, details = fetch(str(params.get("url") or ""), job.timeout, ctx.config,
                            int(params.get("expect_status") or DEFAULT_STATUS),
                            int(params.get("max_latency_ms") or DEFAULT_LATENCY_MS), ctx.deadline)
    if not details.get("redirects"):
        details.pop("redirects", None)
    return status, details


def run(jobs, ctx):
    return each(jobs, lambda job: check(job, ctx))
