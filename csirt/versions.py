"""Optimistic locking of the edit forms, in one place: the version a form was read at must still
be the record's, and a commit that loses the race (SQLAlchemy's StaleDataError) becomes a
Conflict the user can act on ("reload and try again"), with nothing half-written."""
from sqlalchemy.orm.exc import StaleDataError

from .catalogue import gettext as _
from .errors import Conflict, ValidationError
from .extensions import db


def check_version(record, expected_version, conflict_message):
    """Raise Conflict when the form's `expected_version` is not `record.version`; a version that
    is no number is a ValidationError; none given (None or "") checks nothing."""
    if expected_version in (None, ""):
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError(_("The form is missing its version; reload and try again.")) from None
    if expected != record.version:
        raise Conflict(str(conflict_message))


def commit(conflict_message):
    """Commit; a lost version race rolls back and raises Conflict."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict(str(conflict_message)) from None
