"""The one place that runs nmap (SECURITY.md: nmap option injection, orphan processes).

`build_argv` makes the command line from a fixed profile in this file: options never come from
configuration or user input; every host is re-validated here as one normalised address or network
token (host names are resolved before, once, by `targets.resolve`), and port lists must match
`^[0-9,-]+$`. The hosts go after `--`.

`scan` runs ONE nmap for all the hosts given (nmap parallelises hosts itself), in its own process
group, which is killed whole on timeout; on Linux the child also asks the kernel to kill it when
the thread that started it dies (PR_SET_PDEATHSIG), so a killed scheduler leaves no nmap. The XML
it writes to stdout is parsed once, as it arrives (`HostParser`), so the parse overlaps the scan;
python-nmap's parser was measured slower on 10,000 hosts and ignores nmap's `timedout` mark
(bench/scan.py prints both; a test holds the two to the same answer on a real scan).

`kill_all()` kills every scan still running (the scheduler calls it when it stops).
"""
import ctypes
import ctypes.util
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from xml.parsers import expat

from ..catalogue import gettext as _
from . import targets

_PORTS = re.compile(r"[0-9,-]+")
STDERR_KEEP = 2000  # characters of nmap's stderr kept on an outcome

_live = set()  # the Popen objects of the scans running now
_live_lock = threading.Lock()


@dataclass
class ScanOutcome:
    argv: list
    hosts: dict = field(default_factory=dict)  # ip → {"state": "up"|"down"|"timeout", "open": {"22/tcp"}}
    error: str | None = None    # None, or "nmap_missing" | "not_permitted" | "timeout" | "killed" |
    #                             "nmap_failed" | "bad_output" | "not_allowed"
    stderr: str = ""
    scan_seconds: float = 0.0   # the nmap process, start to end of its output
    parse_seconds: float = 0.0  # parsing its XML


def _ports_arg(tcp_ports, udp_ports):
    parts = []
    for prefix, ports in (("T", tcp_ports), ("U", udp_ports)):
        if not ports:
            continue
        if not isinstance(ports, str) or not _PORTS.fullmatch(ports) or ports.startswith(("-", ",")):
            raise ValueError(_('"%(value)s" is not a port list.', value=str(ports)[:60]))
        parts.append(f"{prefix}:{ports}")
    if not parts:
        raise ValueError(_("No port to scan."))
    return ",".join(parts)


def _host_token(host, max_cidr_hosts):
    """`host` as the scanner accepts it: one normalised address or network, nothing else."""
    token = targets.normalise_target(host, max_cidr_hosts)
    if token != host or targets.kind_of(token) == "name":
        raise ValueError(_('"%(value)s" is not a valid target: give one IP address, network (CIDR) or '
                           'host name.', value=str(host)[:60]))
    return token


def build_argv(nmap_path, hosts, tcp_ports, udp_ports, host_timeout_s, max_cidr_hosts=256):
    """The exact argument list of a scan. ValueError (translated) for any host (one normalised
    address, or network of at most `max_cidr_hosts`), port list or path that is not exactly what
    the profile allows; nothing is passed through."""
    if not isinstance(nmap_path, str) or not nmap_path or nmap_path.startswith("-") \
            or any(c.isspace() and c != " " or not c.isprintable() for c in nmap_path):
        raise ValueError(_("The nmap path is not valid."))
    hosts = [_host_token(h, max_cidr_hosts) for h in hosts]
    if not hosts:
        raise ValueError(_("No target to scan."))
    seconds = int(host_timeout_s)
    if seconds < 1:
        raise ValueError(_("The timeout must be at least one second."))
    argv = [nmap_path, "-oX", "-", "-n", "-Pn", "-sT"]
    if udp_ports:
        argv.append("-sU")
    argv += ["-p", _ports_arg(tcp_ports, udp_ports), "--host-timeout", f"{seconds}s",
             "--max-retries", "1", "--"]
    return argv + hosts


# ---- the process ----------------------------------------------------------------------------

