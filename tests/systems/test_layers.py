"""Layer records: validation naming the field, evidence files stored and verified like incident
evidence, permissions across agencies, and an audit entry for every change."""
import hashlib
import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from csirt.audit.models import AuditLog
from csirt.errors import Conflict, Forbidden, NotFound, ValidationError
from csirt.systems import layers
from csirt.systems.models import LayerEvidence, LayerRecord
from tests.conftest import csrf_from
from tests.systems.layer_fixtures import TODAY, at_noon, system

CONTENT = "Hợp đồng giám sát an toàn thông tin\n".encode() + bytes(range(256)) * 100


@pytest.fixture
def home(make):
    return make.agency(code="SO-TTTT")


@pytest.fixture
def other(make):
    return make.agency(code="SO-YT")


@pytest.fixture
def liaison(make, home):
    return make.user(role="member", agency_obj=home)


@pytest.fixture
def target(home):
    return system(home)


def _data(**kw):
    data = {"layer": 2, "provider": "VNPT Lào Cai", "reference": "HĐ 15/2026/VNPT",
            "valid_from": TODAY - timedelta(days=100), "valid_to": TODAY + timedelta(days=265)}
    data.update(kw)
    return data


def _actions(db):
    return [a for (a,) in db.session.execute(sa.select(AuditLog.action).order_by(AuditLog.id)).all()]


def _stored(app):
    folder = Path(app.config["UPLOAD_FOLDER"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


class Upload:
    def __init__(self, content, filename="hop-dong.pdf", mimetype="application/pdf"):
        self.stream, self.filename, self.mimetype = io.BytesIO(content), filename, mimetype


# --- validation ------------------------------------------------------------------------------

def test_valid_to_before_valid_from_is_refused_on_the_valid_to_field(app, liaison, target):
    at_noon()
    with pytest.raises(ValidationError) as err:
        layers.add_layer_record(liaison, target.id, _data(valid_from="2026-06-01", valid_to="2026-05-31"))
    assert set(err.value.errors) == {"valid_to"}
    assert err.value.errors["valid_to"] == "Ngày hiệu lực đến trước ngày hiệu lực từ."


def test_valid_to_equal_to_valid_from_is_a_one_day_record(app, liaison, target):
    item = layers.add_layer_record(liaison, target.id, _data(valid_from="2026-06-01", valid_to="2026-06-01"))
    assert item.valid_from == item.valid_to


@pytest.mark.parametrize(("change", "field"), [
    ({"layer": 5}, "layer"), ({"layer": "hai"}, "layer"), ({"layer": None}, "layer"),
    ({"provider": "   "}, "provider"), ({"provider": "x" * 201}, "provider"),
    ({"valid_from": None}, "valid_from"), ({"valid_from": "31/12/2026"}, "valid_from"),
    ({"valid_to": "2026-02-30"}, "valid_to"), ({"next_due": "0202-01-01"}, "next_due"),
    ({"system_id": 99}, "system_id"), ({"created_by_id": 1}, "created_by_id"),
])
def test_bad_input_names_the_field_and_writes_nothing(app, db, liaison, target, change, field):
    with pytest.raises(ValidationError) as err:
        layers.add_layer_record(liaison, target.id, _data(**change))
    assert field in err.value.errors
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(LayerRecord)).scalar() == 0


def test_an_update_checks_the_new_valid_to_against_the_stored_valid_from(app, liaison, target):
    item = layers.add_layer_record(liaison, target.id, _data(valid_from="2026-06-01", valid_to="2027-05-31"))
    with pytest.raises(ValidationError) as err:
        layers.update_layer_record(liaison, item.id, {"valid_to": "2026-01-01"}, item.version)
    assert set(err.value.errors) == {"valid_to"}


def test_a_record_cannot_move_to_another_layer(app, liaison, target):
    item = layers.add_layer_record(liaison, target.id, _data())
    with pytest.raises(ValidationError) as err:
        layers.update_layer_record(liaison, item.id, {"layer": 3}, item.version)
    assert "layer" in err.value.errors


def test_a_stale_version_is_a_conflict(app, liaison, target):
    item = layers.add_layer_record(liaison, target.id, _data())
    layers.update_layer_record(liaison, item.id, {"reference": "PL 01"}, item.version)
    with pytest.raises(Conflict):
        layers.update_layer_record(liaison, item.id, {"reference": "PL 02"}, 1)


def test_an_archived_system_refuses_new_layer_records(app, db, liaison, target):
    from csirt.clock import utcnow

    target.archived_at = utcnow()
    db.session.commit()
    with pytest.raises(ValidationError):
        layers.add_layer_record(liaison, target.id, _data())


# --- audit -----------------------------------------------------------------------------------

def test_every_change_is_audited_with_before_and_after(app, db, liaison, target):
    at_noon()
    item = layers.add_layer_record(liaison, target.id, _data())
    layers.update_layer_record(liaison, item.id, {"provider": "Viettel Lào Cai"}, item.version)
    layers.verify_layer(liaison, item.id)
    evidence = layers.add_layer_evidence(liaison, item.id, Upload(CONTENT))
    layers.get_layer_evidence(liaison, item.id, evidence.id)
    assert _actions(db) == ["layer.create", "layer.update", "layer.verify", "layer.evidence_add",
                            "layer.evidence_download"]
    update = db.session.execute(sa.select(AuditLog).where(AuditLog.action == "layer.update")).scalar_one()
    assert update.before == {"provider": "VNPT Lào Cai"}
    assert update.after["provider"] == "Viettel Lào Cai" and update.actor_id == liaison.id
    verify = db.session.execute(sa.select(AuditLog).where(AuditLog.action == "layer.verify")).scalar_one()
    assert verify.after["last_verified"] == TODAY.isoformat()
    assert db.session.get(LayerRecord, item.id).last_verified == TODAY


# --- evidence --------------------------------------------------------------------------------

def test_the_stored_sha256_is_that_of_the_uploaded_bytes(app, liaison, target):
    item = layers.add_layer_record(liaison, target.id, _data())
    evidence = layers.add_layer_evidence(liaison, item.id, Upload(CONTENT, "../../etc/hợp đồng.pdf"), "bản ký")
    assert evidence.sha256 == hashlib.sha256(CONTENT).hexdigest()
    assert evidence.size == len(CONTENT) and evidence.original_name == "hợp đồng.pdf"
    assert _stored(app) == [evidence.stored_name]
    assert (Path(app.config["UPLOAD_FOLDER"]) / evidence.stored_name).read_bytes() == CONTENT


def test_a_file_over_the_size_limit_leaves_neither_row_nor_file(app, db, liaison, target):
    item = layers.add_layer_record(liaison, target.id, _data())
    too_big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    with pytest.raises(layers.EvidenceTooLarge):
        layers.add_layer_evidence(liaison, item.id, Upload(too_big))
    assert _stored(app) == []
    assert db.session.execute(sa.select(sa.func.count()).select_from(LayerEvidence)).scalar() == 0


def test_an_upload_over_the_limit_through_the_page_gets_413(app, client, auth, liaison, target):
    item = layers.add_layer_record(liaison, target.id, _data())
    auth.login(liaison)
    page = f"/systems/{target.id}/layers/{item.id}"
    token = csrf_from(client.get(page).get_data(as_text=True))
    response = client.post(f"{page}/evidence", content_type="multipart/form-data", data={
        "csrf_token": token, "file": (io.BytesIO(b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10)), "big.bin")})
    assert response.status_code == 413
    assert _stored(app) == []


