"""bulk.Writes and bulk.insert_ignore: what they write is what a plain INSERT or UPDATE would
(JSON, times to the microsecond, NULLs, Vietnamese text, quotes and backslashes), on SQLite and on
PostgreSQL, where all the parts go in one statement; bad parts are refused before anything is sent."""
from datetime import datetime

import pytest
import sqlalchemy as sa

from csirt import bulk
from csirt.extensions import db, on_postgres

from .conftest import recorded_statements

metadata = sa.MetaData()
NOTES = sa.Table("bulk_note", metadata,
                 sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("key", sa.String(40), nullable=False, unique=True),
                 sa.Column("body", sa.Text, nullable=False),
                 sa.Column("at", sa.DateTime),
                 sa.Column("data", sa.JSON),
                 sa.Column("count", sa.Integer))
MARKS = sa.Table("bulk_mark", metadata,
                 sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("flag", sa.Boolean, nullable=False))

TRICKY = "Thư \"giả mạo\" từ O'Brien \\ 100% ; DROP TABLE bulk_note; --"


@pytest.fixture
def tables(app, db):
    metadata.create_all(db.engine)
    yield
    db.session.rollback()
    metadata.drop_all(db.engine)


def _sent(seen):
    return [s for s in seen if not s.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK"))]


def test_inserts_and_updates_write_the_values_as_given(tables):
    at = datetime(2026, 12, 5, 16, 30, 12, 345678)
    writes = bulk.Writes()
    writes.insert(NOTES, [{"id": 1, "key": "a", "body": TRICKY, "at": at, "data": {"n": [1, 2], "s": TRICKY},
                           "count": None},
                          {"id": 2, "key": "b", "body": "", "at": None, "data": None, "count": 7}])
    writes.insert(MARKS, [{"id": 1, "flag": True}, {"id": 2, "flag": False}])
    writes.send()
    db.session.commit()
    writes.update(NOTES, [{"id": 1, "count": 3, "at": at.replace(microsecond=1)}, {"id": 2, "count": 4, "at": at}])
    writes.update(MARKS, [{"id": 2, "flag": True}])
    with recorded_statements(db.engine) as seen:
        writes.send()
    db.session.commit()
    assert len(_sent(seen)) == (1 if on_postgres() else 2)
    rows = {r.id: r for r in db.session.execute(sa.select(NOTES)).all()}
    assert rows[1].body == TRICKY and rows[1].data == {"n": [1, 2], "s": TRICKY}
    assert rows[1].at == at.replace(microsecond=1) and rows[1].count == 3
    assert rows[2].at == at and rows[2].count == 4 and rows[2].data is None and rows[2].body == ""
    assert dict(db.session.execute(sa.select(MARKS.c.id, MARKS.c.flag)).all()) == {1: True, 2: True}
    assert not writes  # sent and forgotten


def test_parts_of_one_shape_are_gathered_into_one(tables):
    writes = bulk.Writes()
    writes.insert(NOTES, [{"id": 1, "key": "a", "body": "x"}])
    writes.insert(NOTES, [{"id": 2, "key": "b", "body": "y"}])
    writes.insert(NOTES, [{"id": 3, "key": "c", "body": "z", "count": 1}])  # other columns: a part of its own
    assert [len(part[3]) for part in writes.parts] == [2, 1]
    writes.send()
    assert db.session.execute(sa.select(sa.func.count()).select_from(NOTES)).scalar() == 3


def test_a_row_updated_twice_or_an_unknown_column_is_refused_before_anything_is_sent(tables):
    writes = bulk.Writes()
    writes.update(NOTES, [{"id": 1, "count": 1}])
    with pytest.raises(ValueError, match="twice"):
        writes.update(NOTES, [{"id": 1, "count": 2}])
    with pytest.raises(ValueError, match="no column"):
        writes.insert(NOTES, [{"id": 9, "key": "k", "body": "b", "count; DROP TABLE bulk_note": 1}])
    assert [len(part[3]) for part in writes.parts] == [1]  # the refused rows were not added


def test_insert_ignore_skips_taken_keys_and_returns_the_rows_inserted(tables):
    db.session.execute(NOTES.insert(), [{"id": 1, "key": "taken", "body": "first"}])
    rows = [{"id": n, "key": key, "body": TRICKY, "data": {"n": n}}
            for n, key in ((2, "new"), (3, "taken"), (4, "other"))]
    with recorded_statements(db.engine) as seen:
        returned = bulk.insert_ignore(NOTES, rows, ["key"], ["id", "key"])
    assert sorted(tuple(r) for r in returned) == [(2, "new"), (4, "other")]
    assert len(_sent(seen)) == 1
    stored = dict(db.session.execute(sa.select(NOTES.c.key, NOTES.c.body)).all())
    assert stored == {"taken": "first", "new": TRICKY, "other": TRICKY}
    assert bulk.insert_ignore(NOTES, [], ["key"], ["id"]) == []
    with pytest.raises(ValueError, match="no column"):
        bulk.insert_ignore(NOTES, rows, ["nope"], ["id"])


def test_among_and_chunks_find_every_row_of_many_ids_in_few_statements(tables):
    db.session.execute(MARKS.insert(), [{"id": n, "flag": n % 2 == 0} for n in range(1, 12_001)])
    wanted = list(range(2, 12_001, 3)) + [99_999]  # 4,000 present, one absent
    parts = bulk.chunks(wanted)
    assert [len(p) for p in parts] == [4001]
    assert [len(p) for p in bulk.chunks(range(12_000), 5000)] == ([12_000] if on_postgres() else [5000, 5000, 2000])
    with recorded_statements(db.engine) as seen:
        found = [row for part in parts for row in
                 db.session.execute(sa.select(MARKS.c.id).where(bulk.among(MARKS.c.id, part))).scalars()]
    assert sorted(found) == list(range(2, 12_001, 3))
    assert len(_sent(seen)) == 1
    if on_postgres():  # one array parameter: a short text, however many ids
        assert len(_sent(seen)[0]) < 200
    assert db.session.execute(sa.select(MARKS.c.id).where(bulk.among(MARKS.c.id, []))).all() == []
    assert bulk.chunks([]) == []
