"""Writes gathered through a transaction and sent together: on PostgreSQL as ONE statement,
however many tables and rows they touch; on SQLite one statement per table (executemany).

    writes = Writes()
    writes.insert(TimelineEntry.__table__, [{"incident_id": 7, ...}, ...])
    writes.update(AlertGroup.__table__, [{"id": 3, "last_at": ..., "firing": [...]}, ...])
    writes.send()

On PostgreSQL each part is a data-modifying WITH query over its rows, which come as one JSON
text read by `json_populate_recordset(NULL::<table>, ...)` (the table's own row type gives every
column its type):

    WITH p0 AS (INSERT INTO timeline_entry (incident_id, ...) SELECT incident_id, ...
                FROM json_populate_recordset(NULL::timeline_entry, :p0)),
         r1 AS MATERIALIZED (SELECT * FROM json_populate_recordset(NULL::alert_group, :p1)),
         p1 AS (UPDATE alert_group SET last_at = r1.last_at, ... FROM r1
                WHERE alert_group.id = ANY(ARRAY(SELECT id FROM r1)) AND alert_group.id = r1.id)
    SELECT 1

One round trip instead of one a table, and a text that depends only on the tables and columns
(built once per shape), so PostgreSQL parses it once a connection. The parts must be independent
(PostgreSQL runs them in one snapshot, in no set order): no part reads what another writes, and
no row is updated by two parts, nor twice in one (`update` refuses a repeated key). Table and
column names come from the tables' metadata, quoted by the dialect; values only ever travel as
the JSON parameters.
"""
import json
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import ARRAY, any_, bindparam, text

from .extensions import db, on_postgres


class Writes:
    def __init__(self):
        self.parts = []  # (kind, table, columns, rows)

    def __bool__(self):
        return bool(self.parts)

    def insert(self, table, rows):
        """INSERT `rows` (dicts with the same keys, every column the row needs: Python-side
        column defaults are not applied on PostgreSQL) into `table`."""
        rows = list(rows)
        if rows:
            self._add("insert", table, tuple(rows[0]), rows)

    def update(self, table, rows, key="id"):
        """UPDATE each row of `table` whose `key` is the row's: its other keys are the columns set."""
        rows = list(rows)
        if rows:
            self._add("update", table, (key, *(c for c in rows[0] if c != key)), rows)

    def _add(self, kind, table, columns, rows):
        """A part, or more rows for the part of the same table and columns (one shape per kind
        of write, however many calls gathered it)."""
        unknown = [c for c in columns if c not in table.c]
        if unknown:  # so the statement names only the table's own columns
            raise ValueError(f"{table.name} has no column {unknown[0]!r}")
        same = next((part for part in self.parts if part[:3] == (kind, table, columns)), None)
        gathered = (same[3] if same else []) + rows
        if kind == "update" and len({row[columns[0]] for row in gathered}) != len(gathered):
            raise ValueError(f"{table.name}: a row updated twice in one statement")
        if same:
            same[3].extend(rows)
        else:
            self.parts.append((kind, table, columns, rows))

    def send(self):
        """Execute the parts (in the caller's transaction) and forget them."""
        parts, self.parts = self.parts, []
        if not parts:
            return
        if on_postgres():
            shape = tuple((kind, table, columns) for kind, table, columns, _rows in parts)
            params = {f"p{n}": json_text(rows) for n, (_k, _t, _c, rows) in enumerate(parts)}
            db.session.execute(_statement(shape), params)
            return
        for kind, table, columns, rows in parts:
            if kind == "insert":
                db.session.execute(table.insert(), rows)
            else:
                key, *changed = columns
                statement = table.update().where(table.c[key] == bindparam(f"b_{key}")).values(
                    {c: bindparam(f"b_{c}") for c in changed})
                db.session.execute(statement, [{f"b_{c}": row[c] for c in columns} for row in rows])