def test_an_empty_upload_is_refused_on_the_file_field(app, liaison, target):
    item = layers.add_layer_record(liaison, target.id, _data())
    with pytest.raises(ValidationError) as err:
        layers.add_layer_evidence(liaison, item.id, Upload(b""))
    assert "file" in err.value.errors
    assert _stored(app) == []


def test_upload_and_download_through_the_pages_show_and_check_the_sha256(app, client, auth, liaison, target):
    item = layers.add_layer_record(liaison, target.id, _data())
    auth.login(liaison)
    page = f"/systems/{target.id}/layers/{item.id}"
    token = csrf_from(client.get(page).get_data(as_text=True))
    response = client.post(f"{page}/evidence", content_type="multipart/form-data",
                           data={"csrf_token": token, "description": "hợp đồng",
                                 "file": (io.BytesIO(CONTENT), "hop-dong.pdf")})
    assert response.status_code == 302
    digest = hashlib.sha256(CONTENT).hexdigest()
    assert digest in client.get(page).get_data(as_text=True)
    evidence = app.extensions["sqlalchemy"].session.execute(sa.select(LayerEvidence)).scalar_one()
    download = client.get(f"{page}/evidence/{evidence.id}")
    assert download.status_code == 200 and download.data == CONTENT
    assert download.headers["X-Evidence-SHA256"] == digest
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_a_file_changed_on_disk_is_not_sent(app, client, auth, liaison, target):
    item = layers.add_layer_record(liaison, target.id, _data())
    evidence = layers.add_layer_evidence(liaison, item.id, Upload(CONTENT))
    (Path(app.config["UPLOAD_FOLDER"]) / evidence.stored_name).write_bytes(CONTENT + b"!")
    auth.login(liaison)
    response = client.get(f"/systems/{target.id}/layers/{item.id}/evidence/{evidence.id}")
    assert response.status_code == 500
    assert CONTENT not in response.data


