"""What an incident affected, named in free text: the pieces of the text, and which of them name a
known information system (by code, any case, or exact name) or server (by hostname, any case, or
one of its addresses). Pure functions: the callers load the candidate records.

The migration that turned the old free-text fields into links (8c3f0d5e2b41) holds its own frozen
copy of this logic; this one serves the services (text an API client or a form still sends).
"""
import ipaddress
import re
from dataclasses import dataclass, field

SEPARATORS = re.compile(r"[,;\n]")
JOINER = "; "


def pieces(text):
    """The non-empty, stripped pieces of `text` split on commas, semicolons and new lines, in
    order, each once."""
    seen, out = set(), []
    for piece in SEPARATORS.split(text or ""):
        piece = piece.strip()
        if piece and piece not in seen:
            seen.add(piece)
            out.append(piece)
    return out


@dataclass(frozen=True)
class SystemRef:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class ServerRef:
    id: int
    hostname: str
    addresses: tuple = ()


@dataclass
class Match:
    """The records the text named and what is left of it (the pieces that named nothing)."""
    ids: list = field(default_factory=list)
    leftover: list = field(default_factory=list)

    @property
    def text(self):
        return JOINER.join(self.leftover)


def match_systems(text, systems):
    """Match the pieces of `text` to `systems` (SystemRef): code without regard to case, else the
    exact name."""
    by_code = {s.code.casefold(): s.id for s in systems}
    by_name = {s.name: s.id for s in systems}
    return _match(text, lambda piece: by_code.get(piece.casefold()) or by_name.get(piece))


def match_servers(text, servers):
    """Match the pieces of `text` to `servers` (ServerRef): hostname without regard to case, else
    any of its addresses (IPv6 compared without regard to case)."""
    by_host = {s.hostname.casefold(): s.id for s in servers}
    by_address = {address_key(a): s.id for s in servers for a in s.addresses}
    return _match(text, lambda piece: by_host.get(piece.casefold()) or by_address.get(address_key(piece)))


def address_key(text):
    """An address as compared: canonical when it is an IP address ("2001:DB8::0001" is
    "2001:db8::1"), else the text without regard to case."""
    text = str(text).strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text.casefold()


def is_address(text):
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return True


def _match(text, find):
    result = Match()
    for piece in pieces(text):
        found = find(piece)
        if found is None:
            result.leftover.append(piece)
        elif found not in result.ids:
            result.ids.append(found)
    return result


def merge_ids(*groups):
    """The ids of every group, each once, sorted."""
    return sorted({i for group in groups for i in group})
