"""Who may see and change which information systems and servers. Agency scoping lives here only.

Seeing: the response team and managers see every system and server; everyone else (agency
liaisons, "member") sees the systems their agency owns and the servers their agency runs
(`Server.agency_id`). Changing: admins, coordinators and responders change every system and
server; liaisons change their own agency's (issue 7: "liaisons and members edit their own
agency's systems, servers and layer records"); managers only read. Archiving counts as changing.

`visible_systems` / `visible_servers` are THE query filters: every list, get, export, count and
dashboard of these records goes through them.
"""
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..ids import as_id
from ..team.models import READERS_OF_ALL, WORKERS
from .models import InformationSystem, Server

# The team sees everything (kept under this name for the modules that already import it).
TEAM = READERS_OF_ALL
# Those who change the records of every agency.
EDITORS_OF_ALL = WORKERS
# Those who change the records of their own agency only.
AGENCY_EDITORS = ("member",)


def _active(user):
    return user is not None and getattr(user, "is_active", False)


def sees_all(user):
    return _active(user) and user.role in READERS_OF_ALL


def visible_systems(user, query=None):
    """`query` (default: all systems) narrowed to those `user` may see."""
    query = query if query is not None else db.select(InformationSystem)
    if not _active(user):
        return query.where(db.false())
    if user.role in READERS_OF_ALL:
        return query
    return query.where(InformationSystem.owner_agency_id == user.agency_id)


def visible_servers(user, query=None):
    """`query` (default: all servers) narrowed to those `user` may see."""
    query = query if query is not None else db.select(Server)
    if not _active(user):
        return query.where(db.false())
    if user.role in READERS_OF_ALL:
        return query
    return query.where(Server.agency_id == user.agency_id)


def can_see_servers(user):
    """Whether `user` may open the server inventory at all (a liaison sees their agency's part)."""
    return _active(user)


def can_see_system(user, system):
    return _active(user) and (user.role in READERS_OF_ALL or system.owner_agency_id == user.agency_id)


def can_see_server(user, server):
    return _active(user) and (user.role in READERS_OF_ALL or server.agency_id == user.agency_id)


def _edits_agency(user, agency_id):
    if not _active(user):
        return False
    if user.role in EDITORS_OF_ALL:
        return True
    return user.role in AGENCY_EDITORS and agency_id is not None and agency_id == user.agency_id


def can_create_system(user, agency_id=None):
    """Create a system owned by `agency_id` (None: may `user` create systems at all)."""
    return _edits_agency(user, user.agency_id if agency_id is None and _active(user) else agency_id)


def can_create_server(user, agency_id=None):
    return _edits_agency(user, user.agency_id if agency_id is None and _active(user) else agency_id)


def can_edit_system(user, system):
    return can_see_system(user, system) and _edits_agency(user, system.owner_agency_id)


def can_edit_server(user, server):
    return can_see_server(user, server) and _edits_agency(user, server.agency_id)


def can_choose_agency(user):
    """Liaisons always record for their own agency; the team chooses any."""
    return _active(user) and user.role in EDITORS_OF_ALL


def filterable_agencies(user, agencies):
    """The agencies `user` may filter the lists by: a liaison only their own."""
    if sees_all(user):
        return agencies
    return [a for a in agencies if _active(user) and a.id == user.agency_id]


def get_system(user, system_id):
    """The system, or NotFound when it does not exist or `user` may not see it."""
    system_id = as_id(system_id)
    system = db.session.get(InformationSystem, system_id) if system_id is not None else None
    if system is None or not can_see_system(user, system):
        raise NotFound("information_system")
    return system


def get_server(user, server_id):
    server_id = as_id(server_id)
    server = db.session.get(Server, server_id) if server_id is not None else None
    if server is None or not can_see_server(user, server):
        raise NotFound("server")
    return server


def require(allowed, message):
    if not allowed:
        raise Forbidden(message)
