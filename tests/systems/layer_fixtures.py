"""Builders shared by the layer, assessment and compliance tests."""
from datetime import date, datetime

from csirt import clock
from csirt.extensions import db
from csirt.systems.models import InformationSystem

# 12:00 in Hanoi on 3/12/2026: the province's "today" of these tests (after 19/8/2026: 2026 regime).
NOON = datetime(2026, 12, 3, 5, 0)
TODAY = date(2026, 12, 3)


def at_noon(day=TODAY):
    """Freeze the app's clock at noon, province time, on `day`."""
    clock.freeze(datetime(day.year, day.month, day.day, 5, 0))


def system(agency, code="HT-CONG", level=3, **kw):
    row = InformationSystem(code=code, name=kw.pop("name", f"Hệ thống {code}"), level=level,
                            owner_agency_id=agency.id, **kw)
    db.session.add(row)
    db.session.commit()
    return row
