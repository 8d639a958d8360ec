"""`record()` writes at once when nothing else is pending, and joins the pending changes otherwise:
either way the same row, in the same transaction, with the same errors at the same place."""
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from csirt.audit.models import AuditLog
from csirt.audit.services import record
from csirt.team.models import Agency

COLUMNS = ("actor_id", "actor_name", "ip", "action", "object_type", "object_id", "before", "after",
           "channel", "via")


def _rows(db, action):
    return db.session.execute(sa.select(AuditLog).where(AuditLog.action == action)).scalars().all()


def test_record_on_a_clean_session_writes_the_entry_at_once(app, db, make):
    user = make.user("admin")
    assert not (db.session.new or db.session.dirty or db.session.deleted)
    record(user, "user.update", user, before={"phone": ""}, after={"phone": "0912"})
    assert not db.session.new  # nothing left for a flush: the INSERT has been sent
    db.session.rollback()  # and it belongs to the transaction: gone with it
    assert _rows(db, "user.update") == []
    record(user, "user.update", user, after={"phone": "0912"})
    db.session.commit()
    [entry] = _rows(db, "user.update")
    assert (entry.actor_id, entry.object_type, entry.object_id, entry.after) == (
        user.id, "user_account", str(user.id), {"phone": "0912"})
    assert entry.channel == "system" and entry.at is not None


def test_record_with_pending_changes_fails_and_rolls_back_with_them(app, db, make):
    taken = make.agency(code="TRUNG")
    user = make.user("admin")
    assert user.username  # loaded now: reading it later would flush the bad row by itself
    db.session.add(Agency(code=taken.code, name="Bản sao"))  # breaks a unique key at the flush
    record(user, "agency.create", object_type="agency", object_id="new")  # not the place that fails
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert _rows(db, "agency.create") == []


def test_both_ways_write_the_same_row(app, db, make):
    user, agency = make.user("admin"), make.agency()
    record(user, "agency.update", agency, after={"phone": "1"})  # clean session: at once
    agency.phone = "1"  # a pending change: the entry joins it
    record(user, "agency.update", agency, after={"phone": "1"})
    db.session.commit()
    first, second = sorted(_rows(db, "agency.update"), key=lambda e: e.id)
    assert [getattr(first, c) for c in COLUMNS] == [getattr(second, c) for c in COLUMNS]
    # `before` was not given: both wrote it the same way (JSON null, which is not SQL NULL)
    assert first.before is None and db.session.execute(
        sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "agency.update",
                                                               AuditLog.before.is_(None))).scalar() == 0
