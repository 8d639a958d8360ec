"""Who may see and change on-call rotations. The only place with role checks for `oncall`.

Every active member of the team reads the rotations (who is on call is what they need at 3 a.m.);
coordinators and admins create, edit and archive rotations and add or remove overrides. Only
people who see every incident (READERS_OF_ALL) can be put on call: a liaison of one agency could
not even open the incident they would be paged for.
"""
from ..errors import Forbidden
from ..team.models import WORKERS

MANAGERS = ("admin", "coordinator")
ON_CALL_ROLES = WORKERS  # who may acknowledge and work what they are paged for


def _active(user):
    return user is not None and getattr(user, "is_active", False) and getattr(user, "is_authenticated", True)


def can_read(user):
    return _active(user)


def can_manage(user):
    """Create, edit and archive rotations; add and remove overrides."""
    return _active(user) and user.role in MANAGERS


def can_be_on_call(user):
    return user is not None and bool(user.active) and user.role in ON_CALL_ROLES


def can_have_feed(user):
    """A calendar feed of one's own shifts, or of a rotation one may read."""
    return can_read(user)


def can_revoke_feed(user, feed):
    return _active(user) and (feed.created_by_id == user.id or user.role == "admin")


def require(allowed, message):
    if not allowed:
        raise Forbidden(message)
