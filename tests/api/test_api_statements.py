"""The API's cost in SQL: statements and commits per request, held exactly so a regression fails.

Counted with SQLAlchemy engine events around one request (`before_cursor_execute` sees every
statement the app sends; `commit` every COMMIT). The first request of each test warms the
connection and records the token's last use, which is then fresh for a minute.
"""
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from csirt.auth.models import ApiToken
from csirt.clock import moved_to, utcnow

from .test_incidents_api import Api, _new_incident_body


@pytest.fixture
def coordinator(make):
    return make.user("coordinator")


@pytest.fixture
def api(client, coordinator):
    return Api(client, coordinator)


@contextmanager
def counted(db):
    """{"statements": [...], "commits": n, "flushes": n} sent by the app inside the block (a flush
    is the ORM's unit of work writing pending objects)."""
    seen = {"statements": [], "commits": 0, "flushes": 0}

    def on_execute(_conn, _cursor, statement, _params, _context, _many):
        seen["statements"].append(statement.split(None, 1)[0].upper())

    def on_commit(_conn):
        seen["commits"] += 1

    def on_flush(_session, _context):
        seen["flushes"] += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    event.listen(Session, "after_flush", on_flush)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)
        event.remove(Session, "after_flush", on_flush)


def _counter(db):
    """The first word of the statement that takes a reference number (incidents/opening.py)."""
    return "WITH" if db.engine.dialect.name == "postgresql" else "UPDATE"


def test_an_api_post_sends_three_statements_on_postgresql_five_on_sqlite_in_one_transaction(api, db):
    assert api.post("/incidents", json=_new_incident_body()).status_code == 201  # warm-up
    with counted(db) as seen:
        response = api.post("/incidents", json=_new_incident_body(title="Dò mật khẩu thư điện tử"))
    assert response.status_code == 201, response.get_json()
    if db.engine.dialect.name == "postgresql":
        # token+user; the reference counter, the incident and its timeline entry in one WITH
        # (incidents/opening.py); the audit entry; nothing after the commit
        assert seen["statements"] == ["SELECT", "WITH", "INSERT"], seen
    else:
        # token+user, reference counter, incident, timeline entry, audit entry
        assert seen["statements"] == ["SELECT", "UPDATE", "INSERT", "INSERT", "INSERT"], seen
    assert seen["commits"] == 1


def test_an_api_post_writes_its_rows_without_the_orm_unit_of_work(api, db, make):
    # Each row goes in by one INSERT: the unit of work's bookkeeping (two flushes) cost more than
    # the statements. The answer is still the whole incident, with its agency and people.
    responder = make.user("responder")
    assert api.post("/incidents", json=_new_incident_body()).status_code == 201  # warm-up
    with counted(db) as seen:
        response = api.post("/incidents", json=_new_incident_body(assignee_id=responder.id))
    assert response.status_code == 201, response.get_json()
    assert seen["flushes"] == 0 and seen["commits"] == 1, seen
    body = response.get_json()
    assert body["assignee"]["id"] == responder.id and body["reporter"]["username"] == api.user.username
    assert body["version"] == 1 and body["status"] == "new" and body["agency"]["code"]


def test_a_create_naming_agency_and_assignee_reads_them_once_before_taking_a_reference(api, db, make):
    other, responder = make.agency(), make.user("responder")
    body = _new_incident_body(agency_id=other.id, assignee_id=responder.id)
    assert api.post("/incidents", json=_new_incident_body()).status_code == 201  # warm-up
    with counted(db) as seen:
        response = api.post("/incidents", json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["agency"]["id"] == other.id
    assert response.get_json()["assignee"]["id"] == responder.id
    # token, agency, assignee; then the counter, whose row stays locked until the commit: after
    # it only the inserts (incident, two timeline entries, audit; on PostgreSQL the counter, the
    # incident and both entries are one WITH statement), and nothing after the commit
    statements = seen["statements"]
    assert statements[:4] == ["SELECT", "SELECT", "SELECT", _counter(db)], seen
    inserts = (1, 1) if _counter(db) == "WITH" else (3, 4)
    assert set(statements[4:]) == {"INSERT"} and inserts[0] <= len(statements[4:]) <= inserts[1], seen
    assert seen["commits"] == 1


def test_an_api_list_sends_three_statements_and_no_commit(api, db, make, coordinator):
    for _ in range(3):
        make.incident(actor=coordinator)
    assert api.get("/incidents?limit=2").status_code == 200  # warm-up
    with counted(db) as seen:
        response = api.get("/incidents?limit=2")
    assert response.status_code == 200 and len(response.get_json()["items"]) == 2
    # token+user, the page with its joined rows and the count, the page's linked systems and servers
    assert seen["statements"] == ["SELECT", "SELECT", "SELECT"], seen
    assert response.get_json()["total"] == 3
    assert seen["commits"] == 0


def test_an_api_list_reads_the_links_of_a_whole_page_in_one_statement(api, db, make, coordinator):
    from csirt.systems.models import InformationSystem, Server

    agency = coordinator.agency
    systems = [InformationSystem(code=f"HT{n}", name=f"Hệ thống {n}", owner_agency_id=agency.id) for n in range(4)]
    servers = [Server(hostname=f"srv-{n}", agency_id=agency.id, addresses=[f"10.0.0.{n + 1}"]) for n in range(4)]
    db.session.add_all(systems + servers)
    db.session.commit()
    for n in range(4):
        make.incident(actor=coordinator, system_ids=[systems[n].id, systems[(n + 1) % 4].id],
                      server_ids=[servers[n].id])
    assert api.get("/incidents?limit=3").status_code == 200  # warm-up
    with counted(db) as seen:
        response = api.get("/incidents?limit=3")
    items = response.get_json()["items"]
    assert len(items) == 3 and all(len(i["systems"]) == 2 and len(i["servers"]) == 1 for i in items)
    assert seen["statements"] == ["SELECT", "SELECT", "SELECT"], seen


def test_an_api_note_sends_five_statements_in_one_transaction(api, db, make, coordinator):
    incident = make.incident(actor=coordinator)
    path = f"/incidents/{incident.id}"  # read before counting: the test's own session reloads it
    assert api.get(path).status_code == 200  # warm-up
    with counted(db) as seen:
        response = api.post(path + "/notes", json={"body": "Đã chặn địa chỉ nguồn"})
    assert response.status_code == 201
    # token+user, incident, touch of updated_at, timeline entry, audit entry
    assert seen["statements"] == ["SELECT", "SELECT", "UPDATE", "INSERT", "INSERT"], seen
    assert seen["commits"] == 1


def test_last_use_is_written_at_most_once_a_minute_inside_the_request(api, db, coordinator):
    [token] = db.session.execute(db.select(ApiToken)).scalars().all()
    assert token.last_used_at is None
    start = utcnow()
    with moved_to(start), counted(db) as first:
        assert api.get("/incidents").status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == start
    assert first["statements"].count("UPDATE") == 1 and first["commits"] == 1
    with moved_to(start + timedelta(seconds=59)), counted(db) as soon:
        assert api.post("/incidents", json=_new_incident_body()).status_code == 201
    counter = int(_counter(db) == "UPDATE")  # on PostgreSQL the counter is part of a WITH statement
    assert soon["statements"].count("UPDATE") == counter  # the reference counter only
    assert soon["commits"] == 1
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == start
    later = start + timedelta(seconds=61)
    with moved_to(later), counted(db) as after:
        assert api.post("/incidents", json=_new_incident_body()).status_code == 201
    assert after["statements"].count("UPDATE") == counter + 1  # counter and last use, in the one transaction
    assert after["commits"] == 1
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == later