def insert_ignore(table, rows, keys, returning=()):
    """INSERT `rows` (dicts with the same keys) into `table`, in their order, skipping those whose
    `keys` (a unique constraint's columns) are taken already; the `returning` columns of the rows
    inserted (none when not asked). In the caller's transaction. PostgreSQL: one statement, its rows as one JSON text
    (`INSERT ... SELECT ... FROM json_populate_recordset(...) ON CONFLICT DO NOTHING RETURNING`,
    the same short text for 1 row or 500, where a multi-row VALUES was as long as its rows and
    psycopg re-parsed it for every batch); SQLite: `INSERT ... ON CONFLICT DO NOTHING RETURNING`
    with the rows as parameter sets, 500 to a statement."""
    rows = list(rows)
    if not rows:
        return []
    columns = tuple(rows[0])
    unknown = [c for c in (*columns, *keys, *returning) if c not in table.c]
    if unknown:
        raise ValueError(f"{table.name} has no column {unknown[0]!r}")
    if on_postgres():
        statement = _insert_ignore_statement(table, columns, tuple(keys), tuple(returning))
        result = db.session.execute(statement, {"rows": json_text(rows)})
        return result.all() if returning else []
    from sqlalchemy.dialects.sqlite import insert

    statement = insert(table).on_conflict_do_nothing(index_elements=list(keys))
    if not returning:
        db.session.execute(statement, rows)
        return []
    statement = statement.returning(*(table.c[c] for c in returning))
    found = []
    for start in range(0, len(rows), 500):
        found += db.session.execute(statement, rows[start:start + 500]).all()
    return found


@lru_cache(maxsize=16)
def _insert_ignore_statement(table, columns, keys, returning):
    quote = db.session.get_bind().dialect.identifier_preparer.quote
    name, listed = quote(table.name), ", ".join(quote(c) for c in columns)
    return text(f"INSERT INTO {name} ({listed}) SELECT {listed} "  # noqa: S608 - names from the metadata
                f"FROM json_populate_recordset(NULL::{name}, CAST(:rows AS json)) "
                f"ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO NOTHING"
                + (f" RETURNING {', '.join(quote(c) for c in returning)}" if returning else ""))


def among(column, values):
    """`column IN (values)`. On PostgreSQL one array parameter (`= ANY(:values)`): the same short
    text for one value or 10,000, where an IN list was rendered, sent and parsed anew for every
    length; SQLite keeps the IN list (callers keep its length within SQLite's limit, see `chunks`)."""
    values = list(values)
    if on_postgres():
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def chunks(values, size=5000):
    """`values` in lists short enough for one `among` on either database: all at once on
    PostgreSQL (one array parameter), `size` at a time on SQLite."""
    values = list(values)
    if on_postgres():
        return [values] if values else []
    return [values[start:start + size] for start in range(0, len(values), size)]


def json_text(rows):
    """`rows` as the JSON text PostgreSQL's json_populate_recordset / json_to_recordset read
    (dates and times in ISO form)."""
    return json.dumps(rows, default=_iso)


def _iso(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be written in bulk")


@lru_cache(maxsize=64)
def _statement(shape):
    quote = db.session.get_bind().dialect.identifier_preparer.quote
    queries = []
    for n, (kind, table, columns) in enumerate(shape):
        name = quote(table.name)
        rows = f"json_populate_recordset(NULL::{name}, CAST(:p{n} AS json))"
        if kind == "insert":
            listed = ", ".join(quote(c) for c in columns)
            queries.append(f"p{n} AS (INSERT INTO {name} ({listed}) SELECT {listed} FROM {rows})")  # noqa: S608 - names from the metadata
        else:
            # the rows to change found by their key (`= ANY(ARRAY(...))`: an index scan whatever the
            # planner guesses of the JSON's row count), joined to their new values
            key, *changed = (quote(c) for c in columns)
            assignments = ", ".join(f"{c} = r{n}.{c}" for c in changed)
            queries.append(f"r{n} AS MATERIALIZED (SELECT * FROM {rows})")  # noqa: S608 - names from the metadata
            queries.append(f"p{n} AS (UPDATE {name} SET {assignments} FROM r{n} "  # noqa: S608 - names from the metadata
                           f"WHERE {name}.{key} = ANY(ARRAY(SELECT {key} FROM r{n})) AND {name}.{key} = r{n}.{key})")
    return text("WITH " + ",\n     ".join(queries) + "\nSELECT 1")
