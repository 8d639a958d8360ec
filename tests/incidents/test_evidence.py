"""Evidence files: hashed while streamed, stored under a random name outside the web root, sent back
only as an attachment to those who may see the incident, verified on download, and never a row
without its file nor a file without its row."""
import errno
import hashlib
import html
import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from csirt import storage as evidence_store
from csirt.errors import DomainError
from csirt.incidents import evidence as evidence_service
from csirt.incidents.models import Evidence, TimelineEntry
from tests.conftest import csrf_from

CONTENT = "Nhật ký truy cập\n".encode() + bytes(range(256)) * 300  # ~77 kB, binary, not a multiple of a chunk


def app_text(app, msgid, locale="vi", **kw):
    with app.test_request_context(), force_locale(locale):
        return gettext(msgid, **kw)


def stored_files(app):
    folder = Path(app.config["UPLOAD_FOLDER"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def evidence_rows(db):
    return db.session.execute(sa.select(sa.func.count()).select_from(Evidence)).scalar()


@pytest.fixture
def worker(client, auth, make):
    user = make.user("responder")
    auth.login(user)
    return user


@pytest.fixture
def incident(make, worker):
    return make.incident(actor=worker)


def upload(client, incident, content=CONTENT, name="access.log", description="log máy chủ web"):
    view = f"/incidents/{incident.id}"
    token = csrf_from(client.get(view).get_data(as_text=True))
    return client.post(f"{view}/evidence", content_type="multipart/form-data",
                       data={"csrf_token": token, "description": description, "file": (io.BytesIO(content), name)})


def test_the_sha256_shown_is_the_sha256_of_the_uploaded_bytes(client, db, incident):
    response = upload(client, incident)
    assert response.status_code == 302
    expected = hashlib.sha256(CONTENT).hexdigest()
    item = db.session.execute(db.select(Evidence)).scalar_one()
    assert (item.sha256, item.size, item.original_name) == (expected, len(CONTENT), "access.log")
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert f"SHA-256 {expected}" in page
    entry = db.session.execute(db.select(TimelineEntry).where(TimelineEntry.kind == "evidence")).scalar_one()
    assert entry.data["sha256"] == expected


def test_the_file_is_stored_under_a_random_name_outside_the_static_folder(app, client, db, incident):
    assert upload(client, incident, name="access.log").status_code == 302
    assert upload(client, incident, name="access.log").status_code == 302
    items = db.session.execute(db.select(Evidence).order_by(Evidence.id)).scalars().all()
    folder = Path(app.config["UPLOAD_FOLDER"]).resolve()
    names = [i.stored_name for i in items]
    assert names[0] != names[1] and stored_files(app) == sorted(names)
    for item in items:
        path = (folder / item.stored_name).resolve()
        assert path.read_bytes() == CONTENT
        assert "access" not in item.stored_name and len(item.stored_name) >= 32
        assert all(c in "0123456789abcdef" for c in item.stored_name)
    static = Path(app.static_folder).resolve()
    assert not folder.is_relative_to(static) and not static.is_relative_to(folder)
    assert client.get(f"/static/{names[0]}").status_code == 404


def test_download_is_an_attachment_with_nosniff_and_the_original_bytes(client, db, incident):
    upload(client, incident, name="trang chủ.html")
    item = db.session.execute(db.select(Evidence)).scalar_one()
    response = client.get(f"/incidents/{incident.id}/evidence/{item.id}")
    assert response.status_code == 200
    assert response.data == CONTENT
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "trang%20ch%E1%BB%A7.html" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/octet-stream"  # an HTML file is never rendered
    assert response.headers["X-Evidence-SHA256"] == hashlib.sha256(CONTENT).hexdigest()


@pytest.mark.parametrize(("role", "same_agency", "allowed"), [
    ("member", True, True), ("member", False, False), ("manager", False, True),
    ("responder", False, True), ("coordinator", False, True), ("admin", False, True)])
def test_only_users_who_may_see_the_incident_can_download(app, client, auth, db, make, role, same_agency, allowed):
    owner = make.user("coordinator")
    incident = make.incident(actor=owner)
    item = evidence_service.add_evidence(owner, incident, io.BytesIO(CONTENT), "dump.pcap")
    reader = make.user(role, agency_obj=incident.agency if same_agency else None)
    auth.login(reader)
    response = client.get(f"/incidents/{incident.id}/evidence/{item.id}")
    if allowed:
        assert response.status_code == 200 and response.data == CONTENT
    else:
        assert response.status_code == 404 and CONTENT[:20] not in response.data
        assert app_text(app, "Not found.") in html.unescape(response.get_data(as_text=True))


def test_an_anonymous_visitor_cannot_download(client, make):
    owner = make.user("coordinator")
    incident = make.incident(actor=owner)
    item = evidence_service.add_evidence(owner, incident, io.BytesIO(CONTENT), "dump.pcap")
    response = client.get(f"/incidents/{incident.id}/evidence/{item.id}")
    assert response.status_code in (302, 401) and CONTENT[:20] not in response.data


def test_a_member_of_another_agency_cannot_upload(client, auth, db, make, app):
    owner = make.user("coordinator")
    incident = make.incident(actor=owner)
    auth.login(make.user("member"))
    token = auth.csrf("/incidents")
    response = client.post(f"/incidents/{incident.id}/evidence", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(b"x"), "x.txt")})
    assert response.status_code == 404
    assert evidence_rows(db) == 0 and stored_files(app) == []


