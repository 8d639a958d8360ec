"""Rotations and overrides through the services: what is accepted, what is refused (and then
nothing is written), who may change them, and the audit trail."""
from datetime import datetime, timedelta

import pytest

from csirt.audit.models import AuditLog
from csirt.clock import utcnow
from csirt.errors import Forbidden, ValidationError
from csirt.oncall import resolve, services
from csirt.oncall.models import Rotation, RotationLayer, RotationMember, RotationOverride

from .conftest import NOW, rotation_data


def _counts(db):
    return tuple(db.session.execute(db.select(db.func.count()).select_from(model)).scalar()
                 for model in (Rotation, RotationLayer, RotationMember, RotationOverride, AuditLog))


def _refused(db, call, field):
    before = _counts(db)
    with pytest.raises(ValidationError) as caught:
        call()
    db.session.rollback()
    assert field in caught.value.errors, caught.value.errors
    assert _counts(db) == before
    return caught.value.errors[field]


def test_create_rotation_stores_layers_members_in_order_and_audits(db, people, rotation):
    assert [layer.name for layer in rotation.layers] == ["primary", "secondary"]
    assert [m.user_id for m in rotation.layers[0].members] == [people.an.id, people.binh.id, people.chi.id]
    assert [m.user_id for m in rotation.layers[1].members] == [people.dung.id]
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "rotation.create")).scalar_one()
    assert entry.actor_id == people.coordinator.id
    assert entry.after["layers"][0]["members"] == [people.an.id, people.binh.id, people.chi.id]
    assert entry.after["handover_time"] == "08:00"


def test_who_is_on_call_follows_the_rotation(db, people, rotation):
    # Tuesday 10:00 local: the second daily shift (Bình), the secondary is Dũng
    assert resolve.on_call("responders", NOW) == people.binh
    assert resolve.on_call("responders", NOW, layer="secondary") == people.dung
    assert resolve.on_call("responders", datetime(2026, 12, 8, 0, 59, 59)) == people.an
    assert resolve.on_call("responders", datetime(2026, 12, 7, 0, 59, 59)) is None  # before the start
    assert resolve.on_call("responders", NOW, layer="tertiary") is None
    assert resolve.on_call("nobody-here", NOW) is None


@pytest.mark.parametrize("change, field", [
    (lambda p: {"layers": [{"name": "primary", "members": []}]}, "layer_1_members"),
    (lambda p: {"layers": []}, "layer_1_members"),
    (lambda p: {"time_zone": "Asia/Hanoi_Nowhere"}, "time_zone"),
    (lambda p: {"time_zone": "../../etc/passwd"}, "time_zone"),
    (lambda p: {"layers": [{"name": "primary", "members": [p.an.id, p.binh.id, p.an.username]}]}, "layer_1_members"),
    (lambda p: {"layers": [{"name": "primary", "members": [p.an.id]}, {"name": "secondary", "members": [p.gone.id]}]},
     "layer_2_members"),
    (lambda p: {"layers": [{"name": "primary", "members": [p.liaison.id]}]}, "layer_1_members"),
    (lambda p: {"layers": [{"name": "primary", "members": ["khong.ton.tai"]}]}, "layer_1_members"),
    (lambda p: {"layers": [{"name": "primary", "members": [p.an.id]}, {"name": "primary", "members": [p.binh.id]}]},
     "layer_2_name"),
    (lambda p: {"key": "Trực Ca"}, "key"),
    (lambda p: {"shift_kind": "custom", "shift_hours": "0"}, "shift_hours"),
    (lambda p: {"shift_kind": "custom", "shift_hours": str(24 * 28 + 1)}, "shift_hours"),
    (lambda p: {"handover_time": "25:00"}, "handover_time"),
    (lambda p: {"handover_time": "08:00Z"}, "handover_time"),  # an offset would be dropped: refused
    (lambda p: {"name": "  "}, "name"),
])
def test_bad_rotation_is_refused_with_a_message_and_nothing_written(db, people, change, field):
    message = _refused(db, lambda: services.create_rotation(people.coordinator,
                                                            rotation_data(people, **change(people))), field)
    assert message and isinstance(message, str)


def test_refusal_messages_are_translated_to_vietnamese(app, db, people):
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        message = _refused(db, lambda: services.create_rotation(
            people.coordinator, rotation_data(people, layers=[{"name": "primary", "members": []}])), "layer_1_members")
    assert message == "Lớp đầu tiên cần ít nhất một thành viên."


