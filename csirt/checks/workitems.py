"""Configurations → work items: one `ServerCheck` row per (configuration, server it applies to).

`sync()` makes the rows match the configurations and the inventory: a server that comes into a
configuration's group gets a row due at once; a row whose server left the group, was archived, or
whose configuration was disabled becomes inactive (kept, with its results and state, and active
again if the server comes back). It runs when a configuration is saved and at every scheduler
tick, so servers added to the inventory are picked up without anyone asking. It does not commit.
"""
from sqlalchemy import insert, select, update

from ..clock import utcnow
from ..extensions import db
from ..systems.models import InformationSystem, Server, system_server
from .models import CheckConfig, ServerCheck

_ITEMS = ServerCheck.__table__


def servers_of(config):
    """The ids of the (not archived) servers `config` applies to."""
    query = select(Server.id).where(Server.archived_at.is_(None))
    if config.server_id is not None:
        query = query.where(Server.id == config.server_id)
    if config.agency_id is not None:
        query = query.where(Server.agency_id == config.agency_id)
    if config.level is not None:
        serving = (select(system_server.c.server_id)
                   .join(InformationSystem, InformationSystem.id == system_server.c.system_id)
                   .where(InformationSystem.level == config.level, InformationSystem.archived_at.is_(None)))
        query = query.where(Server.id.in_(serving))
    return set(db.session.execute(query).scalars())


def sync(configs=None, now=None):
    """Bring the work items of `configs` (default: every configuration) in line. Returns the
    number of rows added or changed."""
    now = now or utcnow()
    if configs is None:
        configs = db.session.execute(select(CheckConfig)).scalars().all()
    changed = sum(_sync_config(config, now) for config in configs)
    db.session.flush()
    return changed


def _sync_config(config, now):
    """One configuration's rows in line; the number added or changed. The rows are read as plain
    tuples and written in bulk (at every tick, with 10,000 servers, loading them as ORM objects
    took longer than the checks' scan); nothing is written when nothing changed."""
    wanted = servers_of(config) if config.enabled else set()
    active = dict(db.session.execute(select(_ITEMS.c.server_id, _ITEMS.c.active)
                                     .where(_ITEMS.c.config_id == config.id)).all())
    added = [dict(config_id=config.id, server_id=server_id, kind=config.kind, next_run_at=now,
                  state="never", active=True) for server_id in sorted(wanted - active.keys())]
    if added:
        db.session.execute(insert(_ITEMS), added)
    back = [server_id for server_id, on in active.items() if not on and server_id in wanted]
    gone = [server_id for server_id, on in active.items() if on and server_id not in wanted]
    _set_active(config, back, dict(active=True, next_run_at=now))
    _set_active(config, gone, dict(active=False))
    return len(added) + len(back) + len(gone)


def _set_active(config, server_ids, values):
    """An ORM-enabled UPDATE: the ServerCheck objects already in the session see the change, as
    when the rows were changed one by one."""
    for start in range(0, len(server_ids), 500):
        db.session.execute(update(ServerCheck)
                           .where(ServerCheck.config_id == config.id,
                                  ServerCheck.server_id.in_(server_ids[start:start + 500]))
                           .values(**values))