def test_an_upload_over_the_size_limit_is_413_and_leaves_nothing(app, client, db, incident):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    response = upload(client, incident, content=b"A" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert app_text(app, "The upload is too large.") in html.unescape(response.get_data(as_text=True))
    assert evidence_rows(db) == 0 and stored_files(app) == []


def test_an_upload_with_too_many_form_parts_is_413_and_leaves_nothing(app, client, db, incident):
    view = f"/incidents/{incident.id}"
    token = csrf_from(client.get(view).get_data(as_text=True))
    data = {"csrf_token": token, "file": (io.BytesIO(b"abc"), "a.txt")}
    data.update({f"extra{n}": "x" for n in range(app.config["MAX_FORM_PARTS"] + 1)})
    response = client.post(f"{view}/evidence", content_type="multipart/form-data", data=data)
    assert response.status_code == 413
    assert evidence_rows(db) == 0 and stored_files(app) == []


def test_a_stream_longer_than_the_limit_is_refused_while_streaming(app, db, incident, worker):
    # the service's own limit, for callers that do not go through Flask's request limit
    with pytest.raises(evidence_service.EvidenceTooLarge) as caught:
        evidence_service.add_evidence(worker, incident, io.BytesIO(b"B" * (1024 * 1024 + 1)), "big.bin")
    assert caught.value.status == 413
    assert evidence_rows(db) == 0 and stored_files(app) == []


def test_an_empty_file_is_refused_and_leaves_nothing(app, client, db, incident):
    response = upload(client, incident, content=b"")
    assert response.status_code == 400
    assert app_text(app, "The file is empty.") in html.unescape(response.get_data(as_text=True))
    assert evidence_rows(db) == 0 and stored_files(app) == []


def test_an_upload_without_a_file_is_refused_with_a_message(app, client, db, incident):
    view = f"/incidents/{incident.id}"
    token = csrf_from(client.get(view).get_data(as_text=True))
    response = client.post(f"{view}/evidence", content_type="multipart/form-data",
                           data={"csrf_token": token, "description": "không có tệp"})
    assert response.status_code == 400
    assert app_text(app, "Choose a file to upload.") in html.unescape(response.get_data(as_text=True))
    assert evidence_rows(db) == 0


def test_a_file_tampered_on_disk_is_not_sent(app, client, db, incident):
    upload(client, incident)
    item = db.session.execute(db.select(Evidence)).scalar_one()
    path = Path(app.config["UPLOAD_FOLDER"]) / item.stored_name
    path.write_bytes(CONTENT[:-1] + b"X")
    response = client.get(f"/incidents/{incident.id}/evidence/{item.id}")
    assert response.status_code >= 400
    body = html.unescape(response.get_data(as_text=True))
    assert app_text(app, "The evidence file no longer matches its SHA-256; it was not sent.") in body
    assert CONTENT[-50:-1] not in response.data


def test_a_file_missing_from_disk_is_reported(app, client, db, incident):
    upload(client, incident)
    item = db.session.execute(db.select(Evidence)).scalar_one()
    (Path(app.config["UPLOAD_FOLDER"]) / item.stored_name).unlink()
    response = client.get(f"/incidents/{incident.id}/evidence/{item.id}")
    assert response.status_code >= 400
    assert app_text(app, "The evidence file is missing from storage.") in html.unescape(response.get_data(as_text=True))


def test_a_full_disk_gives_a_clear_message_and_leaves_no_row_and_no_file(app, client, db, incident, monkeypatch):
    written = []

    def full_disk(fd):
        written.extend(os.listdir(app.config["UPLOAD_FOLDER"]))  # the partial file exists by now
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(evidence_store.os, "fsync", full_disk)
    response = upload(client, incident)
    assert written and all(name.endswith(".part") for name in written)
    assert response.status_code == 507
    message = "The file could not be stored (the disk may be full). Nothing was saved."
    assert app_text(app, message) in html.unescape(response.get_data(as_text=True))
    assert evidence_rows(db) == 0 and stored_files(app) == []


def test_a_disk_error_from_the_store_is_a_domain_error(app, db, incident, worker, monkeypatch):
    def broken(stream, max_bytes):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(evidence_store, "save_stream", broken)
    with pytest.raises(DomainError):
        evidence_service.add_evidence(worker, incident, io.BytesIO(b"abc"), "a.txt")
    assert evidence_rows(db) == 0 and stored_files(app) == []


def test_a_database_failure_after_the_file_was_written_leaves_no_orphan_file(app, client, db, incident,
                                                                                monkeypatch):
    from sqlalchemy.exc import OperationalError

    saved = []
    real_save, real_commit = evidence_store.save_stream, db.session.commit

    def save_and_remember(stream, max_bytes):
        result = real_save(stream, max_bytes)
        saved.append(result[0])
        return result

    def commit_fails_once():
        if saved and not getattr(commit_fails_once, "done", False):
            commit_fails_once.done = True
            assert stored_files(app) == saved  # the file really was on disk when the commit failed
            raise OperationalError("COMMIT", {}, OSError("server closed the connection"))
        return real_commit()

    monkeypatch.setattr(evidence_store, "save_stream", save_and_remember)
    monkeypatch.setattr(db.session, "commit", commit_fails_once)
    response = upload(client, incident)
    assert getattr(commit_fails_once, "done", False)
    assert response.status_code == 503
    monkeypatch.undo()
    assert evidence_rows(db) == 0
    assert stored_files(app) == []
    assert db.session.execute(sa.select(sa.func.count()).select_from(TimelineEntry)
                              .where(TimelineEntry.kind == "evidence")).scalar() == 0


@pytest.mark.parametrize(("name", "clean"), [
    ("../../etc/passwd", "passwd"), ("..\\..\\windows\\system.ini", "system.ini"), ("/etc/shadow", "shadow"),
    ("....//....//x.txt", "x.txt"), ("..", "evidence"), ("a\x00b\r\n.txt", "ab.txt"), ("   ", "evidence")])
def test_a_path_in_the_file_name_is_kept_only_as_data(app, db, incident, worker, tmp_path, name, clean):
    item = evidence_service.add_evidence(worker, incident, io.BytesIO(b"root:x:0:0"), name)
    assert item.original_name == clean
    assert stored_files(app) == [item.stored_name]
    assert (Path(app.config["UPLOAD_FOLDER"]) / item.stored_name).read_bytes() == b"root:x:0:0"
    assert not (tmp_path / "etc").exists() and not (tmp_path / "instance" / "etc").exists()


def test_a_traversal_file_name_through_the_form_is_stored_as_its_last_part(app, client, db, incident, tmp_path):
    response = upload(client, incident, content=b"root:x:0:0", name="../../etc/passwd")
    assert response.status_code == 302
    item = db.session.execute(db.select(Evidence)).scalar_one()
    assert item.original_name == "passwd"
    assert stored_files(app) == [item.stored_name]
    download = client.get(f"/incidents/{incident.id}/evidence/{item.id}")
    assert "filename=passwd" in download.headers["Content-Disposition"]


def test_evidence_records_who_added_it_and_when(db, make, incident, worker):
    from datetime import datetime

    from csirt import clock

    clock.freeze(datetime(2026, 11, 21, 2, 0))
    item = evidence_service.add_evidence(worker, incident, io.BytesIO(b"abc"), "a.txt", "mẫu")
    assert (item.added_by_id, item.added_at, item.description) == (worker.id, datetime(2026, 11, 21, 2, 0), "mẫu")
    from csirt.audit.models import AuditLog

    audit = db.session.execute(db.select(AuditLog).where(AuditLog.action == "evidence.add")).scalar_one()
    assert audit.after["sha256"] == hashlib.sha256(b"abc").hexdigest() and audit.actor_id == worker.id
