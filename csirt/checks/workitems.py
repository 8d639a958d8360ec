"""Configurations → work items: one `ServerCheck` row per (configuration, server it applies to).

`sync()` makes the rows match the configurations and the inventory: a server that comes into a
configuration's group gets a row due at once; a row whose server left the group, was archived, or
whose configuration was disabled becomes inactive (kept, with its results and state, and active
again if the server comes back). It runs when a configuration is saved and at every scheduler
tick, so servers added to the inventory are picked up without anyone asking. It does not commit.
"""
from sqlalchemy import select

from ..clock import utcnow
from ..extensions import db
from ..systems.models import InformationSystem, Server, system_server
from .models import CheckConfig, ServerCheck


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
    changed = 0
    for config in configs:
        wanted = servers_of(config) if config.enabled else set()
        rows = {row.server_id: row for row in db.session.execute(
            select(ServerCheck).where(ServerCheck.config_id == config.id)).scalars()}
        for server_id in wanted - rows.keys():
            db.session.add(ServerCheck(config_id=config.id, server_id=server_id, kind=config.kind,
                                       next_run_at=now, state="never", active=True))
            changed += 1
        for server_id, row in rows.items():
            active = server_id in wanted
            if row.active != active:
                row.active = active
                if active:
                    row.next_run_at = now
                changed += 1
    db.session.flush()
    return changed
