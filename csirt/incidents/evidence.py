"""Evidence rules: who may add and fetch files, and the row and the file kept consistent."""
import logging
import mimetypes
import unicodedata

from flask import current_app
from flask_babel import gettext as _

from .. import storage
from ..audit.services import record
from ..clock import utcnow
from ..errors import DomainError, NotFound, ValidationError, invalid
from ..extensions import db
from ..ids import as_id
from . import policy
from .models import Evidence
from .services import append_timeline, touch

logger = logging.getLogger(__name__)


class EvidenceTooLarge(DomainError):
    status = 413


class StorageFailure(DomainError):
    status = 507  # Insufficient Storage


class IntegrityFailure(DomainError):
    status = 500


def clean_filename(name):
    """The original name as data only: no path parts, no control characters, bounded length."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return (name or "evidence")[:200]


def add_evidence(actor, incident, stream, filename, description="", content_type=None):
    policy.require(policy.can_contribute(actor, incident), _("You may not add evidence to this incident."))
    if stream is None or not filename:
        raise ValidationError(_("Choose a file to upload."), errors={"file": _("This field is required.")})
    description = (description or "").strip()
    if len(description) > 500:
        raise invalid({"description": _("At most %(n)d characters.", n=500)})
    name = clean_filename(filename)
    max_bytes = current_app.config["MAX_CONTENT_LENGTH"] or 50 * 1024 * 1024
    try:
        stored_name, size, sha256 = storage.save_stream(stream, max_bytes)
    except ValueError:
        raise EvidenceTooLarge(_("The upload is too large.")) from None
    except OSError as err:
        logger.error("evidence could not be written: %s", err)
        raise StorageFailure(_("The file could not be stored (the disk may be full). Nothing was saved.")) from None
    if size == 0:
        storage.remove(stored_name)
        raise ValidationError(_("The file is empty."), errors={"file": _("The file is empty.")})
    guessed = mimetypes.guess_type(name)[0]
    try:
        item = Evidence(incident_id=incident.id, original_name=name, stored_name=stored_name,
                        content_type=(guessed or content_type or "application/octet-stream")[:100],
                        size=size, sha256=sha256, description=description,
                        added_by_id=actor.id, added_at=utcnow())
        db.session.add(item)
        db.session.flush()
        append_timeline(incident, actor, "evidence", body=name,
                  data={"evidence": item.id, "sha256": sha256, "size": size})
        touch(incident)
        record(actor, "evidence.add", item, after={"incident_id": incident.id, "name": name,
                                                   "sha256": sha256, "size": size})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        storage.remove(stored_name)  # no file without its row
        raise
    return item


def get_evidence(actor, incident, evidence_id):
    """The evidence row if `actor` may see its incident; its file is checked against its hash."""
    evidence_id = as_id(evidence_id)
    item = db.session.get(Evidence, evidence_id) if evidence_id is not None else None
    if item is None or item.incident_id != incident.id or not policy.can_see(actor, incident):
        raise NotFound("evidence")
    try:
        actual = storage.sha256_of(item.stored_name)
    except OSError:
        logger.error("evidence file missing: %s", item.stored_name)
        raise IntegrityFailure(_("The evidence file is missing from storage.")) from None
    if actual != item.sha256:
        logger.error("evidence hash mismatch for %s", item.id)
        raise IntegrityFailure(_("The evidence file no longer matches its SHA-256; it was not sent."))
    record(actor, "evidence.download", item, after={"incident_id": incident.id})
    db.session.commit()
    return item
