"""A new incident's first rows in ONE statement on PostgreSQL: the reference number taken from its
counter (created at the first incident of a year), the incident, and its first timeline entries.

    WITH bump AS (INSERT INTO reference_counter ... ON CONFLICT DO UPDATE SET last = last + 1
                  RETURNING last),
         made AS (INSERT INTO incident (reference, ...) SELECT '<prefix>-<year>-' || lpad(last, 4), ...
                  FROM bump RETURNING id, reference),
         entries AS (INSERT INTO timeline_entry ... SELECT made.id, ..., 'created',
                     json_build_object('reference', made.reference) FROM made
                     [UNION ALL SELECT made.id, ..., 'assignment', <its data> FROM made])
    SELECT id, reference FROM made

Three round trips become one for every incident opened (the API's POST, the alert intake). The
counter's row is locked from this statement to the commit, as the UPDATE of `references.py` did;
the unique reference is still the last guard. SQLite (no data-modifying WITH) keeps the three
statements (`references.next_reference`, then the inserts).
"""
from functools import lru_cache

from sqlalchemy import Integer, String, Text, bindparam, cast, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert

from .models import Incident, ReferenceCounter, TimelineEntry

_COUNTER = ReferenceCounter.__table__
_INCIDENTS = Incident.__table__
_TIMELINE = TimelineEntry.__table__
COLUMNS = tuple(c.key for c in _INCIDENTS.c if not c.primary_key and c.key != "reference")


def _entry(made, kind, data):
    """The SELECT of one timeline entry of the incident `made`."""
    return select(made.c.id, bindparam("t_at", type_=_TIMELINE.c.at.type),
                  bindparam("t_author", type_=_TIMELINE.c.author_id.type),
                  literal(kind, String), literal("", Text), data)


@lru_cache(maxsize=2)
def statement(with_assignment):
    """The statement (built once per shape). Parameters: counter_prefix, counter_year, v_<column>
    for every incident column but the id and the reference, t_at, t_author, and t_assignment (the
    assignment entry's data) when `with_assignment`."""
    prefix = bindparam("counter_prefix", type_=_COUNTER.c.prefix.type)
    year = bindparam("counter_year", type_=Integer)
    bump = (pg_insert(_COUNTER).values(prefix=prefix, year=year, last=1)
            .on_conflict_do_update(index_elements=[_COUNTER.c.prefix, _COUNTER.c.year],
                                   set_={"last": _COUNTER.c.last + 1})
            .returning(_COUNTER.c.last)).cte("bump")
    number = cast(bump.c.last, Text)
    reference = (cast(prefix, Text) + "-" + cast(year, Text) + "-"
                 + func.lpad(number, func.greatest(4, func.length(number)), "0"))  # "%04d": never cut
    made = (_INCIDENTS.insert().from_select(
        ["reference", *COLUMNS],
        select(reference, *[bindparam(f"v_{key}", type_=_INCIDENTS.c[key].type) for key in COLUMNS])
        .select_from(bump))
        .returning(_INCIDENTS.c.id, _INCIDENTS.c.reference)).cte("made")
    entries = _entry(made, "created", func.json_build_object("reference", made.c.reference))
    if with_assignment:  # one INSERT: the rows take their ids in this order (separate WITH parts would not)
        entries = union_all(entries, _entry(made, "assignment",
                                            bindparam("t_assignment", type_=_TIMELINE.c.data.type)))
    written = _TIMELINE.insert().from_select(["incident_id", "at", "author_id", "kind", "body", "data"], entries)
    return select(made.c.id, made.c.reference).add_cte(written.cte("entries"))


def insert(session, prefix, year, row, author_id, at, assignment=None):
    """Run the statement for the incident's `row` (every column but id and reference); (id, reference)."""
    params = {"counter_prefix": prefix, "counter_year": year, "t_at": at, "t_author": author_id,
              **{f"v_{key}": row.get(key) for key in COLUMNS}}
    if assignment is not None:
        params["t_assignment"] = assignment
    return tuple(session.execute(statement(assignment is not None), params).one())
