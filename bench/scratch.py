"""A throwaway PostgreSQL database for one benchmark run, shared by the benches that need one
(api, alerts, compliance, notify): created under a random name beside the server's others, and
dropped afterwards even when the run fails (its connections are ended first)."""
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url


@contextmanager
def scratch_database(url, prefix):
    """(the new database's URL, the server's version, a temporary folder) for the `with` block."""
    base = make_url(url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        version = conn.execute(sa.text("SHOW server_version")).scalar()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            yield base.set(database=name).render_as_string(hide_password=False), version, Path(tmp)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
