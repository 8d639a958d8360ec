"""Who may see and send alerts. Agency scoping of alerts lives here and nowhere else.

The team and managers (READERS_OF_ALL) see every alert; an agency liaison ("member") sees the
alerts of their own agency only (the agency of the incident an alert went to, else of the server
its host names; an alert about an unknown host belongs to nobody's agency and only the team
sees it). Sending alerts is the response team's work (WORKERS): a liaison's token cannot inject
alerts, whatever its scopes.
"""
from ..catalogue import gettext as _
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..ids import as_id
from ..incidents.from_alerts import SYSTEM_USERNAME
from ..team.models import READERS_OF_ALL, WORKERS
from .models import Alert


def visible(user, query=None):
    """`query` (default: every alert) narrowed to the alerts `user` may see: the one filter every
    list, get and count of alerts goes through."""
    query = query if query is not None else db.select(Alert)
    if user is None or not getattr(user, "is_active", False):
        return query.where(db.false())
    if user.role in READERS_OF_ALL:
        return query
    return query.where(Alert.agency_id == user.agency_id)


def can_see(user, alert):
    if user is None or not getattr(user, "is_active", False):
        return False
    return user.role in READERS_OF_ALL or (alert.agency_id is not None and alert.agency_id == user.agency_id)


def get_visible(user, alert_id):
    """The alert, or NotFound when it does not exist or `user` may not see it."""
    alert_id = as_id(alert_id)
    alert = db.session.get(Alert, alert_id) if alert_id is not None else None
    if alert is None or not can_see(user, alert):
        raise NotFound("alert")  # the kind, for the probe log; the answer is a plain 404
    return alert


def can_ingest(user):
    """The response team; also csirt's own built-in reporter (checks, demo, CLI), which is
    inactive only so that nobody can sign in as it."""
    if user is None or user.role not in WORKERS:
        return False
    return bool(getattr(user, "is_active", False)) or user.username == SYSTEM_USERNAME


def require_ingest(user):
    if not can_ingest(user):
        raise Forbidden(_("Only the response team may send alerts."))
