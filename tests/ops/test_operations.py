"""Operations: migrations, health, demo data, configuration guards (backup and restore: test_backup.py)."""
import os

import pytest
import sqlalchemy as sa

from csirt import create_app
from csirt.config import Config, TestConfig
from csirt.extensions import db as _db


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A database with no tables: a new SQLite file, or a new PostgreSQL database."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}", None
        return
    from tests.conftest import _drop_pg_database, _make_pg_database

    base = os.environ["CSIRT_TEST_DATABASE_URL"]
    url, name = _make_pg_database(base)
    yield url.render_as_string(hide_password=False), name
    _drop_pg_database(base, name)


def test_migrations_upgrade_an_empty_database_and_match_the_models(empty_database, tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade

    url, _name = empty_database
    app = create_app(TestConfig(url, tmp_path / "instance"))
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(_db.engine).get_table_names())
        assert {"incident", "user_account", "agency", "audit_log", "evidence", "api_token"} <= tables
        with _db.engine.connect() as conn:
            from csirt.extensions import migration_include_object

            opts = {"compare_type": True, "include_object": migration_include_object(conn.dialect.name)}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), _db.metadata)
        assert diff == [], f"models and migrations differ; run `csirt db migrate`: {diff}"
        _db.engine.dispose()


def test_cli_db_check_reports_no_pending_changes(empty_database, tmp_path):
    url, _name = empty_database
    app = create_app(TestConfig(url, tmp_path / "instance"))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        _db.engine.dispose()


def test_production_refuses_the_development_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("CSIRT_ENV", "production")
    monkeypatch.delenv("CSIRT_SECRET_KEY", raising=False)
    monkeypatch.setenv("CSIRT_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="CSIRT_SECRET_KEY"):
        create_app(Config())
    monkeypatch.setenv("CSIRT_SECRET_KEY", "x" * 48)
    app = create_app(Config())
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_healthz_says_unavailable_when_the_database_is_down(app, client, monkeypatch):
    from sqlalchemy.orm import Session

    def broken(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("down"))

    monkeypatch.setattr(Session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"


def test_demo_load_is_idempotent_and_builds_the_province(app, db):
    from csirt.demo import load
    from csirt.incidents.models import Incident
    from csirt.systems.models import Server
    from csirt.team.models import Agency, User

    first = load()
    counts = lambda m: db.session.execute(sa.select(sa.func.count()).select_from(m)).scalar()  # noqa: E731
    snapshot = {m.__name__: counts(m) for m in (Agency, User, Server, Incident)}
    assert snapshot["Agency"] >= 18 and snapshot["User"] >= 50 and snapshot["Incident"] >= 30
    physical = db.session.execute(sa.select(sa.func.count()).where(Server.kind == "physical")).scalar()
    assert (snapshot["Server"], physical) == (15, 5)
    statuses = set(db.session.execute(sa.select(Incident.status).distinct()).scalars())
    assert statuses == {"new", "triaged", "contained", "eradicated", "recovered", "closed", "rejected"}
    second = load()
    assert {m.__name__: counts(m) for m in (Agency, User, Server, Incident)} == snapshot
    assert sum(second["created"].values()) == 0 and first["incidents"] == second["incidents"]


@pytest.mark.parametrize("proxies, expected", [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_audit_address_trusts_forwarded_for_only_behind_a_configured_proxy(app, db, monkeypatch, tmp_path,
                                                                           database_url, proxies, expected):
    from csirt.audit.models import AuditLog
    from tests.conftest import IsolatedClient, csrf_from

    monkeypatch.setenv("CSIRT_PROXY_COUNT", str(proxies))
    proxied = create_app(TestConfig(database_url, tmp_path / "proxied"))
    proxied.test_client_class = IsolatedClient
    client = proxied.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "nobody-here", "password": "x" * 12, "csrf_token": token},
                headers={"X-Forwarded-For": "203.0.113.7"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    with proxied.app_context():
        _db.engine.dispose()
    failed = db.session.execute(sa.select(AuditLog).where(AuditLog.action == "auth.login_failed")).scalar_one()
    assert failed.ip == expected


def test_api_errors_speak_the_token_users_language(app, client, make, db):
    from csirt.auth.tokens import create_token

    user = make.user("responder", locale="en")
    _row, text = create_token(None, user, "t", ["incidents:read"], 30)
    english = client.get("/api/v1/incidents?sort=bogus", headers={"Authorization": f"Bearer {text}"})
    user.locale = "vi"
    db.session.commit()
    vietnamese = client.get("/api/v1/incidents?sort=bogus", headers={"Authorization": f"Bearer {text}"})
    assert english.status_code == vietnamese.status_code == 400
    assert english.get_json()["error"] == "Some filters are not valid."
    assert vietnamese.get_json()["error"] != english.get_json()["error"]


def test_templates_and_migrations_are_found_beside_the_package_or_under_share(monkeypatch, tmp_path):
    from csirt import config

    assert config.resource_dir("templates") == config.PROJECT_ROOT / "templates"
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path / "site-packages")  # an installed wheel
    monkeypatch.setattr(config.sys, "prefix", str(tmp_path / "venv"))
    assert config.resource_dir("migrations") == tmp_path / "venv" / "share" / "csirt" / "migrations"
