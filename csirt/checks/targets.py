"""Where the checks may point: the allowed networks (`CSIRT_SCAN_ALLOWED_NETWORKS`, default
loopback only) and, for scans, one validated token per target. Pure: no database, no network
except `resolve`.
"""
import ipaddress
import re
import socket
from functools import lru_cache

from ..catalogue import gettext as _

DEFAULT_ALLOWED = "127.0.0.0/8, ::1/128"


def allowed_networks(config):
    """The networks checks may reach, from the app's config (a comma- or space-separated list of
    CIDRs). A bad entry raises ValueError at start-up, not at 3 a.m."""
    text = config.get("CSIRT_SCAN_ALLOWED_NETWORKS") or DEFAULT_ALLOWED
    if isinstance(text, (list, tuple)):
        text = ",".join(text)
    return [ipaddress.ip_network(part.strip(), strict=False)
            for part in text.replace(" ", ",").split(",") if part.strip()]


@lru_cache(maxsize=65536)
def _address(text):
    """`text` as an ip_address, or None when it is not one. Cached: a scan of N servers looks at
    each address several times (normalised, sorted into name or address, checked against the
    allowed networks here and again at the scanner's last gate), and the scheduler sees the same
    addresses every tick; ip_address objects are immutable."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_allowed(address, networks):
    """True if the IP `address` (text or ip_address) lies in one of `networks`."""
    ip = _address(address) if isinstance(address, str) else address
    if ip is None:
        return False
    return any(ip.version == net.version and ip in net for net in networks)


# ---- one target token (SECURITY.md: nmap option injection) ---------------------------------

MAX_TOKEN = 253  # the longest DNS name; longer than any address or CIDR
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_CIDR = re.compile(r"[0-9A-Fa-f:.]+/[0-9]{1,3}")


def _shown(text):
    text = "".join(c if c.isprintable() else "?" for c in str(text))
    return text if len(text) <= 60 else text[:60] + "…"


def _refuse(text):
    return ValueError(_('"%(value)s" is not a valid target: give one IP address, network (CIDR) or '
                        'host name.', value=_shown(text)))


def _is_hostname(name):
    """A host name per RFC 1123 (ASCII letters, digits, hyphens, dots). A name made of digits,
    dots and hyphens only is refused: "127.0.0.1-5" is nmap's range syntax, not a name."""
    labels = name.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        return False
    return any(c.isalpha() for c in name)


def normalise_target(text, max_cidr_hosts=256):
    """One scan target as its canonical token: an IPv4/IPv6 address ("127.0.0.1", "::1"), a
    network of at most `max_cidr_hosts` addresses ("127.0.1.0/24"; a /32 becomes the address) or
    a host name (lowercased, trailing dot dropped). ValueError (translated) for anything else.

    The characters nmap could read as something else are refused BEFORE `ipaddress` sees the
    text: `ipaddress` accepts "fe80::1%x -iL x" (a scope id may carry spaces)."""
    if not isinstance(text, str) or not text:
        raise _refuse(text if isinstance(text, str) else "")
    if len(text) > MAX_TOKEN:
        raise _refuse(text)
    if text.startswith("-") or "%" in text or not text.isascii() \
            or any(c.isspace() or not c.isprintable() for c in text):
        raise _refuse(text)
    if "/" in text:
        if not _CIDR.fullmatch(text):
            raise _refuse(text)
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise _refuse(text) from None
        if network.num_addresses > max_cidr_hosts:
            raise ValueError(_('"%(value)s": a network may hold at most %(n)d addresses.',
                               value=_shown(text), n=max_cidr_hosts))
        if network.num_addresses == 1:
            return str(network.network_address)
        return str(network)
    address = _address(text)
    if address is not None:
        return str(address)
    name = text.lower()
    name = name[:-1] if name.endswith(".") else name
    if not name or not _is_hostname(name):
        raise _refuse(text)
    return name


def kind_of(token):
    """"address", "network" or "name" for a normalised token."""
    if "/" in token:
        return "network"
    return "name" if _address(token) is None else "address"


def resolve(token):
    """The addresses to scan for a normalised token: an address or network as itself (a network
    is kept as CIDR, nmap expands it), a host name resolved ONCE to its IPs (canonical, order
    kept). ValueError (translated) when the name does not resolve."""
    if kind_of(token) != "name":
        return [token]
    try:
        infos = socket.getaddrinfo(token, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise ValueError(_('"%(value)s": the name does not resolve to an address.',
                           value=_shown(token))) from None
    out = []
    for info in infos:
        address = info[4][0]
        if "%" in address:  # a scoped link-local answer: never handed to nmap
            continue
        address = str(ipaddress.ip_address(address))
        if address not in out:
            out.append(address)
    if not out:
        raise ValueError(_('"%(value)s": the name does not resolve to an address.', value=_shown(token)))
    return out


def _inside(item, networks):
    if "/" in item:
        net = ipaddress.ip_network(item, strict=False)
        return any(net.version == n.version and net.subnet_of(n) for n in networks)
    return is_allowed(item, networks)


def check_allowed(token_or_ips, networks):
    """Raise ValueError (translated) unless every address or network named lies inside
    `networks`. Takes one normalised token (a host name is resolved once) or a list of them.
    Returns the addresses/networks checked (what a scan should be given)."""
    items = [token_or_ips] if isinstance(token_or_ips, str) else list(token_or_ips)
    checked = []
    shown = ", ".join(str(n) for n in networks)
    for item in items:
        for address in resolve(item):
            if not _inside(address, networks):
                raise ValueError(_('"%(value)s" is outside the networks the checks may reach '
                                   '(%(networks)s).', value=_shown(item), networks=shown))
            if address not in checked:
                checked.append(address)
    return checked
