"""A server's approved firewall baseline: the TCP/UDP ports it may expose. Pure: no database.

Written by people as "22, 80/tcp, 443, 8000-8010/tcp, 161/udp" (a bare number is TCP; commas,
spaces or new lines separate entries) and stored as the canonical text `format_baseline` gives:
TCP first, then UDP, each ascending, overlapping and touching ranges merged. The scheduled checks
parse the stored text again with `parse_baseline`.
"""
import re
from typing import NamedTuple

from ..catalogue import gettext as _

PROTOCOLS = ("tcp", "udp")
MAX_ENTRIES = 1000
MIN_PORT, MAX_PORT = 1, 65535
_SEPARATORS = re.compile(r"[\s,;]+")
_ENTRY = re.compile(r"(?P<first>[0-9]{1,10})(?:-(?P<last>[0-9]{1,10}))?(?:/(?P<proto>[A-Za-z]{1,10}))?")


class PortRange(NamedTuple):
    protocol: str
    first: int
    last: int

    def __str__(self):
        ports = str(self.first) if self.first == self.last else f"{self.first}-{self.last}"
        return f"{ports}/{self.protocol}"


def _shown(token):
    """A bad token as quoted in a message: cut short, so a pasted essay does not fill the page."""
    return token if len(token) <= 40 else token[:40] + "…"


def _parse_token(token):
    match = _ENTRY.fullmatch(token)
    if match is None:
        raise ValueError(_('"%(token)s" is not a port, a range such as 8000-8010, or either followed '
                           'by /tcp or /udp.', token=_shown(token)))
    protocol = (match.group("proto") or "tcp").lower()
    if protocol not in PROTOCOLS:
        raise ValueError(_('"%(token)s": unknown protocol; use tcp or udp.', token=_shown(token)))
    first = int(match.group("first"))
    last = int(match.group("last")) if match.group("last") is not None else first
    for port in (first, last):
        if not MIN_PORT <= port <= MAX_PORT:
            raise ValueError(_('"%(token)s": a port must be between 1 and 65535.', token=_shown(token)))
    if last < first:
        raise ValueError(_('"%(token)s": the range ends before it starts.', token=_shown(token)))
    return PortRange(protocol, first, last)


def merge(ranges):
    """The ranges sorted (TCP first, ascending) with overlapping and touching ones joined."""
    out = []
    for item in sorted(ranges, key=lambda r: (PROTOCOLS.index(r.protocol), r.first, r.last)):
        if out and out[-1].protocol == item.protocol and item.first <= out[-1].last + 1:
            last = out[-1]
            out[-1] = PortRange(last.protocol, last.first, max(last.last, item.last))
        else:
            out.append(item)
    return tuple(out)


def parse_baseline(text):
    """The baseline written in `text` as merged PortRanges; ValueError (translated, naming the
    bad entry) for anything the format does not know. Empty text is an empty baseline."""
    if text is None:
        return ()
    if not isinstance(text, str):
        raise ValueError(_("The baseline must be text."))
    tokens = [t for t in _SEPARATORS.split(text.strip()) if t]
    if len(tokens) > MAX_ENTRIES:
        raise ValueError(_("At most %(n)d entries.", n=MAX_ENTRIES))
    return merge(_parse_token(t) for t in tokens)


def format_baseline(ranges):
    """The canonical text of `ranges`: "22/tcp, 80/tcp, 8000-8010/tcp, 161/udp"."""
    return ", ".join(str(r) for r in merge(ranges))


def contains(ranges, protocol, port):
    """True when `port`/`protocol` is allowed by `ranges`."""
    protocol = (protocol or "").lower()
    return any(r.protocol == protocol and r.first <= port <= r.last for r in ranges)