PR_SET_PDEATHSIG = 1
_prctl = None
if sys.platform.startswith("linux"):
    try:
        _prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - no libc to load
        _prctl = None


def _child_setup(parent_pid):
    """Runs in the child between fork and exec: die with the parent. Only a C call and two
    syscalls (no locks, no allocation worth the name), as a preexec_fn must."""
    def setup():
        if _prctl is not None:
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died before prctl: do not run at all
            os._exit(1)
    return setup


def _kill_group(proc):
    if proc.returncode is not None:  # already reaped: its pid may belong to someone else now
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_all():
    """Kill the process group of every scan still running. Returns how many were killed."""
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        _kill_group(proc)
    return len(procs)


def running():
    """How many scans are running now (for tests and the scheduler's status)."""
    with _live_lock:
        return len(_live)


def _which(path):
    return shutil.which(path) if os.sep not in path else (path if os.access(path, os.X_OK) else None)


def scan(hosts, tcp_ports, udp_ports, timeout, config, on_host=None):
    """Scan `hosts` (normalised addresses or networks, all inside the allowed networks) for the
    ports given, in ONE nmap run that must end within `timeout` seconds. Never raises for nmap's
    trouble: the outcome's `error` says what went wrong. ValueError for a host or port list the
    profile refuses (the callers validate first; this is the last gate).

    `on_host(argv, address, hosts)`, when given, is called (in this thread) as each host's element
    is read, while nmap goes on with the others: nmap writes a host once it is done with it, so
    what it says of that host is final even if the run fails later. `hosts` is the map read so
    far (the outcome's `hosts` at the end)."""
    nmap_path = config.get("CSIRT_NMAP_PATH") or "nmap"
    timeout = max(1.0, float(timeout))
    argv = build_argv(nmap_path, hosts, tcp_ports, udp_ports, max(1, int(timeout * 0.9)),
                      int(config.get("CSIRT_SCAN_MAX_CIDR_HOSTS") or 256))
    networks = targets.allowed_networks(config)
    outside = [h for h in argv[argv.index("--") + 1:] if not targets._inside(h, networks)]
    if outside:
        return ScanOutcome(argv, error="not_allowed", stderr=", ".join(outside)[:STDERR_KEEP])
    executable = _which(nmap_path)
    if executable is None:
        return ScanOutcome(argv, error="nmap_missing")

    started = time.monotonic()
    try:
        proc = subprocess.Popen(  # noqa: S603 - argv from build_argv's fixed profile, shell=False
            argv, executable=executable, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, shell=False, close_fds=True, start_new_session=True,
            preexec_fn=_child_setup(os.getpid()) if _prctl is not None else None)
    except FileNotFoundError:
        return ScanOutcome(argv, error="nmap_missing")
    except PermissionError as err:
        return ScanOutcome(argv, error="not_permitted", stderr=str(err)[:STDERR_KEEP])
    with _live_lock:
        _live.add(proc)
    _widen(proc.stdout)
    try:
        report = (lambda address, found: on_host(argv, address, found)) if on_host else None
        hosts, bad, err, parse_seconds, timed_out = _stream(proc, timeout, report)
    finally:
        with _live_lock:
            _live.discard(proc)
    outcome = ScanOutcome(argv, stderr=_text(err), scan_seconds=time.monotonic() - started,
                          parse_seconds=parse_seconds)
    if timed_out:
        outcome.error = "timeout"
        return outcome
    if proc.returncode < 0:
        outcome.error = "killed"
        return outcome
    if "requires root privileges" in outcome.stderr or "Operation not permitted" in outcome.stderr:
        outcome.error = "not_permitted"
        return outcome
    if proc.returncode != 0:
        outcome.error = "nmap_failed"
        return outcome
    if bad:
        outcome.error = "bad_output"
        return outcome
    outcome.hosts = hosts
    return outcome


F_SETPIPE_SZ = 1031  # Linux fcntl
PIPE_BYTES = 1 << 20  # the unprivileged maximum (/proc/sys/fs/pipe-max-size)


