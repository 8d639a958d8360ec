"""Incident references such as LC-2026-0042: per-province prefix, year, a counter per year.

The counter row is incremented with one UPDATE ... RETURNING, which both SQLite and PostgreSQL
serialise; the unique constraint on incident.reference is the last guard against collisions.
"""
from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .models import ReferenceCounter

_TABLE = ReferenceCounter.__table__
# Built once (every new incident runs it): the prefix and year are bound at each call.
_BUMP = (
    _TABLE.update()
    .where(_TABLE.c.prefix == bindparam("counter_prefix"), _TABLE.c.year == bindparam("counter_year"))
    .values(last=_TABLE.c.last + 1)
    .returning(_TABLE.c.last)
)


def next_reference(prefix, year):
    key = {"counter_prefix": prefix, "counter_year": year}
    number = db.session.execute(_BUMP, key).scalar()
    if number is None:
        try:
            with db.session.begin_nested():
                db.session.execute(_TABLE.insert().values(prefix=prefix, year=year, last=1))
            number = 1
        except IntegrityError:  # another transaction created the row first
            number = db.session.execute(_BUMP, key).scalar()
    return f"{prefix}-{year}-{number:04d}"
