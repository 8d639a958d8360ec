"""Fixtures: a fresh app per test against SQLite (default) or PostgreSQL.

`CSIRT_TEST_DATABASE_URL` chooses the server; for PostgreSQL each test session works in a
database of its own (created here and dropped after), so parallel runs never collide.
"""
import contextlib
import contextvars
import os
import re
import uuid

import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from csirt import create_app
from csirt.config import TestConfig
from csirt.extensions import db as _db

from . import factories


def _make_pg_database(url):
    base = make_url(url)
    name = f"csirt_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name), name


def _drop_pg_database(base_url, name):
    engine = sa.create_engine(make_url(base_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"),
            {"n": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    requested = os.environ.get("CSIRT_TEST_DATABASE_URL", "").strip()
    if requested.startswith("postgresql"):
        url, name = _make_pg_database(requested)
        yield url.render_as_string(hide_password=False)
        _drop_pg_database(requested, name)
    else:
        path = tmp_path_factory.mktemp("db") / "test.sqlite"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Create the tables once per session from the models (migrations are tested separately)."""
    app = create_app(TestConfig(database_url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        _seed(_db.engine)
        _db.engine.dispose()
    return True


def _seed(engine):
    """The rows migrations write into an empty database (the rules of the 2017 and 2026 regimes),
    inserted the same way here, since this schema comes from the models."""
    from csirt.clock import utcnow
    from csirt.rules import seed
    from csirt.rules.models import Rule

    with engine.begin() as conn:
        seed.insert(conn, Rule.__table__, utcnow())


class IsolatedClient(FlaskClient):
    """Each request runs in a context of its own, as in production: the test's app context
    (and its `g`, its database session) is not shared with the request."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # read streamed bodies inside the request's context
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():  # not in the nested call that follows a redirect
            _db.session.expire_all()  # the test's session sees what the request committed
        return response


@pytest.fixture
def app(database_url, _schema, tmp_path):
    """A fresh app for each test; every table is emptied afterwards."""
    from csirt.rules import lookup

    lookup.forget()  # rules read by an earlier test's app are not this test's
    app = create_app(TestConfig(database_url, tmp_path / "instance"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        _db.session.rollback()
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())
        _seed(_db.engine)  # the next test starts with the seeded rules again
        _db.engine.dispose()  # close this app's pooled connections now, not at garbage collection
    from csirt import clock
    clock.freeze(None)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def make():
    """Factories: make.agency(), make.user(role=...), make.incident(...)."""
    return factories


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_from(html):
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class Auth:
    """Log in through the real login form (CSRF included)."""

    def __init__(self, client):
        self.client = client

    def csrf(self, path="/login"):
        return csrf_from(self.client.get(path).get_data(as_text=True))

    def login(self, user_or_name, password=factories.PASSWORD):
        username = getattr(user_or_name, "username", user_or_name)
        token = self.csrf("/login")
        return self.client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": token})

    def logout(self):
        token = self.csrf("/team/")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return Auth(client)


@contextlib.contextmanager
def recorded_statements(engine):
    """The SQL statements `engine` runs inside the block, in order (for tests that hold a count)."""
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
