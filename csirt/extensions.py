"""Unbound extension objects; create_app binds them."""
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

from .catalogue import CatalogueBabel

# Named constraints make Alembic migrations portable between SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = CatalogueBabel()


def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite: enforce foreign keys, let readers and one writer work together (WAL), and wait
    for a lock instead of failing at once (the scheduler thread writes too)."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def on_postgres():
    """Whether the session's database is PostgreSQL: row locks (`FOR UPDATE [SKIP LOCKED]`) are
    taken there; SQLite serialises writers instead."""
    return db.session.get_bind().dialect.name == "postgresql"


def init_engine_events():
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)


def migration_include_object(dialect_name):
    """Alembic filter: leave out of autogenerate the objects that are created only on another
    database (`Index(...).ddl_if(dialect="postgresql")`), which Alembic does not filter itself."""

    def include(obj, _name, _type, _reflected, _compare_to):
        condition = getattr(obj, "_ddl_if", None)
        if condition is not None and condition.dialect:
            wanted = condition.dialect if isinstance(condition.dialect, (tuple, list)) else (condition.dialect,)
            return dialect_name in wanted
        return True

    return include
