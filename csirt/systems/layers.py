"""The four-layer records of a system (DOMAIN.md §4): add, edit, verify, and their evidence files.

Who: the system's editors (`policy.can_edit_system`) change its layer records; everyone who sees
the system sees them and fetches their evidence. Each public function checks the policy,
validates, writes one audit entry and commits once; an evidence file is stored like incident
evidence (`csirt/storage.py`: random name outside the web root, SHA-256 while streaming, the
request's size limit) and its row and file are kept together: no row without its file, no file
without its row.
"""
import logging

from .. import storage, versions
from ..audit.services import clean, diff, record
from ..catalogue import gettext as _
from ..catalogue import lazy_gettext as _l
from ..clock import utcnow
from ..errors import NotFound, ValidationError, invalid
from ..extensions import db
from ..ids import as_id
from ..uploads import EvidenceTooLarge, IntegrityFailure, StorageFailure, check_intact, receive  # noqa: F401
from . import policy
from .dates import parse_day, today
from .models import LAYERS, LayerEvidence, LayerRecord

logger = logging.getLogger(__name__)

CREATE_FIELDS = ("layer", "provider", "reference", "valid_from", "valid_to", "next_due", "notes")
UPDATE_FIELDS = tuple(f for f in CREATE_FIELDS if f != "layer")  # a record stays on its layer
AUDITED = CREATE_FIELDS + ("last_verified",)
TEXT_LIMITS = {"provider": 200, "reference": 200, "notes": 5000}
CONFLICT = _l("Someone else changed this layer record; reload and try again.")


# --- validation ------------------------------------------------------------------------------

def layer_values(data, fields, current=None):
    """The values of `data` for `fields` (a creation when `current` is None: the required ones
    must be there; an update: only those present, checked together with `current`'s others).
    Raises `invalid({field: message})`; keys outside `fields` cannot be set."""
    data = dict(data or {})
    errors, out = {}, {}
    for key in data:
        if key not in fields:
            errors[key] = _("This field cannot be set.")
    creating = current is None

    def present(key):
        return key in fields and (creating or key in data)

    if present("layer"):
        raw = data.get("layer")
        try:
            layer = int(str(raw).strip())
        except (TypeError, ValueError):
            layer = None
        if layer not in LAYERS:
            errors["layer"] = _("Choose a layer from 1 to 4.")
        out["layer"] = layer
    for key, limit in TEXT_LIMITS.items():
        if not present(key):
            continue
        value = data.get(key)
        value = "" if value is None else str(value).strip()
        if key == "provider" and not value:
            errors[key] = _("This field is required.")
        elif len(value) > limit:
            errors[key] = _("At most %(n)d characters.", n=limit)
        out[key] = value
    for key in ("valid_from", "valid_to", "next_due"):
        if present(key):
            out[key] = parse_day(errors, key, data.get(key), required=key == "valid_from")
    valid_from = out.get("valid_from") if "valid_from" in out else getattr(current, "valid_from", None)
    valid_to = out.get("valid_to") if "valid_to" in out else getattr(current, "valid_to", None)
    if ("valid_from" not in errors and "valid_to" not in errors and valid_from and valid_to
            and valid_to < valid_from):
        errors["valid_to"] = _("The valid-to date is before the valid-from date.")
    if errors:
        raise invalid(errors)
    return out


def _snapshot(item):
    return clean({f: getattr(item, f) for f in AUDITED})


def _editable_system(actor, system):
    policy.require(policy.can_edit_system(actor, system), _("You may not edit the protection layers of this "
                                                            "information system."))
    if system.archived_at is not None:
        raise ValidationError(_("This information system is archived; restore it before editing it."))


# --- reading ---------------------------------------------------------------------------------

def get_layer_record(actor, record_id, system_id=None):
    """The record, or NotFound when it does not exist, belongs to another system than `system_id`,
    or `actor` may not see its system."""
    record_id = as_id(record_id)
    item = db.session.get(LayerRecord, record_id) if record_id is not None else None
    if item is None or (system_id is not None and item.system_id != as_id(system_id)) \
            or not policy.can_see_system(actor, item.system):
        raise NotFound("layer_record")
    return item


