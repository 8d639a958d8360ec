"""Incident services: references, lifecycle, optimistic locking, tasks and input validation."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from csirt import clock
from csirt.audit.models import AppendOnlyViolation, AuditLog
from csirt.errors import Conflict, NotFound, ValidationError
from csirt.incidents import lifecycle, services, tasks
from csirt.incidents.models import Incident, Task, TimelineEntry
from csirt.incidents.vocab import STATUSES
from tests.conftest import Auth, csrf_from

NOW = datetime(2026, 11, 20, 3, 0, 0)  # 10:00 in the province (UTC+7)


@pytest.fixture
def frozen():
    clock.freeze(NOW)
    yield NOW
    clock.freeze(None)


@pytest.fixture
def coordinator(make):
    return make.user("coordinator")


def _data(agency_id, **kw):
    data = {"title": "Máy chủ thư bị dò mật khẩu", "category": "unauthorized_access",
            "discovered_at": clock.utcnow() - timedelta(hours=1), "agency_id": agency_id}
    data.update(kw)
    return data


def _count(db, model, **where):
    query = db.select(sa.func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.execute(query).scalar()


def _state(db, incident):
    """What a refused call must leave unchanged."""
    db.session.expire_all()
    row = db.session.get(Incident, incident.id)
    return ({c.key: getattr(row, c.key) for c in Incident.__table__.columns},
            _count(db, TimelineEntry, incident_id=incident.id), _count(db, AuditLog))


def _put_in_status(db, incident, status):
    """Place an incident in `status` directly (the path to it is not what is under test)."""
    incident.status = status
    incident.closed_at = clock.utcnow() if status in lifecycle.FINAL_STATUSES else None
    incident.reject_reason = "duplicate" if status == "rejected" else None
    db.session.commit()


# --- references ---------------------------------------------------------------------------

def test_open_incident_gives_consecutive_references_with_the_configured_prefix(app, make, frozen, coordinator):
    first = make.incident(actor=coordinator)
    second = make.incident(actor=coordinator)
    assert (first.reference, second.reference) == ("LC-2026-0001", "LC-2026-0002")
    app.config["CSIRT_REF_PREFIX"] = "HG"
    assert make.incident(actor=coordinator).reference == "HG-2026-0001"


def test_reference_year_is_the_year_in_province_time_not_utc(app, make, coordinator):
    clock.freeze(datetime(2026, 12, 31, 18, 30))  # already 01:30 on 1 January 2027 in Hà Nội time
    assert make.incident(actor=coordinator).reference == "LC-2027-0001"
    clock.freeze(datetime(2027, 1, 1, 16, 59))  # 23:59 on 1 January, still 2027
    assert make.incident(actor=coordinator).reference == "LC-2027-0002"


def test_open_incident_writes_the_first_timeline_entry_and_an_audit_row(db, make, frozen, coordinator):
    incident = make.incident(actor=coordinator, title="Trang web bị tấn công")
    entries = incident.timeline.all()
    assert [(e.kind, e.author_id, e.at, e.data) for e in entries] == [
        ("created", coordinator.id, NOW, {"reference": incident.reference})]
    audit = db.session.execute(db.select(AuditLog).where(AuditLog.action == "incident.create")).scalar_one()
    assert (audit.actor_id, audit.object_type, audit.object_id) == (coordinator.id, "incident", str(incident.id))
    assert audit.after["title"] == "Trang web bị tấn công"
    assert (incident.status, incident.source, incident.reporter_id, incident.version) == (
        "new", "manual", coordinator.id, 1)


def test_incident_reference_has_a_unique_constraint(db, make, coordinator):
    incident = make.incident(actor=coordinator)
    inspector = sa.inspect(db.engine)
    unique = [c["column_names"] for c in inspector.get_unique_constraints("incident")]
    unique += [i["column_names"] for i in inspector.get_indexes("incident") if i.get("unique")]
    assert ["reference"] in unique
    copy = Incident(reference=incident.reference, title="Bản sao", category="other", agency_id=incident.agency_id,
                    reporter_id=coordinator.id, discovered_at=clock.utcnow(), reported_at=clock.utcnow())
    db.session.add(copy)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert _count(db, Incident) == 1


def test_concurrent_openings_get_distinct_consecutive_references(app, db, make, frozen):
    # Runs on both databases: PostgreSQL serialises on the counter row (and on the unique key of the
    # first row of the year, which all threads race to insert); SQLite on its single writer lock.
    actor = make.user("coordinator")
    actor_id, agency_id = actor.id, actor.agency_id
    threads_count, per_thread = 8, 3
    barrier = threading.Barrier(threads_count)
    references, failures = [], []
    lock = threading.Lock()

    def work():
        try:
            with app.app_context():
                from csirt.team.models import User

                me = db.session.get(User, actor_id)
                barrier.wait(timeout=30)
                for _ in range(per_thread):
                    incident = services.open_incident(me, _data(agency_id))
                    with lock:
                        references.append(incident.reference)
        except Exception as err:  # reported below, with the thread's error
            with lock:
                failures.append(repr(err))

    threads = [threading.Thread(target=work) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    total = threads_count * per_thread
    assert sorted(references) == [f"LC-2026-{n:04d}" for n in range(1, total + 1)]
    assert _count(db, Incident) == total


# --- lifecycle ----------------------------------------------------------------------------

ALLOWED = [(a, b) for a, targets in lifecycle.TRANSITIONS.items() for b in targets]
DISALLOWED = [(a, b) for a in STATUSES for b in STATUSES if (a, b) not in ALLOWED]


def test_the_lifecycle_table_covers_every_status():
    assert set(lifecycle.TRANSITIONS) == set(STATUSES)
    assert all(t in STATUSES for targets in lifecycle.TRANSITIONS.values() for t in targets)


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_every_allowed_transition_changes_status_and_records_who_and_when(db, make, frozen, current, target):
    actor = make.user("responder")
    incident = make.incident(actor=actor)
    _put_in_status(db, incident, current)
    version = incident.version
    clock.freeze(NOW + timedelta(minutes=5))
    services.change_status(actor, incident, target, note="Tóm tắt và bài học", reason="false_positive",
                           expected_version=version)
    db.session.expire_all()
    incident = db.session.get(Incident, incident.id)
    assert incident.status == target
    assert incident.version == version + 1
    entry = incident.timeline.all()[-1]
    assert (entry.kind, entry.author_id, entry.at) == ("status", actor.id, NOW + timedelta(minutes=5))
    assert (entry.data["from"], entry.data["to"]) == (current, target)
    action = "incident.reopen" if lifecycle.is_reopen(current, target) else "incident.status"
    audit = db.session.execute(db.select(AuditLog).where(AuditLog.action == action)).scalar_one()
    assert audit.actor_id == actor.id and audit.after["status"] == target
    if target in lifecycle.FINAL_STATUSES:
        assert incident.closed_at == NOW + timedelta(minutes=5)
    else:
        assert incident.closed_at is None


@pytest.mark.parametrize(("current", "target"), DISALLOWED)
def test_every_disallowed_transition_is_refused_and_changes_nothing(db, make, current, target):
    actor = make.user("coordinator")
    incident = make.incident(actor=actor)
    _put_in_status(db, incident, current)
    before = _state(db, incident)
    incident = db.session.get(Incident, incident.id)
    with pytest.raises(ValidationError) as caught:
        services.change_status(actor, incident, target, note="ghi chú", reason="duplicate")
    assert "status" in caught.value.errors
    db.session.rollback()
    assert _state(db, incident) == before


def test_an_unknown_target_status_is_refused(db, make):
    actor = make.user("coordinator")
    incident = make.incident(actor=actor)
    with pytest.raises(ValidationError):
        services.change_status(actor, incident, "deleted")
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).status == "new"


@pytest.mark.parametrize("reason", [None, "", "because", "DUPLICATE"])
def test_rejecting_needs_one_of_the_listed_reasons(db, make, reason):
    actor = make.user("coordinator")
    incident = make.incident(actor=actor)
    before = _state(db, incident)
    with pytest.raises(ValidationError) as caught:
        services.change_status(actor, incident, "rejected", note="", reason=reason)
    assert "reason" in caught.value.errors
    assert _state(db, incident) == before
    services.change_status(actor, db.session.get(Incident, incident.id), "rejected", reason="duplicate")
    assert db.session.get(Incident, incident.id).reject_reason == "duplicate"


@pytest.mark.parametrize("note", ["", "   \n  ", None])
def test_closing_needs_a_note(db, make, note):
    actor = make.user("coordinator")
    incident = make.incident(actor=actor)
    _put_in_status(db, incident, "recovered")
    before = _state(db, incident)
    with pytest.raises(ValidationError) as caught:
        services.change_status(actor, db.session.get(Incident, incident.id), "closed", note=note)
    assert "note" in caught.value.errors
    assert _state(db, incident) == before


def test_closing_keeps_the_note_as_the_resolution(db, make, frozen):
    actor = make.user("coordinator")
    incident = make.incident(actor=actor)
    _put_in_status(db, incident, "recovered")
    services.change_status(actor, incident, "closed", note="Đã vá lỗ hổng; bài học: cập nhật định kỳ")
    assert (incident.status, incident.closed_at) == ("closed", NOW)
    assert incident.resolution == "Đã vá lỗ hổng; bài học: cập nhật định kỳ"


@pytest.mark.parametrize("final", ["closed", "rejected"])
def test_reopening_a_final_incident_clears_closed_at(db, make, frozen, final):
    actor = make.user("coordinator")
    incident = make.incident(actor=actor)
    if final == "closed":
        _put_in_status(db, incident, "recovered")
        services.change_status(actor, incident, "closed", note="xong")
    else:
        services.change_status(actor, incident, "rejected", reason="false_positive")
    assert incident.closed_at == NOW
    services.change_status(actor, incident, "triaged", note="Phát hiện thêm dấu hiệu")
    db.session.expire_all()
    incident = db.session.get(Incident, incident.id)
    assert (incident.status, incident.closed_at, incident.reject_reason) == ("triaged", None, None)
    assert incident.timeline.all()[-1].data == {"from": final, "to": "triaged", "reason": None}


def test_a_member_cannot_change_the_status(db, make):
    from csirt.errors import Forbidden

    member = make.user("member")
    incident = make.incident(actor=member)
    with pytest.raises(Forbidden):
        services.change_status(member, incident, "triaged")
    assert db.session.get(Incident, incident.id).status == "new"


# --- optimistic locking -----------------------------------------------------------------------

def test_update_with_a_stale_expected_version_raises_conflict(db, make, coordinator):
    incident = make.incident(actor=coordinator, title="Bản gốc")
    services.update_incident(coordinator, incident, {"title": "Sửa lần một"}, expected_version=1)
    assert incident.version == 2
    before = _state(db, incident)
    with pytest.raises(Conflict):
        services.update_incident(coordinator, db.session.get(Incident, incident.id), {"title": "Sửa dựa trên bản cũ"},
                                 expected_version=1)
    db.session.rollback()
    assert _state(db, incident) == before
    assert db.session.get(Incident, incident.id).title == "Sửa lần một"


def test_a_status_change_with_a_stale_version_raises_conflict(db, make, coordinator):
    incident = make.incident(actor=coordinator)
    services.update_incident(coordinator, incident, {"priority": "P1"})
    with pytest.raises(Conflict):
        services.change_status(coordinator, incident, "triaged", expected_version=1)
    db.session.rollback()
    assert db.session.get(Incident, incident.id).status == "new"


def test_concurrent_saves_through_two_sessions_raise_conflict(db, make, coordinator):
    incident = make.incident(actor=coordinator, title="Bản gốc")
    incident_id = incident.id
    assert incident.version == 1  # loaded into the request's session
    with Session(db.engine) as other:
        theirs = other.get(Incident, incident_id)
        theirs.title = "Sửa ở phiên khác"
        other.commit()
    with pytest.raises(Conflict):
        services.update_incident(coordinator, incident, {"title": "Sửa ở phiên này"})
    db.session.expire_all()
    stored = db.session.get(Incident, incident_id)
    assert (stored.title, stored.version) == ("Sửa ở phiên khác", 2)
    assert _count(db, AuditLog, action="incident.update") == 0


def test_two_users_editing_the_same_incident_the_second_gets_409(app, db, make):
    first_user, second_user = make.user("coordinator"), make.user("responder")
    incident = make.incident(actor=first_user, title="Bản gốc")
    first, second = app.test_client(), app.test_client()
    Auth(first).login(first_user)
    Auth(second).login(second_user)
    path = f"/incidents/{incident.id}/edit"
    forms = []
    for client in (first, second):
        html = client.get(path).get_data(as_text=True)
        assert 'name="version" type="hidden" value="1"' in html
        forms.append(csrf_from(html))

    def submit(client, token, title):
        return client.post(path, data={
            "csrf_token": token, "version": "1", "title": title, "description": "", "category": "spoofing",
            "sub_type": "", "severity": "ordinary", "priority": "P3", "tlp": "AMBER",
            "agency_id": str(incident.agency_id), "assignee_id": "", "affected_systems": "",
            "affected_servers": "", "discovered_at": "2026-01-02T08:00"})

    assert submit(first, forms[0], "Sửa của người thứ nhất").status_code == 302
    response = submit(second, forms[1], "Sửa của người thứ hai")
    assert response.status_code == 409
    assert _translated("Someone else saved this incident meanwhile; your changes are not saved yet.", app) in \
        response.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(Incident, incident.id)
    assert (stored.title, stored.version) == ("Sửa của người thứ nhất", 2)


def _translated(msgid, app, locale="vi"):
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale(locale):
        return gettext(msgid)


# --- timeline -------------------------------------------------------------------------------

def test_timeline_entries_cannot_be_changed_through_the_orm(db, make, coordinator):
    incident = make.incident(actor=coordinator)
    entry = incident.timeline.first()
    entry.body = "viết lại lịch sử"
    with pytest.raises(AppendOnlyViolation):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(TimelineEntry, entry.id).body == ""


def test_timeline_entries_cannot_be_deleted_through_the_orm(db, make, coordinator):
    incident = make.incident(actor=coordinator)
    entry = incident.timeline.first()
    db.session.delete(entry)
    with pytest.raises(AppendOnlyViolation):
        db.session.commit()
    db.session.rollback()
    assert _count(db, TimelineEntry, incident_id=incident.id) == 1


def test_notes_are_appended_to_the_timeline(db, make, frozen, coordinator):
    incident = make.incident(actor=coordinator)
    services.add_note(coordinator, incident, "  Đã cô lập máy chủ  ", kind="action")
    entry = incident.timeline.all()[-1]
    assert (entry.kind, entry.body, entry.author_id, entry.at) == ("action", "Đã cô lập máy chủ", coordinator.id, NOW)
    with pytest.raises(ValidationError):
        services.add_note(coordinator, incident, "   ")
    with pytest.raises(ValidationError):
        services.add_note(coordinator, incident, "x", kind="status")
    assert _count(db, TimelineEntry, incident_id=incident.id) == 2


# --- tasks ----------------------------------------------------------------------------------

def test_tasks_are_added_done_and_reopened_with_who_and_when(db, make, frozen, coordinator):
    incident = make.incident(actor=coordinator)
    responder = make.user("responder")
    task = tasks.add_task(coordinator, incident, "  Thu thập nhật ký  ", owner_id=str(responder.id))
    assert (task.title, task.owner_id, task.created_by_id, task.done_at) == (
        "Thu thập nhật ký", responder.id, coordinator.id, None)
    clock.freeze(NOW + timedelta(hours=1))
    tasks.set_task_done(responder, incident, task.id, done=True)
    assert (task.done_at, task.done_by_id) == (NOW + timedelta(hours=1), responder.id)
    tasks.set_task_done(coordinator, incident, str(task.id), done=False)
    assert (task.done_at, task.done_by_id) == (None, None)
    events = [(e.kind, e.data["event"], e.author_id) for e in incident.timeline.all() if e.kind == "task"]
    assert events == [("task", "added", coordinator.id), ("task", "done", responder.id),
                      ("task", "reopened", coordinator.id)]
    actions = db.session.execute(db.select(AuditLog.action).where(AuditLog.object_type == "incident_task")
                                 .order_by(AuditLog.id)).scalars().all()
    assert actions == ["task.create", "task.done", "task.reopen"]


def test_marking_a_done_task_done_again_records_nothing(db, make, coordinator):
    incident = make.incident(actor=coordinator)
    task = tasks.add_task(coordinator, incident, "Vá máy chủ")
    tasks.set_task_done(coordinator, incident, task.id)
    entries = _count(db, TimelineEntry)
    tasks.set_task_done(coordinator, incident, task.id)
    assert _count(db, TimelineEntry) == entries


def test_a_task_of_another_incident_is_not_found(db, make, coordinator):
    mine, other = make.incident(actor=coordinator), make.incident(actor=coordinator)
    task = tasks.add_task(coordinator, other, "Việc của sự cố khác")
    for task_id in (task.id, 999999, "abc", None, -1, 10**20, "99999999999999999999"):
        with pytest.raises(NotFound):
            tasks.set_task_done(coordinator, mine, task_id)
    assert db.session.get(Task, task.id).done_at is None


@pytest.mark.parametrize(("title", "owner", "field"), [
    ("", None, "title"), ("   ", None, "title"), ("x" * 301, None, "title"),
    ("Việc", "999999", "owner_id"), ("Việc", "abc", "owner_id"), ("Việc", "-3", "owner_id"),
    ("Việc", "99999999999999999999", "owner_id")])
def test_invalid_tasks_are_refused_with_field_errors(db, make, coordinator, title, owner, field):
    incident = make.incident(actor=coordinator)
    with pytest.raises(ValidationError) as caught:
        tasks.add_task(coordinator, incident, title, owner_id=owner)
    assert field in caught.value.errors
    assert _count(db, Task) == 0


# --- validation and mass assignment -----------------------------------------------------------------

PROTECTED = {"reference": "LC-2000-9999", "status": "closed", "reporter_id": 1, "version": 99, "id": 424242,
             "source": "alert", "created_at": "2020-01-01T00:00:00"}


@pytest.mark.parametrize("key", sorted(PROTECTED))
def test_open_incident_refuses_fields_a_request_may_not_set(db, make, coordinator, key):
    data = _data(coordinator.agency_id, **{key: PROTECTED[key]})
    with pytest.raises(ValidationError) as caught:
        services.open_incident(coordinator, data)
    assert key in caught.value.errors
    assert (_count(db, Incident), _count(db, TimelineEntry)) == (0, 0)


@pytest.mark.parametrize("key", sorted(PROTECTED))
def test_update_incident_refuses_fields_a_request_may_not_set(db, make, coordinator, key):
    incident = make.incident(actor=coordinator)
    before = _state(db, incident)
    incident = db.session.get(Incident, incident.id)
    with pytest.raises(ValidationError) as caught:
        services.update_incident(coordinator, incident, {"title": "Tiêu đề mới", key: PROTECTED[key]})
    assert key in caught.value.errors
    db.session.rollback()
    assert _state(db, incident) == before


def test_discovered_at_in_the_future_is_refused(db, make, frozen, coordinator):
    soon_utc = (NOW + timedelta(minutes=1)).replace(tzinfo=timezone.utc)
    soon_local = NOW + timedelta(hours=7, minutes=1)  # a naive value is province time, as typed in the form
    for value in (soon_utc, soon_local, "2026-11-20T10:01", "2026-11-20T03:01:00Z"):
        with pytest.raises(ValidationError) as caught:
            services.open_incident(coordinator, _data(coordinator.agency_id, discovered_at=value))
        assert "discovered_at" in caught.value.errors
    assert _count(db, Incident) == 0
    services.open_incident(coordinator, _data(coordinator.agency_id, discovered_at="2026-11-20T10:00"))
    incident = db.session.execute(db.select(Incident)).scalar_one()
    before = _state(db, incident)
    incident = db.session.get(Incident, incident.id)
    with pytest.raises(ValidationError) as caught:
        services.update_incident(coordinator, incident, {"discovered_at": "2026-11-20T03:00:01Z"})
    assert "discovered_at" in caught.value.errors
    db.session.rollback()
    assert _state(db, incident) == before


def test_discovered_at_is_read_as_province_time_when_it_has_no_zone(db, make, frozen, coordinator):
    incident = services.open_incident(coordinator, _data(coordinator.agency_id, discovered_at="2026-11-20T08:30"))
    assert incident.discovered_at == datetime(2026, 11, 20, 1, 30)


@pytest.mark.parametrize(("key", "value"), [
    ("category", "phishing"), ("category", ""), ("category", None), ("severity", "critical"),
    ("priority", "P0"), ("priority", "p1"), ("tlp", "WHITE"), ("sub_type", "ddos"),
    ("agency_id", "999999"), ("agency_id", "abc"), ("agency_id", True), ("agency_id", "99999999999999999999"),
    ("agency_id", "-1"),
    ("assignee_id", "999999"), ("assignee_id", "x"), ("assignee_id", "99999999999999999999"),
    ("discovered_at", "2026-13-45T99:99"), ("discovered_at", ""), ("discovered_at", 12),
    ("title", ""), ("title", "   "), ("title", "x" * 301), ("title", 5), ("title", "a\x00b"),
    ("description", "x" * 20001), ("affected_servers", "x" * 2001)])
def test_invalid_values_are_refused_with_a_field_error(db, make, coordinator, key, value):
    data = _data(coordinator.agency_id)
    data[key] = value
    with pytest.raises(ValidationError) as caught:
        services.open_incident(coordinator, data)
    assert key in caught.value.errors and caught.value.errors[key]
    assert _count(db, Incident) == 0


def test_an_inactive_agency_is_refused(db, make, coordinator):
    closed = make.agency(active=False)
    with pytest.raises(ValidationError) as caught:
        services.open_incident(coordinator, _data(closed.id))
    assert "agency_id" in caught.value.errors


@pytest.mark.parametrize("role", ["member", "manager"])
def test_only_active_workers_can_be_assignees(db, make, coordinator, role):
    other = make.user(role)
    with pytest.raises(ValidationError) as caught:
        services.open_incident(coordinator, _data(coordinator.agency_id, assignee_id=str(other.id)))
    assert "assignee_id" in caught.value.errors
    retired = make.user("responder", active=False)
    incident = make.incident(actor=coordinator)
    before = _state(db, incident)
    with pytest.raises(ValidationError) as caught:
        services.update_incident(coordinator, db.session.get(Incident, incident.id), {"assignee_id": retired.id})
    assert "assignee_id" in caught.value.errors
    db.session.rollback()
    assert _state(db, incident) == before


def test_assignment_is_recorded_on_the_timeline(db, make, frozen, coordinator):
    responder = make.user("responder")
    incident = make.incident(actor=coordinator)
    services.assign_incident(coordinator, incident, str(responder.id), expected_version=1)
    entry = incident.timeline.all()[-1]
    assert (entry.kind, entry.author_id, entry.data["from"], entry.data["to"]) == (
        "assignment", coordinator.id, None, responder.id)
    assert incident.assignee_id == responder.id


def test_a_member_logs_for_their_own_agency_and_cannot_assign(db, make, coordinator):
    member = make.user("member")
    elsewhere = make.agency()
    incident = services.open_incident(member, _data(elsewhere.id, assignee_id=coordinator.id))
    assert (incident.agency_id, incident.assignee_id, incident.reporter_id) == (member.agency_id, None, member.id)


def test_an_update_that_changes_nothing_writes_nothing(db, make, coordinator):
    incident = make.incident(actor=coordinator, title="Giữ nguyên")
    before = _state(db, incident)
    services.update_incident(coordinator, db.session.get(Incident, incident.id), {"title": "  Giữ nguyên "})
    db.session.commit()
    assert _state(db, incident) == before
