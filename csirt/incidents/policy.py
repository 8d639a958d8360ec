"""Who may see and do what with incidents. Agency scoping lives here and nowhere else.

Roles (DOMAIN.md §1): members (agency liaisons) see and log their own agency's incidents;
responders and coordinators work every incident; managers read everything; admins do everything.
"""
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..ids import as_id
from ..team.models import READERS_OF_ALL, WORKERS, User
from .models import Incident


def visible_incidents(user, query=None):
    """`query` (default: all incidents) narrowed to those `user` may see."""
    query = query if query is not None else db.select(Incident)
    if user is None or not getattr(user, "is_active", False):
        return query.where(db.false())
    if user.role in READERS_OF_ALL:
        return query
    return query.where(Incident.agency_id == user.agency_id)


def filterable_agencies(user, agencies):
    """The agencies `user` may filter the list by: a liaison sees only their own."""
    if user.role in READERS_OF_ALL:
        return agencies
    return [a for a in agencies if a.id == user.agency_id]


def can_see(user, incident):
    if user is None or not user.is_active:
        return False
    return user.role in READERS_OF_ALL or incident.agency_id == user.agency_id


def get_visible(user, incident_id):
    """The incident, or NotFound when it does not exist or `user` may not see it."""
    incident_id = as_id(incident_id)
    if incident_id is None:
        raise NotFound("incident")
    incident = db.session.get(Incident, incident_id)
    if incident is None or not can_see(user, incident):
        raise NotFound("incident")
    return incident


# --- actions -------------------------------------------------------------------------

def can_create(user):
    return user.role in WORKERS or user.role == "member"


def can_work(user, incident):
    """Edit fields, change status, assign, manage tasks."""
    return user.role in WORKERS and can_see(user, incident)


def can_contribute(user, incident):
    """Add notes and evidence: those who work it, and the agency's own liaisons."""
    return can_work(user, incident) or (user.role == "member" and can_see(user, incident))


def can_choose_agency(user):
    """Members always log for their own agency."""
    return user.role in WORKERS


def require(allowed, message):
    if not allowed:
        raise Forbidden(message)


def can_work_any(user):
    return user.role in WORKERS


def can_own_task(user, incident):
    """Who may be named owner of one of the incident's tasks: any active person who can see the
    incident. That is every responder, coordinator, manager and admin, and the liaisons of the
    incident's own agency (a task such as "isolate the server" is often theirs); never a
    liaison of another agency, who must not even learn that the incident exists. Ticking a
    task off stays with those who work the incident (`can_work`)."""
    return can_see(user, incident)


def task_owners(incident, query=None):
    """`query` over users (default: all) narrowed to those `can_own_task` accepts for `incident`:
    the same rule as SQL, for the owner select."""
    query = query if query is not None else db.select(User)
    return query.where(User.active, db.or_(User.role.in_(READERS_OF_ALL), User.agency_id == incident.agency_id))
