"""Receiving an evidence file into the store, and checking one on its way out: the same steps for
incident evidence and for the evidence of protection layers. The caller writes the row (in one
transaction with its audit entry) and removes the stored file again if that transaction fails."""
import logging
import mimetypes
import unicodedata
from typing import NamedTuple

from flask import current_app

from . import storage
from .catalogue import gettext as _
from .errors import DomainError, ValidationError, invalid

logger = logging.getLogger(__name__)
DESCRIPTION_LIMIT = 500


class EvidenceTooLarge(DomainError):
    status = 413


class StorageFailure(DomainError):
    status = 507  # Insufficient Storage


class IntegrityFailure(DomainError):
    status = 500


class Received(NamedTuple):
    name: str  # the cleaned original name
    stored_name: str
    size: int
    sha256: str
    content_type: str
    description: str


def clean_filename(name):
    """The original name as data only: no path parts, no control characters, bounded length."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return (name or "evidence")[:200]


def receive(stream, filename, description="", content_type=None):
    """Check the upload's fields and write its file into the store (SHA-256 computed on the way).
    Raises ValidationError (no file, empty file, description too long), EvidenceTooLarge or
    StorageFailure, leaving nothing stored."""
    if stream is None or not filename:
        raise ValidationError(_("Choose a file to upload."), errors={"file": _("This field is required.")})
    description = (description or "").strip()
    if len(description) > DESCRIPTION_LIMIT:
        raise invalid({"description": _("At most %(n)d characters.", n=DESCRIPTION_LIMIT)})
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
    content_type = (guessed or content_type or "application/octet-stream")[:100]
    return Received(name, stored_name, size, sha256, content_type, description)


def check_intact(stored_name, sha256):
    """IntegrityFailure unless the stored file exists and still has its recorded SHA-256."""
    try:
        actual = storage.sha256_of(stored_name)
    except (OSError, ValueError):
        logger.error("evidence file missing: %s", stored_name)
        raise IntegrityFailure(_("The evidence file is missing from storage.")) from None
    if actual != sha256:
        logger.error("evidence hash mismatch for stored file %s", stored_name)
        raise IntegrityFailure(_("The evidence file no longer matches its SHA-256; it was not sent."))
