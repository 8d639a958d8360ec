"""What csirt knows about an alert's host, looked up before routing (the router reads no database).

A host is a name or an IPv4/IPv6 address, compared without regard to case (addresses in their
canonical form). It names an inventory server by the server's host name or one of its
addresses; archived servers and systems are left out. The server gives the systems it serves,
their highest security level and the owner agency (the server's own agency: every server has
one). A batch asks once for all its hosts: `HostLookup.prime(hosts)` runs one query for the
servers and one for their systems, whatever the number of alerts.

The intake keeps what it found for `CSIRT_ALERT_HOST_CACHE_SECONDS` (default 60) in the worker's
memory (`HostCache`): a stream of alerts about the same hosts then costs no query at all, and a
change to the inventory reaches the routing within that time (0 turns the memory off).
"""
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from sqlalchemy import cast, or_

from ..extensions import db
from ..incidents.affected import address_key, is_address
from ..systems.models import InformationSystem, Server, system_server
from ..team.models import Agency
from .canonical import Context

EMPTY = Context()


@dataclass(frozen=True)
class HostFacts:
    """The router's Context and the ids behind it (the executor links and scopes with them)."""

    context: Context = EMPTY
    server_id: int = None
    system_ids: tuple = ()
    agency_id: int = None


UNKNOWN = HostFacts()


@lru_cache(maxsize=4096)
def host_key(host):
    """The host as compared: "" for none, else its address form or its lower-case name."""
    host = (host or "").strip().rstrip(".")
    if not host:
        return ""
    return address_key(host) if is_address(host) else host.casefold()


class HostCache:
    """Host key → (HostFacts, expiry) kept by one worker for `seconds`; at most `limit` hosts
    (beyond that it starts afresh: a flood of made-up host names cannot grow it for ever)."""

    def __init__(self, seconds, limit=50000):
        self.seconds, self.limit = seconds, limit
        self._facts, self._lock = {}, threading.Lock()

    def get(self, key, now):
        found = self._facts.get(key)
        return found[0] if found is not None and found[1] > now else None

    def put(self, found, now):
        with self._lock:
            if len(self._facts) + len(found) > self.limit:
                self._facts = {}
            expiry = now + self.seconds
            self._facts.update({key: (facts, expiry) for key, facts in found.items()})


def shared_cache():
    """The app's HostCache, or None when it is turned off."""
    cache = current_app.extensions.get("csirt_host_cache")
    if cache is None:
        seconds = current_app.config.get("CSIRT_ALERT_HOST_CACHE_SECONDS", 60)
        if not seconds:
            return None
        cache = current_app.extensions.setdefault("csirt_host_cache", HostCache(seconds))
    return cache


class HostLookup:
    """Per-batch memo of host → HostFacts, backed by the worker's `cache` when given."""

    def __init__(self, cache=None):
        self._known = {"": UNKNOWN}
        self._cache = cache

    def prime(self, hosts):
        """Look up every host of `hosts` not yet known, in one query for the lot."""
        wanted = sorted({host_key(h) for h in hosts} - self._known.keys())
        if not wanted:
            return
        now = time.monotonic()
        if self._cache is not None:
            remembered = {key: self._cache.get(key, now) for key in wanted}
            self._known.update({key: facts for key, facts in remembered.items() if facts is not None})
            wanted = [key for key, facts in remembered.items() if facts is None]
            if not wanted:
                return
        found = _lookup(wanted)
        found = {key: found.get(key, UNKNOWN) for key in wanted}
        self._known.update(found)
        if self._cache is not None:
            self._cache.put(found, now)

    def facts(self, host):
        key = host_key(host)
        if key not in self._known:
            self.prime([host])
        return self._known[key]

    def context(self, host):
        return self.facts(host).context


def _lookup(keys):
    """{host key: HostFacts} for the keys that name a live server."""
    names = [k for k in keys if not is_address(k)]
    addresses = [k for k in keys if is_address(k)]
    conditions = []
    if names:
        conditions.append(db.func.lower(Server.hostname).in_(names))
    # Addresses are a JSON array of canonical strings: a text match finds the candidates (an
    # address holds only hex digits, dots and colons: no LIKE wildcard), the exact test follows.
    text = cast(Server.addresses, db.Text)
    conditions += [text.like(f'%"{a}"%') for a in addresses]
    rows = db.session.execute(
        db.select(Server.id, Server.hostname, Server.addresses, Agency.id, Agency.code)
        .join(Agency, Agency.id == Server.agency_id)
        .where(Server.archived_at.is_(None), or_(*conditions))
        .order_by(Server.id)).all()
    if not rows:
        return {}
    systems = {}
    for server_id, system_id, code, level in db.session.execute(
            db.select(system_server.c.server_id, InformationSystem.id, InformationSystem.code,
                      InformationSystem.level)
            .join(InformationSystem, InformationSystem.id == system_server.c.system_id)
            .where(system_server.c.server_id.in_([r[0] for r in rows]),
                   InformationSystem.archived_at.is_(None))
            .order_by(InformationSystem.code)).all():
        systems.setdefault(server_id, []).append((system_id, code, level))
    wanted, found = set(keys), {}
    for server_id, hostname, server_addresses, agency_id, agency_code in rows:
        served = systems.get(server_id, [])
        facts = HostFacts(
            context=Context(agency=agency_code, system=tuple(code for _, code, _ in served),
                            system_level=max((level for _, _, level in served), default=0),
                            server=hostname),
            server_id=server_id, system_ids=tuple(i for i, _, _ in served), agency_id=agency_id)
        for key in [hostname.casefold(), *(address_key(a) for a in server_addresses or ())]:
            if key in wanted:
                found.setdefault(key, facts)  # the lowest id wins when two servers claim one address
    return found
