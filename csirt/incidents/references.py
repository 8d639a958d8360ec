"""Incident references such as LC-2026-0042: per-province prefix, year, a counter per year.

The counter row is incremented with one UPDATE ... RETURNING, which both SQLite and PostgreSQL
serialise; the unique constraint on incident.reference is the last guard against collisions.
"""
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .models import ReferenceCounter


def next_reference(prefix, year):
    table = ReferenceCounter.__table__
    bump = (
        table.update()
        .where(table.c.prefix == prefix, table.c.year == year)
        .values(last=table.c.last + 1)
        .returning(table.c.last)
    )
    number = db.session.execute(bump).scalar()
    if number is None:
        try:
            with db.session.begin_nested():
                db.session.execute(table.insert().values(prefix=prefix, year=year, last=1))
            number = 1
        except IntegrityError:  # another transaction created the row first
            number = db.session.execute(bump).scalar()
    return f"{prefix}-{year}-{number:04d}"