def _widen(pipe):
    """Give nmap's stdout pipe 1 MB instead of 64 KB where Linux allows it, so nmap does not wait
    on a full pipe while this process is busy storing results (nmap writes ~2.5 KB a host)."""
    if sys.platform.startswith("linux"):
        try:
            fcntl.fcntl(pipe.fileno(), F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:
            pass


def _stream(proc, timeout, on_host=None):
    """Read nmap's XML while it writes it (one host element as each host is done), so parsing
    overlaps the scan instead of following it; stderr is drained in a thread. A timer kills the
    process group when `timeout` passes. (hosts, bad output?, stderr, seconds parsing, timed out?)."""
    expired = threading.Event()

    def expire():
        expired.set()
        _kill_group(proc)

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    errors = []
    drain = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)
    parser, bad, parsing = HostParser(on_host), False, 0.0
    timer.start()
    drain.start()
    try:
        while True:
            chunk = proc.stdout.read1(1 << 16)
            if not chunk:
                break
            if not bad:
                clock = time.perf_counter()
                try:
                    parser.feed(chunk)
                except expat.ExpatError:
                    bad = True
                parsing += time.perf_counter() - clock
        proc.wait()
    finally:
        timer.cancel()
        if proc.returncode is None:  # interrupted (an exception): leave no nmap behind
            _kill_group(proc)
            proc.wait()
        proc.stdout.close()
    drain.join()
    proc.stderr.close()
    hosts = None
    if not bad:
        try:
            hosts = parser.close()
        except expat.ExpatError:
            bad = True
    return hosts, bad, errors[0] if errors else b"", parsing, expired.is_set()


def _text(data):
    return (data or b"").decode("utf-8", "replace")[-STDERR_KEEP:]


class HostParser:
    """nmap's XML, fed in pieces as it arrives, → {ip: {"state": "up"|"down"|"timeout",
    "open": {"22/tcp"}}}. Only ports in state "open" count as open ("open|filtered" is UDP's
    silence, "filtered" a firewall's: neither proves a listening service). expat's callbacks read
    the few elements that matter (host, status, address, port, state) and build no tree: about 40
    elements a host, 30 % faster than ElementTree's pull parser, whose tree was read and dropped
    host by host. nmap writes this XML itself (no DTD, entities escaped); expat resolves no
    external entity. `on_host(address, hosts)` is called after each host is read."""

    def __init__(self, on_host=None):
        self.hosts = {}
        self._on_host = on_host
        self._parser = expat.ParserCreate()
        self._parser.StartElementHandler = self._start
        self._parser.EndElementHandler = self._end
        self._host = None  # the host being read: [address, state, timed out, open ports]
        self._port = None  # the attributes of the port being read

    def feed(self, data):
        self._parser.Parse(data, False)

    def close(self):
        self._parser.Parse(b"", True)
        return self.hosts

    def _start(self, tag, attrs):
        host = self._host
        if host is None:
            if tag == "host":
                self._host = [None, "unknown", attrs.get("timedout") == "true", set()]
        elif tag == "port":
            self._port = attrs
        elif tag == "state":
            if self._port is not None and attrs.get("state") == "open":
                host[3].add(f"{self._port.get('portid')}/{self._port.get('protocol')}")
        elif tag == "status":
            host[1] = attrs.get("state", "unknown")
        elif tag == "address" and host[0] is None:
            host[0] = attrs.get("addr")

    def _end(self, tag):
        if tag == "port":
            self._port = None
        elif tag == "host" and self._host is not None:
            address, state, timed_out, opened = self._host
            self._host = None
            if address is None:
                return
            self.hosts[address] = {"state": "timeout" if timed_out else state, "open": opened}
            if self._on_host is not None:
                self._on_host(address, self.hosts)


def parse_xml(data):
    """nmap's whole XML (bytes or text): `HostParser` fed in pieces as a pipe would give them
    (one huge piece would build the whole tree before any host is dropped)."""
    data = data.encode("utf-8") if isinstance(data, str) else data
    parser = HostParser()
    for start in range(0, len(data), 1 << 16):
        parser.feed(data[start:start + (1 << 16)])
    return parser.close()