def test_a_page_upload_without_csrf_is_refused(app, client, auth, liaison, target):
    item = layers.add_layer_record(liaison, target.id, _data())
    auth.login(liaison)
    response = client.post(f"/systems/{target.id}/layers/{item.id}/evidence", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(CONTENT), "a.pdf")})
    assert response.status_code == 400
    assert _stored(app) == []


# --- permissions across agencies --------------------------------------------------------------

def test_a_liaison_of_another_agency_neither_sees_nor_changes_the_layers(app, client, auth, make, liaison,
                                                                           target, other):
    item = layers.add_layer_record(liaison, target.id, _data())
    evidence = layers.add_layer_evidence(liaison, item.id, Upload(CONTENT))
    stranger = make.user(role="member", agency_obj=other)
    for call in (lambda: layers.get_layer_record(stranger, item.id),
                 lambda: layers.add_layer_record(stranger, target.id, _data()),
                 lambda: layers.update_layer_record(stranger, item.id, {"provider": "X"}),
                 lambda: layers.add_layer_evidence(stranger, item.id, Upload(CONTENT)),
                 lambda: layers.get_layer_evidence(stranger, item.id, evidence.id)):
        with pytest.raises(NotFound):
            call()
    auth.login(stranger)
    base = f"/systems/{target.id}/layers"
    for path in (f"{base}/new", f"{base}/{item.id}", f"{base}/{item.id}/edit",
                 f"{base}/{item.id}/evidence/{evidence.id}"):
        assert client.get(path).status_code == 404, path


def test_a_record_asked_through_another_system_is_404(app, client, auth, liaison, target, home):
    item = layers.add_layer_record(liaison, target.id, _data())
    second = system(home, code="HT-KHAC")
    auth.login(liaison)
    assert client.get(f"/systems/{second.id}/layers/{item.id}").status_code == 404


def test_a_manager_sees_the_layers_but_may_not_change_them(app, client, auth, make, liaison, target):
    item = layers.add_layer_record(liaison, target.id, _data())
    manager = make.user(role="manager")
    assert layers.get_layer_record(manager, item.id).id == item.id
    with pytest.raises(Forbidden):
        layers.update_layer_record(manager, item.id, {"provider": "X"})
    with pytest.raises(Forbidden):
        layers.verify_layer(manager, item.id)
    auth.login(manager)
    assert client.get(f"/systems/{target.id}/layers/{item.id}").status_code == 200
    assert client.get(f"/systems/{target.id}/layers/new").status_code == 403


def test_the_team_edits_the_layers_of_every_agency(app, make, liaison, target):
    coordinator = make.user(role="coordinator")
    item = layers.add_layer_record(coordinator, target.id, _data(layer=1, provider="Sở TT&TT"))
    assert layers.update_layer_record(coordinator, item.id, {"reference": "QĐ 12"}).reference == "QĐ 12"


def test_a_liaison_records_a_layer_through_the_form(app, client, auth, db, liaison, target):
    at_noon()
    auth.login(liaison)
    token = csrf_from(client.get(f"/systems/{target.id}/layers/new?layer=4").get_data(as_text=True))
    response = client.post(f"/systems/{target.id}/layers/new", data={
        "csrf_token": token, "layer": "4", "provider": "NCSC", "reference": "Xác nhận kết nối 03/2026",
        "valid_from": "2026-03-01", "valid_to": "2026-02-01"})
    assert response.status_code == 400
    assert "Ngày hiệu lực đến trước ngày hiệu lực từ." in response.get_data(as_text=True)
    response = client.post(f"/systems/{target.id}/layers/new", data={
        "csrf_token": token, "layer": "4", "provider": "NCSC", "valid_from": "2026-03-01", "valid_to": ""})
    assert response.status_code == 302
    item = db.session.execute(sa.select(LayerRecord)).scalar_one()
    assert (item.layer, item.provider, item.valid_to) == (4, "NCSC", None)
