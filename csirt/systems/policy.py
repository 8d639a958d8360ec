"""Who may see which information systems and servers. Agency scoping lives here only.

A liaison (member) sees the systems their agency owns; the response team and managers see all.
The server inventory (addresses, roles: the map of the province's weak points) is the team's
only.
"""
from ..errors import Forbidden
from ..extensions import db
from .models import InformationSystem, Server

TEAM = ("admin", "manager", "coordinator", "responder")


def _active(user):
    return user is not None and getattr(user, "is_active", False)


def visible_systems(user, query=None):
    """`query` (default: all systems) narrowed to those `user` may see."""
    query = query if query is not None else db.select(InformationSystem)
    if not _active(user):
        return query.where(db.false())
    if user.role in TEAM:
        return query
    return query.where(InformationSystem.owner_agency_id == user.agency_id)


def can_see_servers(user):
    return _active(user) and user.role in TEAM


def visible_servers(user, query=None):
    query = query if query is not None else db.select(Server)
    return query if can_see_servers(user) else query.where(db.false())


def require(allowed, message):
    if not allowed:
        raise Forbidden(message)
