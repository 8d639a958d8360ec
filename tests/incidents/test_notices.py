"""An incident's changes write their notifications in the same transaction: the new assignee hears
of the assignment, the assignee of a status change, nobody of their own doing."""
from csirt.incidents import services
from csirt.notify.models import Notification


def _sent(db):
    return [(n.event, n.user_id, n.context.get("by"), n.context.get("new_status")) for n in db.session.execute(
        db.select(Notification).order_by(Notification.id)).scalars()]


def test_the_assignee_hears_of_the_assignment_and_of_a_status_change(db, make):
    coordinator = make.user("coordinator", full_name="Điều Phối", email="dp@so.example")
    responder = make.user("responder", email="uc@so.example")
    incident = make.incident(actor=coordinator)
    services.assign_incident(coordinator, incident, responder.id)
    services.change_status(coordinator, incident, "triaged")
    assert _sent(db) == [("incident.assigned", responder.id, "Điều Phối", None),
                         ("incident.status", responder.id, "Điều Phối", "triaged")]


def test_nobody_is_told_of_their_own_doing(db, make):
    responder = make.user("responder", email="uc@so.example")
    incident = make.incident(actor=responder)
    services.assign_incident(responder, incident, responder.id)
    services.change_status(responder, incident, "triaged")
    assert _sent(db) == []
