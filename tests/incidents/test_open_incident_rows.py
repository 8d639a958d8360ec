"""`open_incident` writes its rows with plain INSERTs and hands back the incident as if read back
from the database: every column set, its agency and people attached, nothing left to load."""
from datetime import datetime, timedelta

import sqlalchemy as sa

from csirt.audit.models import AuditLog
from csirt.clock import moved_to, utcnow
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


def _open(actor, **extra):
    return services.open_incident(actor, {"title": "Dò quét", "category": "other",
                                          "discovered_at": utcnow() - timedelta(hours=1), **extra})


def test_references_count_per_year_from_the_counter_and_are_never_cut(app, db, make):
    # on PostgreSQL the counter, the incident and its first entry are one statement (opening.py);
    # on SQLite three: the same numbers either way
    from csirt.incidents.models import ReferenceCounter

    actor = make.user("coordinator")
    first = _open(actor)
    prefix, year, number = first.reference.rsplit("-", 2)
    assert number == "0001" and int(year) >= 2026
    counter = db.session.get(ReferenceCounter, (prefix, int(year)))
    counter.last = 9998
    db.session.commit()
    assert [_open(actor).reference.rsplit("-", 1)[1] for _ in range(2)] == ["9999", "10000"]
    entries = db.session.execute(sa.select(TimelineEntry).where(TimelineEntry.kind == "created")
                                 .order_by(TimelineEntry.id)).scalars().all()
    assert [e.data for e in entries][-1] == {"reference": f"{prefix}-{year}-10000"}
    with moved_to(datetime(int(year) + 1, 1, 1, 3)):  # the first incident of a new year (local time)
        assert _open(actor).reference == f"{prefix}-{int(year) + 1}-0001"
    app.config["CSIRT_REF_PREFIX"] = "QT"
    assert _open(actor).reference == f"QT-{year}-0001"  # the prefix has a counter of its own
    counters = {(c.prefix, c.year): c.last for c in db.session.execute(sa.select(ReferenceCounter)).scalars()}
    assert counters == {(prefix, int(year)): 10000, (prefix, int(year) + 1): 1, ("QT", int(year)): 1}
