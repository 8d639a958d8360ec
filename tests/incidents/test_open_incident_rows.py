"""`open_incident` writes its rows with plain INSERTs and hands back the incident as if read back
from the database: every column set, its agency and people attached, nothing left to load."""
from datetime import timedelta

import sqlalchemy as sa

from csirt.audit.models import AuditLog
from csirt.clock import utcnow
from csirt.incidents import services
from csirt.incidents.models import Incident, TimelineEntry
from tests.conftest import recorded_statements


def _columns(incident):
    return {c.key: getattr(incident, c.key) for c in sa.inspect(Incident).column_attrs}


def test_the_incident_returned_is_persistent_complete_and_equal_to_its_row(app, db, make):
    actor, responder, agency = make.user("coordinator"), make.user("responder"), make.agency()
    db.session().expire_on_commit = False  # as in an API request: read what the service hands back
    data = {"title": "Máy chủ bị dò quét", "category": "unauthorized_access", "agency_id": agency.id,
            "assignee_id": responder.id, "discovered_at": utcnow() - timedelta(hours=1)}
    incident = services.open_incident(actor, data)
    state = sa.inspect(incident)
    assert state.persistent and state.identity == (incident.id,)
    with recorded_statements(db.engine) as seen:
        values = _columns(incident)
        people = (incident.agency, incident.reporter, incident.assignee)
    assert seen == []  # every column and relationship was already there
    assert people == (agency, actor, responder)
    db.session.expire_all()
    assert _columns(db.session.get(Incident, incident.id)) == values  # what the row holds
    assert values["version"] == 1 and values["status"] == "new" and values["closed_at"] is None
    assert values["description"] == "" and values["severity"] == "ordinary" and values["tlp"] == "AMBER"


def test_the_incident_returned_works_as_any_loaded_incident(app, db, make):
    actor, responder = make.user("coordinator"), make.user("responder")
    incident = make.incident(actor=actor, assignee_id=responder.id)
    kinds = [e.kind for e in incident.timeline.all()]
    assert kinds == ["created", "assignment"]
    services.update_incident(actor, incident, {"title": "Đổi tên"}, expected_version=1)
    assert db.session.get(Incident, incident.id).version == 2  # the version check saw version 1
    entries = db.session.execute(sa.select(TimelineEntry).where(TimelineEntry.incident_id == incident.id)
                                 .order_by(TimelineEntry.id)).scalars().all()
    assert [e.kind for e in entries] == ["created", "assignment", "edit"]
    assert entries[1].data["to"] == responder.id and entries[0].author_id == actor.id
    audit = db.session.execute(sa.select(AuditLog).where(AuditLog.object_id == str(incident.id))
                               .order_by(AuditLog.id)).scalars().all()
    assert [a.action for a in audit] == ["incident.create", "incident.update"]
