"""Changing rotations and overrides: each function takes the acting user, checks the policy,
validates everything first (nothing is written when anything is wrong), writes the audit entry in
the same transaction and commits once."""
import logging

import sqlalchemy as sa

from ..audit.services import diff, record
from ..catalogue import gettext as _
from ..errors import NotFound, invalid
from ..extensions import db
from ..ids import as_id
from . import policy
from .models import Rotation, RotationLayer, RotationMember, RotationOverride
from .validation import clean_override, clean_rotation

logger = logging.getLogger(__name__)

FIELDS = ("key", "name", "description", "time_zone", "handover_time", "shift_kind", "shift_hours", "starts_on",
          "active")
OVERRIDE_FIELDS = ("rotation_id", "layer_position", "user_id", "starts_at", "ends_at", "reason", "note")


def _manage(actor):
    if actor is None:  # the console (demo loader, commands): a trusted administrator
        return
    policy.require(policy.can_manage(actor), _("Only coordinators and administrators manage on-call rotations."))


def state(rotation):
    """What the audit log keeps of a rotation: its fields and each layer's members in order."""
    values = {field: getattr(rotation, field) for field in FIELDS}
    values["handover_time"] = rotation.handover_time.strftime("%H:%M") if rotation.handover_time else None
    values["layers"] = [{"name": layer.name, "members": [m.user_id for m in layer.members]}
                        for layer in rotation.layers]
    return values


def _lock(rotation_id):
    """Hold the rotation's row until commit, so two changes of one rotation (two overlapping
    overrides added at once) are checked one after the other. PostgreSQL: the SELECT below takes
    FOR UPDATE. SQLite reads without any lock, so a no-op UPDATE first takes the database's write
    lock: a second writer waits for this commit, then reads what it wrote."""
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(sa.update(Rotation).where(Rotation.id == rotation_id)
                           .values(updated_at=Rotation.updated_at), execution_options={"synchronize_session": False})


def get_rotation(rotation_id, for_update=False):
    """The rotation, or NotFound; `for_update`: locked until the transaction ends."""
    rotation_id = as_id(rotation_id)
    query = db.select(Rotation).where(Rotation.id == rotation_id)
    if for_update and rotation_id:
        _lock(rotation_id)
        query = query.with_for_update().execution_options(populate_existing=True)
    rotation = db.session.execute(query).scalar_one_or_none() if rotation_id else None
    if rotation is None:
        raise NotFound("rotation")
    return rotation


def _key_taken(key, rotation=None):
    query = db.select(Rotation.id).where(Rotation.key == key)
    if rotation is not None:
        query = query.where(Rotation.id != rotation.id)
    return db.session.execute(query).first() is not None


def _set_layers(rotation, layers):
    """Replace the layers and their members: the old rows go first (names and places are unique)."""
    rotation.layers = []
    db.session.flush()
    for layer in layers:
        rotation.layers.append(RotationLayer(
            position=layer["position"], name=layer["name"],
            members=[RotationMember(user_id=user_id, position=n) for n, user_id in enumerate(layer["members"], 1)]))


def _clean(data, rotation=None):
    values, errors = clean_rotation(data, rotation)
    if "key" not in errors and _key_taken(values["key"], rotation):
        errors["key"] = _("Another rotation already uses this key.")
    if errors:
        raise invalid(errors)
    return values


def create_rotation(actor, data):
    """A new rotation with its layers and members (`actor` None: the console). `data`: key, name,
    description, time_zone, handover_time, shift_kind, shift_hours (custom), starts_on, active, and
    layers: a list of {"name", "members": [user ids or user names in the order of their turns]}."""
    _manage(actor)
    values = _clean(data)
    layers = values.pop("layers")
    rotation = Rotation(**values)
    db.session.add(rotation)
    _set_layers(rotation, layers)
    db.session.flush()
    record(actor, "rotation.create", rotation, after=state(rotation), actor_name=None if actor else "console")
    db.session.commit()
    logger.info("rotation %s created", rotation.key)
    return rotation


def update_rotation(actor, rotation, data):
    """Change a rotation's fields, layers and members. Overrides of a layer that no longer exists
    are removed with it."""
    _manage(actor)
    rotation = get_rotation(rotation.id, for_update=True)
    values = _clean(data, rotation)
    layers = values.pop("layers")
    before = state(rotation)
    for field, value in values.items():
        setattr(rotation, field, value)
    _set_layers(rotation, layers)
    dropped = db.session.execute(db.select(RotationOverride).where(
        RotationOverride.rotation_id == rotation.id, RotationOverride.layer_position > len(layers))).scalars().all()
    for override in dropped:
        db.session.delete(override)
    db.session.flush()
    old, new = diff(before, state(rotation))
    if dropped:
        new["overrides_removed"] = [o.id for o in dropped]
    if new:
        record(actor, "rotation.update", rotation, before=old, after=new)
    db.session.commit()
    return rotation


def set_rotation_active(actor, rotation, active):
    """Archive (`active` False: nobody is paged through it, its page stays) or restore."""
    _manage(actor)
    rotation = get_rotation(rotation.id, for_update=True)
    if rotation.active != bool(active):
        rotation.active = bool(active)
        record(actor, "rotation.restore" if active else "rotation.archive", rotation,
               before={"active": not active}, after={"active": bool(active)})
        db.session.commit()
    return rotation


def add_override(actor, rotation, data):
    """`data`: layer (position), user (id or user name), starts_at and ends_at (naive UTC), reason,
    note. Refused when it overlaps another override of the same layer."""
    _manage(actor)
    rotation = get_rotation(rotation.id, for_update=True)  # overlapping adds wait for each other
    values, errors = clean_override(data, rotation)
    if errors:
        raise invalid(errors)
    clash = db.session.execute(db.select(RotationOverride).where(
        RotationOverride.rotation_id == rotation.id, RotationOverride.layer_position == values["layer_position"],
        RotationOverride.starts_at < values["ends_at"], RotationOverride.ends_at > values["starts_at"],
    ).limit(1)).scalar_one_or_none()
    if clash is not None:
        raise invalid({"starts_at": _("This period overlaps another override of the same layer (%(who)s); "
                                      "change or remove that one first.", who=clash.user.full_name)})
    override = RotationOverride(rotation_id=rotation.id, created_by_id=actor.id, **values)
    db.session.add(override)
    db.session.flush()
    record(actor, "rotation.override_add", override,
           after={field: getattr(override, field) for field in OVERRIDE_FIELDS})
    db.session.commit()
    return override


def remove_override(actor, rotation, override_id):
    _manage(actor)
    override_id = as_id(override_id)
    override = db.session.get(RotationOverride, override_id) if override_id else None
    if override is None or override.rotation_id != rotation.id:
        raise NotFound("rotation_override")
    before = {field: getattr(override, field) for field in OVERRIDE_FIELDS}
    record(actor, "rotation.override_remove", override, before=before)
    db.session.delete(override)
    db.session.commit()

