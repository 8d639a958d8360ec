"""Who may see and do what with notifications. The only place with role checks for them.

Everyone signed in manages their own contact methods and quiet hours (and nobody else's: another
person's method answers like a missing one). The outbox (every notification, its errors, the
retry button) is for admins and coordinators: it shows incident titles of every agency, which
both roles see anyway.
"""
from ..catalogue import gettext as _
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..ids import as_id
from .models import ContactMethod, Notification

OUTBOX_READERS = ("admin", "coordinator")


def _active(user):
    return user is not None and bool(getattr(user, "is_active", False))


def can_manage_own(user):
    return _active(user)


def own_method(user, method_id):
    """`user`'s contact method `method_id`, or NotFound (also when it is someone else's)."""
    method_id = as_id(method_id)
    method = db.session.get(ContactMethod, method_id) if method_id is not None else None
    if method is None or not _active(user) or method.user_id != user.id:
        raise NotFound("contact method")
    return method


def can_read_outbox(user):
    return _active(user) and user.role in OUTBOX_READERS


def require_outbox(user):
    if not can_read_outbox(user):
        raise Forbidden(_("Only admins and coordinators may see the outbox."))


def outbox_row(user, notification_id):
    require_outbox(user)
    notification_id = as_id(notification_id)
    row = db.session.get(Notification, notification_id) if notification_id is not None else None
    if row is None:
        raise NotFound("notification")
    return row
