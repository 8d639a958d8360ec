"""Who may see and change check configurations, work items and results. Agency scoping of the
checks lives here only, on top of the inventory's (`systems.policy.visible_servers`).

Seeing: a work item and its results are seen by whoever may see its server (the team and
managers every server; a liaison their agency's). A configuration is seen by the team and
managers, and by a liaison while it applies to one of their agency's servers (an active work item;
they see only those servers' items, and a group check's parameters not at all). Configuring
(create, edit, enable, disable, delete): admins and coordinators, since a configuration decides
what csirt scans across agencies. "Run now" only moves a work item's next run time: the whole
response team may ask for it on a server it sees.
"""
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..ids import as_id
from ..systems import policy as systems_policy
from ..systems.models import Server
from ..team.models import READERS_OF_ALL, WORKERS
from .models import CheckConfig, CheckResult, ServerCheck

CONFIGURERS = ("admin", "coordinator")
RUNNERS = WORKERS


def _active(user):
    return user is not None and getattr(user, "is_active", False)


def _visible_server_ids(user):
    return systems_policy.visible_servers(user, db.select(Server.id))


def can_see_checks(user):
    """Whether `user` may open the checks pages at all (a liaison sees their agency's part)."""
    return _active(user)


def can_see_params(user, config):
    """A configuration's parameters (targets, URLs, ports) may name other agencies' hosts: the team
    and managers see them; a liaison only on a check of one of their agency's servers, not on a
    group check that merely covers one."""
    if not _active(user):
        return False
    if user.role in READERS_OF_ALL:
        return True
    return config.server is not None and systems_policy.can_see_server(user, config.server)


# Keys of a result's details that name hosts: a group check's targets may be other agencies' hosts.
HOST_KEYS = ("hosts", "target", "targets", "host", "address", "addresses", "location", "redirects", "refused",
             "untried")


def sees_scans(user):
    """The nmap command line of a run (it lists every host of the run, of every agency) and the
    hosts a result names are for the team and managers only."""
    return _active(user) and user.role in READERS_OF_ALL


def shown_details(user, details):
    """A result's details as `user` may read them: without the host names for a liaison."""
    details = details if isinstance(details, dict) else {}
    if sees_scans(user):
        return details
    return {key: value for key, value in details.items() if key not in HOST_KEYS}


def can_configure(user):
    return _active(user) and user.role in CONFIGURERS


def can_run(user, item=None):
    """Ask for an item's next run now; `item` None: may `user` ever do so."""
    if not (_active(user) and user.role in RUNNERS):
        return False
    return item is None or systems_policy.can_see_server(user, item.server)


def visible_configs(user, query=None):
    """`query` (default: all configurations) narrowed to those `user` may see."""
    query = query if query is not None else db.select(CheckConfig)
    if not _active(user):
        return query.where(db.false())
    if user.role in READERS_OF_ALL:
        return query
    applies = db.select(ServerCheck.id).where(ServerCheck.config_id == CheckConfig.id, ServerCheck.active,
                                              ServerCheck.server_id.in_(_visible_server_ids(user)))
    return query.where(db.or_(applies.exists(),
                              CheckConfig.server_id.in_(_visible_server_ids(user))))


def visible_items(user, query=None):
    """`query` (default: all work items) narrowed to those on servers `user` may see."""
    query = query if query is not None else db.select(ServerCheck)
    if not _active(user):
        return query.where(db.false())
    if user.role in READERS_OF_ALL:
        return query
    return query.where(ServerCheck.server_id.in_(_visible_server_ids(user)))


def visible_results(user, query=None):
    query = query if query is not None else db.select(CheckResult)
    if not _active(user):
        return query.where(db.false())
    if user.role in READERS_OF_ALL:
        return query
    return query.where(CheckResult.server_id.in_(_visible_server_ids(user)))


def get_config(user, config_id):
    """The configuration, or NotFound when it does not exist or `user` may not see it."""
    config_id = as_id(config_id)
    config = None
    if config_id is not None and _active(user):
        config = db.session.execute(visible_configs(user).where(CheckConfig.id == config_id)).scalar_one_or_none()
    if config is None:
        raise NotFound("check_config")
    return config


def get_item(user, item_id):
    item_id = as_id(item_id)
    item = db.session.get(ServerCheck, item_id) if item_id is not None else None
    if item is None or not systems_policy.can_see_server(user, item.server):
        raise NotFound("server_check")
    return item


def require(allowed, message):
    if not allowed:
        raise Forbidden(message)
