"""Evidence rules: who may add and fetch files, and the row and the file kept consistent."""
import logging

from .. import storage
from ..audit.services import record
from ..catalogue import gettext as _
from ..clock import utcnow
from ..errors import NotFound
from ..extensions import db
from ..ids import as_id
from ..uploads import EvidenceTooLarge, IntegrityFailure, StorageFailure, check_intact, clean_filename, receive  # noqa: F401
from . import policy
from .models import Evidence
from .services import append_timeline, touch

logger = logging.getLogger(__name__)


def add_evidence(actor, incident, stream, filename, description="", content_type=None):
    policy.require(policy.can_contribute(actor, incident), _("You may not add evidence to this incident."))
    received = receive(stream, filename, description, content_type)
    name, stored_name, size, sha256 = received.name, received.stored_name, received.size, received.sha256
    try:
        item = Evidence(incident_id=incident.id, original_name=name, stored_name=stored_name,
                        content_type=received.content_type, size=size, sha256=sha256,
                        description=received.description, added_by_id=actor.id, added_at=utcnow())
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
    check_intact(item.stored_name, item.sha256)
    record(actor, "evidence.download", item, after={"incident_id": incident.id})
    db.session.commit()
    return item
