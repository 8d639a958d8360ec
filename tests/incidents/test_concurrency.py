"""Parallel work on one incident: notes, evidence and an edit arriving at the same moment all
succeed, each stored once, the timeline in order; parallel creations get distinct references.

Each request runs in a thread of its own through its own test client (IsolatedClient: a context
and a database session per request, as under a threaded server), all released together by a
barrier, so they really meet in the database: on PostgreSQL they queue on the incident's row,
on SQLite on the database's write lock.
"""
import hashlib
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from csirt.clock import iso_utc, utcnow
from csirt.incidents.models import Evidence, Incident, TimelineEntry
from tests.conftest import csrf_from

from ..api.test_incidents_api import bearer

NOTES, FILES = 30, 20


def in_parallel(count, work):
    """work(i) for i in 0..count-1, each in a thread of its own, all started at once."""
    barrier = threading.Barrier(count)

    def run(i):
        barrier.wait(timeout=60)
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def timeline(db, incident_id):
    db.session.expire_all()
    return db.session.execute(db.select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)
                              .order_by(TimelineEntry.id)).scalars().all()


@pytest.fixture
def coordinator(make):
    return make.user("coordinator")


def test_thirty_parallel_api_notes_are_all_stored_once_in_order(app, db, make, coordinator):
    incident_id = make.incident(actor=coordinator).id
    headers = bearer(coordinator)
    clients = [app.test_client() for _ in range(NOTES)]
    bodies = [f"Ghi chú song song số {i:02d}" for i in range(NOTES)]

    def post(i):
        response = clients[i].post(f"/api/v1/incidents/{incident_id}/notes", json={"body": bodies[i]},
                                   headers=headers)
        return response.status_code, response.get_json()

    answers = in_parallel(NOTES, post)
    assert [status for status, _ in answers] == [201] * NOTES, answers
    entries = timeline(db, incident_id)
    notes = [e for e in entries if e.kind == "note"]
    assert sorted(e.body for e in notes) == bodies  # each note once
    assert sorted(body["id"] for _, body in answers) == [e.id for e in notes]
    times = [e.at for e in entries]
    assert times == sorted(times), "the timeline read in id order must not go back in time"
    assert db.session.get(Incident, incident_id).version == 1  # notes leave the edit version alone


def test_twenty_parallel_evidence_uploads_through_the_page_all_succeed(app, client, auth, db, make):
    responder = make.user("responder")
    incident_id = make.incident(actor=responder).id
    auth.login(responder)
    view = f"/incidents/{incident_id}"
    token = csrf_from(client.get(view).get_data(as_text=True))  # the page puts its CSRF secret in the session
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    clients = [app.test_client() for _ in range(FILES)]
    for other in clients:  # every browser tab of one logged-in user
        other.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    contents = [f"nhật ký máy chủ {i}\n".encode() * (200 + i) for i in range(FILES)]

    def upload(i):
        return clients[i].post(f"{view}/evidence", content_type="multipart/form-data", data={
            "csrf_token": token, "description": f"tệp {i}",
            "file": (io.BytesIO(contents[i]), f"access-{i}.log")}).status_code

    assert in_parallel(FILES, upload) == [302] * FILES
    db.session.expire_all()
    rows = db.session.execute(db.select(Evidence).where(Evidence.incident_id == incident_id)).scalars().all()
    assert sorted(r.sha256 for r in rows) == sorted(hashlib.sha256(c).hexdigest() for c in contents)
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert sorted(p.name for p in folder.iterdir()) == sorted(r.stored_name for r in rows)
    assert sum(e.kind == "evidence" for e in timeline(db, incident_id)) == FILES


def test_an_edit_with_the_right_version_succeeds_among_parallel_notes(app, db, make, coordinator):
    incident_id = make.incident(actor=coordinator).id
    headers = bearer(coordinator)
    clients = [app.test_client() for _ in range(11)]

    def work(i):
        if i == 5:  # the edit, in the middle of the notes
            response = clients[i].patch(f"/api/v1/incidents/{incident_id}", headers=headers,
                                        json={"severity": "serious", "priority": "P1", "version": 1})
        else:
            response = clients[i].post(f"/api/v1/incidents/{incident_id}/notes", headers=headers,
                                       json={"body": f"Cập nhật {i}"})
        return response.status_code, response.get_json()

    answers = in_parallel(11, work)
    assert [status for status, _ in answers] == [201] * 5 + [200] + [201] * 5, answers
    assert answers[5][1]["version"] == 2 and answers[5][1]["severity"] == "serious"
    incident = db.session.get(Incident, incident_id)
    assert (incident.version, incident.severity, incident.priority) == (2, "serious", "P1")
    kinds = [e.kind for e in timeline(db, incident_id)]
    assert kinds.count("note") == 10 and kinds.count("edit") == 1


def test_parallel_api_creations_get_distinct_consecutive_references(app, db, coordinator):
    headers = bearer(coordinator)
    clients = [app.test_client() for _ in range(FILES)]
    body = {"title": "Dò quét cổng từ nhiều địa chỉ", "category": "other",
            "discovered_at": iso_utc(utcnow() - timedelta(hours=5))}

    def create(i):
        response = clients[i].post("/api/v1/incidents", json=body, headers=headers)
        return response.status_code, response.get_json()

    answers = in_parallel(FILES, create)
    assert [status for status, _ in answers] == [201] * FILES, answers
    numbers = sorted(int(answer["reference"].rsplit("-", 1)[1]) for _, answer in answers)
    assert numbers == list(range(numbers[0], numbers[0] + FILES))  # no gap, no number twice
    assert db.session.execute(db.select(db.func.count()).select_from(Incident)).scalar() == FILES