def test_key_must_be_unique(db, people, rotation):
    _refused(db, lambda: services.create_rotation(people.coordinator, rotation_data(people, name="Khác")), "key")


@pytest.mark.parametrize("role", ["responder", "manager", "member"])
def test_only_coordinators_and_admins_manage_rotations(db, people, rotation, make, role):
    actor = make.user(role)
    before = _counts(db)
    with pytest.raises(Forbidden):
        services.create_rotation(actor, rotation_data(people, key="other"))
    with pytest.raises(Forbidden):
        services.add_override(actor, rotation, {"layer": 1, "user": people.chi.id, "starts_at": NOW,
                                                "ends_at": NOW + timedelta(hours=1)})
    with pytest.raises(Forbidden):
        services.set_rotation_active(actor, rotation, False)
    db.session.rollback()
    assert _counts(db) == before


def test_update_replaces_members_and_reorders_layers(db, people, rotation):
    data = rotation_data(people, layers=[{"name": "secondary", "members": [people.chi.id, people.an.id]},
                                         {"name": "primary", "members": [people.an.id]}])
    services.update_rotation(people.admin, rotation, data)
    db.session.expire_all()
    stored = db.session.get(Rotation, rotation.id)
    assert [(layer.name, [m.user_id for m in layer.members]) for layer in stored.layers] == [
        ("secondary", [people.chi.id, people.an.id]), ("primary", [people.an.id])]
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "rotation.update")).scalar_one()
    assert "layers" in entry.before and "layers" in entry.after


def test_removing_a_layer_removes_its_overrides(db, people, rotation):
    services.add_override(people.coordinator, rotation, {"layer": 2, "user": people.chi.id, "starts_at": NOW,
                                                         "ends_at": NOW + timedelta(hours=4)})
    services.update_rotation(people.coordinator, rotation,
                             rotation_data(people, layers=[{"name": "primary", "members": [people.an.id]}]))
    assert db.session.execute(db.select(db.func.count()).select_from(RotationOverride)).scalar() == 0


def test_override_puts_its_user_on_call_and_is_audited(db, people, rotation):
    override = services.add_override(people.coordinator, rotation, {
        "layer": "1", "user": people.chi.username, "starts_at": NOW - timedelta(hours=1),
        "ends_at": NOW + timedelta(hours=1), "reason": "leave", "note": "Bình nghỉ phép"})
    assert resolve.on_call("responders", NOW) == people.chi
    assert resolve.on_call("responders", override.ends_at) == people.binh
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "rotation.override_add")).scalar_one()
    assert entry.after["user_id"] == people.chi.id and entry.after["reason"] == "leave"
    services.remove_override(people.coordinator, rotation, override.id)
    assert resolve.on_call("responders", NOW) == people.binh
    assert db.session.execute(db.select(AuditLog).where(AuditLog.action == "rotation.override_remove")).scalar_one()


def _override(people, **over):
    data = {"layer": 1, "user": people.chi.id, "starts_at": NOW, "ends_at": NOW + timedelta(hours=6),
            "reason": "swap"}
    data.update(over)
    return data


@pytest.mark.parametrize("change, field", [
    ({"ends_at": NOW - timedelta(minutes=1)}, "ends_at"),
    ({"ends_at": NOW}, "ends_at"),
    ({"starts_at": NOW + timedelta(hours=5)}, "starts_at"),  # overlaps the existing one
    ({"starts_at": NOW - timedelta(hours=2), "ends_at": NOW + timedelta(hours=9)}, "starts_at"),  # contains it
    ({"user": "lien.lac"}, "user"),
    ({"user": "da.nghi"}, "user"),
    ({"layer": 3}, "layer"),
    ({"starts_at": "tomorrow"}, "starts_at"),
    ({"reason": "holiday"}, "reason"),
])
def test_bad_override_is_refused_and_nothing_written(db, people, rotation, change, field):
    services.add_override(people.coordinator, rotation, _override(people, starts_at=NOW + timedelta(hours=4),
                                                                  ends_at=NOW + timedelta(hours=8)))
    _refused(db, lambda: services.add_override(people.coordinator, rotation, _override(people, **change)), field)


