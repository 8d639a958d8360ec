"""Who may read and who may change the rules table. The only place with role checks for rules.

The rules set every legal deadline and frequency: admins change them; managers and coordinators
read them (they sign reports and watch the clocks); everyone else is refused.
"""
from ..errors import Forbidden

EDITORS = ("admin",)
READERS = ("admin", "manager", "coordinator")


def _active(user):
    return user is not None and getattr(user, "is_active", False)


def can_read(user):
    return _active(user) and user.role in READERS


def can_edit(user):
    return _active(user) and user.role in EDITORS


def require(allowed, message):
    if not allowed:
        raise Forbidden(message)
