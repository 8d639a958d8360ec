"""Where the agent, TLS and portal kinds may connect: a host name is resolved once and only an
address inside the allowed networks (`targets.is_allowed`) is ever connected to. No database."""
import ipaddress
import socket
import time

from .targets import allowed_networks, is_allowed


def networks(config):
    return allowed_networks(config)


def resolve(host):
    """The IP addresses of `host` (an IP literal is itself), in the resolver's order; [] when
    the name does not resolve."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(info[4][0] for info in infos))


def pick(host, nets):
    """(ip, None) for the first address of `host` inside `nets`, else (None, reason): "unresolved"
    when the name has no address, "not_allowed" when none of its addresses may be reached."""
    found = resolve(host)
    if not found:
        return None, "unresolved"
    for ip in found:
        if is_allowed(ip, nets):
            return ip, None
    return None, "not_allowed"


def budget(timeout, deadline=None):
    """Seconds a connection may take: the job's timeout, cut to what is left before `deadline`."""
    seconds = float(timeout)
    if deadline is not None:
        seconds = min(seconds, deadline - time.monotonic())
    return max(0.05, seconds)


def connect(ip, port, timeout):
    """A TCP connection to an address the caller has checked (`pick`); OSError on failure."""
    return socket.create_connection((ip, int(port)), timeout=timeout)
