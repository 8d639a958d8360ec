"""A tick's results stored in ONE statement on PostgreSQL: the claim released, each result inserted
and its work item's new state set, however many results there are.

    WITH input AS MATERIALIZED (SELECT u.*, nextval(<check_result's sequence>) AS result_id
                                FROM json_to_recordset(<the rows, one JSON text>) AS u(...)),
         ours AS (UPDATE server_check SET <claim cleared>, state, state_since, last_run_at,
                  last_result_id = input.result_id FROM input
                  WHERE id = item_id AND <the row still carries this claim's mark> RETURNING id)
    INSERT INTO check_result (id, ...) SELECT ... FROM input JOIN ours ... RETURNING id, server_check_id

The statement's text never changes (the rows come as one JSON text, which PostgreSQL reads in C),
so it is parsed once a connection; the INSERT ... VALUES of one row per result and the UPDATEs of
one row each it replaces were parsed anew for every batch and were most of a 10,000-host scan's
storing time (arrays, one per column, cost as much again: psycopg quotes each string of an array
with a regular expression). The result ids are taken from the sequence first, so the work item's
UPDATE (the compare-and-set of `claims.release` and the new state: one row updated once) and the
INSERT of only the results it kept are one statement.

The plan: the work items are found by their primary key (`id = ANY(ARRAY(...))`), and the claim's
mark comes in as columns of `input`, not as constants: against constants the planner, whose
statistics see no row claimed, expected one row and rescanned `input` for each of 10,000 (0.7 s a
statement instead of 7 ms). SQLite keeps the statements of `runner._Storer`.
"""
from sqlalchemy import text

from ..bulk import json_text
from ..extensions import db

STATEMENT = text("""
WITH input AS MATERIALIZED (
    SELECT u.*, nextval(pg_get_serial_sequence('check_result', 'id')) AS result_id,
           CAST(:holder AS varchar) AS holder, CAST(:until AS timestamp) AS until
    FROM json_to_recordset(CAST(:rows AS json)) AS u(
        server_check_id integer, server_id integer, kind varchar, status varchar, changed boolean,
        started_at timestamp, finished_at timestamp, duration_ms integer, details json, scan_id integer)
),
ours AS (
    UPDATE server_check
    SET claimed_by = NULL, claimed_until = NULL, run_started_at = NULL, retry = false,
        state = input.status, last_run_at = input.finished_at, last_result_id = input.result_id,
        state_since = CASE WHEN input.changed THEN input.finished_at ELSE server_check.state_since END
    FROM input
    WHERE server_check.id = ANY(ARRAY(SELECT server_check_id FROM input))
      AND server_check.id = input.server_check_id
      AND server_check.claimed_by = input.holder AND server_check.claimed_until = input.until
    RETURNING server_check.id
)
INSERT INTO check_result (id, server_check_id, server_id, kind, status, changed, started_at, finished_at,
                          duration_ms, details, scan_id)
SELECT input.result_id, input.server_check_id, input.server_id, input.kind, input.status, input.changed,
       input.started_at, input.finished_at, input.duration_ms, input.details, input.scan_id
FROM input JOIN ours ON ours.id = input.server_check_id
RETURNING id, server_check_id""")


def store(claim, rows):
    """Store `rows` (dicts of check_result's columns, one per work item) whose items still carry
    `claim`'s mark, in the caller's transaction; {work item id: result id} of those stored."""
    if not rows or claim.until is None:
        return {}
    params = {"rows": json_text(rows), "holder": claim.holder, "until": claim.until}
    return {item_id: result_id for result_id, item_id in db.session.execute(STATEMENT, params)}

