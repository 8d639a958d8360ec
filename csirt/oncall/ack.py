"""Acknowledging an incident: "I have it". The first acknowledgement stops the escalation, is
written on the timeline with who, when and how (page, API or a notification's link) and keeps
`acknowledged_at` for the time to acknowledge; later ones change nothing.

The one-click link: a notification's link is signed and expires (notify/ack_tokens.py) and is
good once (outbox.consume_ack). It acts as the person it was sent to, who must still be an
active member allowed to work the incident.
"""
from ..audit.services import record
from ..catalogue import gettext as _
from ..clock import utcnow
from ..errors import DomainError, NotFound
from ..extensions import db
from ..incidents import policy
from ..incidents.models import Incident
from ..incidents.services import append_timeline, touch
from ..notify import ack_tokens, outbox
from ..notify.models import Notification
from ..team.models import User
from . import escalation

VIA = ("page", "api", "link")


class LinkRefused(DomainError):
    """A one-click link that cannot act: `code` is expired, forged or used."""

    status = 400

    def __init__(self, code, message, incident_id=None):
        super().__init__(message)
        self.code, self.incident_id = code, incident_id


def acknowledge(actor, incident, via="page"):
    """Acknowledge `incident` as `actor`; True if this was the first acknowledgement. Commits."""
    policy.require(policy.can_work(actor, incident), _("You may not acknowledge this incident."))
    now = utcnow()
    table = Incident.__table__
    first = db.session.execute(table.update().where(table.c.id == incident.id, table.c.acknowledged_at.is_(None))
                               .values(acknowledged_at=now, acknowledged_by_id=actor.id)).rowcount == 1
    if not first:
        db.session.commit()  # nothing of ours changed, but a link spent with it stays spent
        db.session.refresh(incident)
        return False
    seconds = max(0, int((now - incident.created_at).total_seconds()))
    stopped = escalation.stop(incident.id, "acknowledged", now)
    append_timeline(incident, actor, "acknowledged", data={"via": via if via in VIA else "page",
                                                          "seconds": seconds, "escalation_stopped": stopped})
    touch(incident)
    record(actor, "incident.acknowledge", incident, after={"via": via, "seconds_to_acknowledge": seconds})
    db.session.commit()
    db.session.refresh(incident)
    return True


def read_link(token):
    """(notification, incident, user) of a valid, unused link; LinkRefused otherwise (nothing written)."""
    try:
        notification_id, incident_id = ack_tokens.read(token)
    except ack_tokens.AckLinkError as err:
        if err.code == "expired":
            raise LinkRefused("expired", _("This acknowledge link has expired. Log in to acknowledge "
                                           "the incident on its page.")) from None
        raise LinkRefused("forged", _("This acknowledge link is not valid.")) from None
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.incident_id != incident_id or notification.user_id is None:
        raise LinkRefused("forged", _("This acknowledge link is not valid."))
    if notification.ack_used_at is not None:
        raise LinkRefused("used", _("This acknowledge link has already been used."), incident_id)
    incident = db.session.get(Incident, incident_id)
    user = db.session.get(User, notification.user_id)
    if incident is None:
        raise NotFound("incident")
    if user is None or not user.active or not policy.can_work(user, incident):
        raise LinkRefused("forged", _("This acknowledge link is not valid."))
    return notification, incident, user


def acknowledge_by_link(token):
    """Use a one-click link: (incident, user, first). The link is spent even when someone else
    acknowledged first."""
    notification, incident, user = read_link(token)
    if not outbox.consume_ack(notification.id):
        db.session.rollback()
        raise LinkRefused("used", _("This acknowledge link has already been used."), incident.id)
    first = acknowledge(user, incident, via="link")  # commits the spent link with the acknowledgement
    return incident, user, first
