"""Test data builders. Passwords share one precomputed hash, so building users is cheap."""
import itertools
from datetime import timedelta

from werkzeug.security import generate_password_hash

from csirt.clock import utcnow
from csirt.extensions import db
from csirt.incidents.models import Incident
from csirt.team.models import Agency, User

PASSWORD = "correct-horse-battery"
_HASH = generate_password_hash(PASSWORD, method="scrypt")
_seq = itertools.count(1)


def agency(**kw):
    n = next(_seq)
    row = Agency(code=kw.pop("code", f"AG{n}"), name=kw.pop("name", f"Cơ quan {n}"),
                 kind=kw.pop("kind", "department"), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def user(role="responder", agency_obj=None, **kw):
    n = next(_seq)
    agency_obj = agency_obj or kw.pop("agency", None) or agency()
    row = User(username=kw.pop("username", f"user{n}"), full_name=kw.pop("full_name", f"Người dùng {n}"),
               role=role, agency_id=agency_obj.id, password_hash=_HASH, **kw)
    db.session.add(row)
    db.session.commit()
    return row


def incident(actor=None, agency_obj=None, **kw):
    """An incident through the real service (reference, timeline, audit)."""
    from csirt.incidents import services

    actor = actor or user("coordinator")
    data = {"title": kw.pop("title", "Thư lừa đảo gửi tới cán bộ"), "category": kw.pop("category", "spoofing"),
            "discovered_at": kw.pop("discovered_at", utcnow() - timedelta(hours=2)),
            "agency_id": (agency_obj or actor.agency).id}
    data.update(kw)
    return services.open_incident(actor, data)


def raw_incidents(count, agency_obj, reporter, **kw):
    """Many incidents inserted directly (for list and pagination tests)."""
    now = utcnow()
    rows = [Incident(reference=f"T-{agency_obj.id}-{next(_seq)}", title=kw.get("title", f"Sự cố {i}"),
                     category=kw.get("category", "malware"), status=kw.get("status", "new"),
                     agency_id=agency_obj.id, reporter_id=reporter.id,
                     discovered_at=now - timedelta(minutes=i), reported_at=now, created_at=now,
                     updated_at=now - timedelta(seconds=i)) for i in range(count)]
    db.session.add_all(rows)
    db.session.commit()
    return rows
