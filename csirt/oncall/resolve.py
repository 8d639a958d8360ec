"""Who is on call, read from the database: the rotations' rows become `schedule.Plan`s and the pure
schedule answers. Only active rotations page anyone; a disabled account is never returned as on
call (its turn shows as nobody, so escalation moves on to the next layer or step)."""
from dataclasses import dataclass
from datetime import timedelta, timezone

from sqlalchemy.orm import selectinload

from ..extensions import db
from ..team.models import User
from . import schedule
from .models import Rotation, RotationLayer, RotationMember, RotationOverride


@dataclass(frozen=True)
class Entry:
    """One shift of one rotation's layer, with the rows a page or a feed shows."""
    rotation: Rotation
    layer: RotationLayer
    shift: schedule.Shift
    user: User | None


def _loaded(query):
    return query.options(selectinload(Rotation.layers).selectinload(RotationLayer.members))


def _overrides(rotation_ids, start, end):
    """{rotation id: [Override]} of the overrides overlapping [start, end)."""
    if not rotation_ids:
        return {}
    rows = db.session.execute(db.select(RotationOverride).where(
        RotationOverride.rotation_id.in_(rotation_ids), RotationOverride.starts_at < end,
        RotationOverride.ends_at > start)).scalars()
    found = {}
    for row in rows:
        found.setdefault(row.rotation_id, []).append(
            schedule.Override(row.layer_position, row.user_id, row.starts_at, row.ends_at))
    return found


def plan_of(rotation, overrides=()):
    """The pure description of `rotation` (its layers and members as loaded) with `overrides`."""
    layers = tuple(schedule.Layer(layer.position, layer.name, tuple(m.user_id for m in layer.members))
                   for layer in rotation.layers)
    return schedule.Plan(rotation.time_zone, rotation.handover_time, rotation.shift_hours, rotation.starts_on,
                         layers, tuple(overrides))


def _active_users(user_ids):
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.session.execute(db.select(User).where(User.id.in_(ids), User.active)).scalars()}


def _layer_named(rotation, name):
    if name is None:
        return rotation.layers[0] if rotation.layers else None
    return next((layer for layer in rotation.layers if layer.name == name), None)


def on_call(rotation_key, at, layer=None):
    """The User on call in `rotation_key`'s layer named `layer` (None: the first layer) at `at`
    (naive UTC), or None: unknown or archived rotation, unknown layer, nobody, or a disabled account."""
    rotation = db.session.execute(_loaded(db.select(Rotation)).where(
        Rotation.key == rotation_key, Rotation.active)).scalar_one_or_none()
    if rotation is None:
        return None
    chosen = _layer_named(rotation, layer)
    if chosen is None:
        return None
    at = to_naive_utc(at)
    plan = plan_of(rotation, _overrides([rotation.id], at, _just_after(at)).get(rotation.id, ()))
    user_id = schedule.on_call_in_layer(plan, chosen.position, at)
    return _active_users([user_id]).get(user_id)


def _just_after(at):
    return at + timedelta(microseconds=1)


def on_call_now(at):
    """[(rotation, [(layer, User or None), ...]), ...] for every active rotation, by name."""
    at = to_naive_utc(at)
    rotations = db.session.execute(_loaded(db.select(Rotation)).where(Rotation.active)
                                   .order_by(Rotation.name, Rotation.id)).scalars().all()
    overrides = _overrides([r.id for r in rotations], at, _just_after(at))
    answers = []
    for rotation in rotations:
        plan = plan_of(rotation, overrides.get(rotation.id, ()))
        answers.append((rotation, schedule.on_call(plan, at)))
    users = _active_users(uid for _r, who in answers for uid in who.values())
    return [(rotation, [(layer, users.get(who.get(layer.position))) for layer in rotation.layers])
            for rotation, who in answers]


def _entries(rotations, start, end, user_id=None):
    overrides = _overrides([r.id for r in rotations], start, end)
    found = []
    for rotation in rotations:
        layers = {layer.position: layer for layer in rotation.layers}
        for shift in schedule.shifts(plan_of(rotation, overrides.get(rotation.id, ())), start, end):
            if user_id is None or shift.user_id == user_id:
                found.append((rotation, layers[shift.layer], shift))
    users = _active_users(shift.user_id for _r, _l, shift in found)
    return [Entry(rotation, layer, shift, users.get(shift.user_id)) for rotation, layer, shift in found]


def shifts_of_rotation(rotation_id, start, end):
    """The Entries of one rotation (active or not) over [start, end), by layer then start."""
    rotation = db.session.execute(_loaded(db.select(Rotation)).where(Rotation.id == rotation_id)).scalar_one_or_none()
    return [] if rotation is None else _entries([rotation], start, end)


def shifts_of_user(user_id, start, end):
    """The Entries of `user_id` over [start, end) in every active rotation, ordered by start:
    their regular turns (less what others cover) and the overrides that put them on call."""
    member_of = db.select(RotationLayer.rotation_id).join(RotationMember).where(RotationMember.user_id == user_id)
    covering = db.select(RotationOverride.rotation_id).where(
        RotationOverride.user_id == user_id, RotationOverride.starts_at < end, RotationOverride.ends_at > start)
    rotations = db.session.execute(_loaded(db.select(Rotation)).where(
        Rotation.active, db.or_(Rotation.id.in_(member_of), Rotation.id.in_(covering)))
        .order_by(Rotation.id)).scalars().all()
    entries = _entries(rotations, start, end, user_id=user_id)
    return sorted(entries, key=lambda e: (e.shift.starts_at, e.rotation.id, e.layer.position))


def to_naive_utc(value):
    """A datetime as naive UTC (aware values are converted; naive ones are taken as UTC)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)