def test_overrides_may_touch_end_to_start_and_other_layers_may_overlap(db, people, rotation):
    services.add_override(people.coordinator, rotation, _override(people))
    services.add_override(people.coordinator, rotation, _override(people, starts_at=NOW + timedelta(hours=6),
                                                                  ends_at=NOW + timedelta(hours=7)))
    services.add_override(people.coordinator, rotation, _override(people, layer=2))
    assert db.session.execute(db.select(db.func.count()).select_from(RotationOverride)).scalar() == 3


def test_archived_rotation_pages_nobody(db, people, rotation):
    services.set_rotation_active(people.coordinator, rotation, False)
    assert resolve.on_call("responders", NOW) is None
    assert resolve.on_call_now(NOW) == []
    services.set_rotation_active(people.coordinator, rotation, True)
    assert resolve.on_call("responders", NOW) == people.binh
    actions = db.session.execute(db.select(AuditLog.action).where(AuditLog.action.like("rotation.%"))
                                 .order_by(AuditLog.id)).scalars().all()
    assert actions == ["rotation.create", "rotation.archive", "rotation.restore"]


def test_a_disabled_account_is_never_returned_as_on_call(db, people, rotation):
    people.binh.active = False
    db.session.commit()
    assert resolve.on_call("responders", NOW) is None
    (row,) = resolve.on_call_now(NOW)
    assert [(layer.name, user) for layer, user in row[1]] == [("primary", None), ("secondary", people.dung)]


def test_shifts_of_user_and_of_rotation(db, people, rotation):
    services.add_override(people.coordinator, rotation, _override(people, user=people.an.id, layer=2,
                                                                  ends_at=NOW + timedelta(hours=2)))
    start, end = datetime(2026, 12, 7, 1, 0), datetime(2026, 12, 10, 1, 0)
    mine = resolve.shifts_of_user(people.an.id, start, end)
    assert [(e.layer.name, e.shift.starts_at, e.shift.ends_at, e.shift.is_override) for e in mine] == [
        ("primary", datetime(2026, 12, 7, 1, 0), datetime(2026, 12, 8, 1, 0), False),
        ("secondary", NOW, NOW + timedelta(hours=2), True),
    ]
    assert all(e.user == people.an for e in mine)
    entries = resolve.shifts_of_rotation(rotation.id, start, end)
    assert [e.user.username for e in entries if e.layer.name == "primary"] == ["an", "binh", "chi"]
    assert [e.user.username for e in entries if e.layer.name == "secondary"] == ["dung", "dung", "an", "dung", "dung"]


def test_demo_province_has_the_two_layer_weekly_responders_rotation_once(app, db):
    from csirt.demo import load

    load()
    load()  # idempotent
    (rotation,) = db.session.execute(db.select(Rotation)).scalars().all()
    assert (rotation.key, rotation.name, rotation.shift_kind, rotation.time_zone) == (
        "responders", "Trực ứng cứu", "weekly", "Asia/Ho_Chi_Minh")
    assert rotation.starts_on.weekday() == 0 and rotation.handover_time.strftime("%H:%M") == "08:00"
    assert [layer.name for layer in rotation.layers] == ["primary", "secondary"]
    assert {m.user.role for m in rotation.layers[0].members} == {"responder"}
    assert {m.user.role for m in rotation.layers[1].members} == {"coordinator"}
    (row,) = resolve.on_call_now(utcnow())
    assert all(user is not None for _layer, user in row[1])


def test_two_overlapping_overrides_added_at_once_store_one(app, db, people, rotation):
    """The rotation row is locked while an override is checked and added, so two people adding
    overlapping overrides at the same moment cannot both succeed."""
    import threading

    results, barrier = [], threading.Barrier(2)
    people_ids = [people.chi.id, people.an.id]
    actor_id, rotation_id = people.coordinator.id, rotation.id

    def worker(user_id):
        with app.app_context():
            from csirt.team.models import User

            actor, target = db.session.get(User, actor_id), db.session.get(Rotation, rotation_id)
            barrier.wait()
            try:
                services.add_override(actor, target, _override(people, user=user_id))
                results.append("added")
            except ValidationError:
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(user_id,)) for user_id in people_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["added", "refused"]
    assert db.session.execute(db.select(db.func.count()).select_from(RotationOverride)).scalar() == 1