def records_of(actor, system, layer=None):
    """The layer records of a visible `system` (one layer, or all), latest start first."""
    if not policy.can_see_system(actor, system):
        raise NotFound("information_system")
    query = db.select(LayerRecord).where(LayerRecord.system_id == system.id)
    if layer is not None:
        query = query.where(LayerRecord.layer == layer)
    query = query.order_by(LayerRecord.layer, LayerRecord.valid_from.desc(), LayerRecord.id.desc())
    return db.session.execute(query).scalars().all()


# --- changing --------------------------------------------------------------------------------

def add_layer_record(actor, system_id, data):
    """Record one period of one layer of the system (a renewal is a new record: the old one
    stays as history)."""
    system = policy.get_system(actor, system_id)
    _editable_system(actor, system)
    values = layer_values(data, CREATE_FIELDS)
    now = utcnow()
    item = LayerRecord(system_id=system.id, created_by_id=actor.id, created_at=now, updated_at=now, **values)
    db.session.add(item)
    db.session.flush()
    record(actor, "layer.create", item, after={"system_id": system.id, **_snapshot(item)})
    versions.commit(CONFLICT)
    return item


def update_layer_record(actor, record_id, data, version=None):
    """Change the fields present in `data`; refuses a stale `version`."""
    item = get_layer_record(actor, record_id)
    _editable_system(actor, item.system)
    versions.check_version(item, version, CONFLICT)
    values = layer_values(data, UPDATE_FIELDS, current=item)
    before = _snapshot(item)
    for key, value in values.items():
        setattr(item, key, value)
    changed_before, changed_after = diff(before, _snapshot(item))
    if changed_after:
        item.updated_at = utcnow()
        record(actor, "layer.update", item, before=changed_before,
               after={"system_id": item.system_id, **changed_after})
    versions.commit(CONFLICT)
    return item


def verify_layer(actor, record_id, version=None):
    """Someone checked the layer's evidence today: `last_verified` becomes today."""
    item = get_layer_record(actor, record_id)
    _editable_system(actor, item.system)
    versions.check_version(item, version, CONFLICT)
    before = item.last_verified
    item.last_verified = today()
    item.updated_at = utcnow()
    record(actor, "layer.verify", item, before={"last_verified": before},
           after={"system_id": item.system_id, "last_verified": item.last_verified})
    versions.commit(CONFLICT)
    return item


# --- evidence --------------------------------------------------------------------------------

def add_layer_evidence(actor, record_id, file_storage, description=""):
    """Store an evidence file for the record (`file_storage`: an uploaded file with `stream`,
    `filename` and `mimetype`). The file is written first, then its row in one transaction;
    any failure removes the file again."""
    item = get_layer_record(actor, record_id)
    _editable_system(actor, item.system)
    received = receive(getattr(file_storage, "stream", None), getattr(file_storage, "filename", None),
                       description, getattr(file_storage, "mimetype", None))
    name, stored_name, size, sha256 = received.name, received.stored_name, received.size, received.sha256
    try:
        evidence = LayerEvidence(record_id=item.id, original_name=name, stored_name=stored_name,
                                 content_type=received.content_type, size=size, sha256=sha256,
                                 description=received.description, added_by_id=actor.id, added_at=utcnow())
        db.session.add(evidence)
        db.session.flush()
        record(actor, "layer.evidence_add", evidence,
               after={"system_id": item.system_id, "record_id": item.id, "layer": item.layer, "name": name,
                      "sha256": sha256, "size": size})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        storage.remove(stored_name)  # no file without its row
        raise
    return evidence


def get_layer_evidence(actor, record_id, evidence_id):
    """The evidence row of a record `actor` may see; its file is checked against its SHA-256
    (IntegrityFailure when missing or changed) and the download is audited."""
    item = get_layer_record(actor, record_id)
    evidence_id = as_id(evidence_id)
    evidence = db.session.get(LayerEvidence, evidence_id) if evidence_id is not None else None
    if evidence is None or evidence.record_id != item.id:
        raise NotFound("layer_evidence")
    check_intact(evidence.stored_name, evidence.sha256)
    record(actor, "layer.evidence_download", evidence, after={"system_id": item.system_id, "record_id": item.id})
    db.session.commit()
    return evidence
