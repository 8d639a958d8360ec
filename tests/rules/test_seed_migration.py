"""The seed migration 7b2e9c4d1a30: `flask db upgrade` on an empty database writes the rules of
both regimes, the same rows the test suite's schema holds; downgrade removes them; a backup
restored into a freshly upgraded database brings back the rules as they were backed up."""
import os
from datetime import date

import pytest
import sqlalchemy as sa

from csirt import create_app
from csirt.config import TestConfig
from csirt.extensions import db as _db
from csirt.rules import keys
from csirt.rules.models import Rule

SEED, BEFORE_SEED = "7b2e9c4d1a30", "5fa310a172b3"
COLUMNS = (Rule.regime, Rule.key, Rule.level, Rule.value, Rule.unit, Rule.legal_reference, Rule.effective_from,
           Rule.effective_to, Rule.confirmed, Rule.notes, Rule.version)


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A database with no tables: a new SQLite file, or a new PostgreSQL database."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    from tests.conftest import _drop_pg_database, _make_pg_database

    base = os.environ["CSIRT_TEST_DATABASE_URL"]
    url, name = _make_pg_database(base)
    yield url.render_as_string(hide_password=False)
    _drop_pg_database(base, name)


def _rows():
    query = sa.select(*COLUMNS).order_by(Rule.regime, Rule.key, Rule.level)
    return [tuple(row) for row in _db.session.execute(query).all()]


def _expected_rows():
    """What the test suite's schema holds (tests/conftest.py inserts `seed.rows`)."""
    from csirt.rules import seed

    columns = [column.key for column in COLUMNS]
    return sorted((tuple(row[c] for c in columns) for row in seed.rows(None)),
                  key=lambda row: (row[0], row[1], row[2]))


def test_flask_db_upgrade_writes_both_regimes_and_downgrade_removes_them(empty_database, tmp_path):
    app = create_app(TestConfig(empty_database, tmp_path / "instance"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        written = _rows()
        regimes = dict(_db.session.execute(sa.select(Rule.regime, sa.func.count()).group_by(Rule.regime)).all())
        by_regime = {(r.regime, r.key, r.level): (r.value, r.unit, r.effective_from.isoformat(),
                                                   r.effective_to.isoformat() if r.effective_to else None)
                     for r in _db.session.execute(sa.select(Rule)).scalars()}
        _db.session.remove()
    assert written == _expected_rows() and len(written) == 20
    assert regimes == {"2017": 10, "2026": 10}
    assert by_regime["2017", keys.INCIDENT_NOTICE, None] == ("5", "days", "2017-11-01", "2026-08-19")
    assert by_regime["2026", keys.INCIDENT_NOTICE, None] == ("24", "hours", "2026-08-19", None)
    assert [by_regime["2026", keys.ASSESSMENT_INTERVAL, level][0] for level in range(1, 6)] == \
        ["24", "24", "12", "12", "6"]

    result = runner.invoke(args=["db", "downgrade", BEFORE_SEED])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert _rows() == []
        _db.session.remove()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert _rows() == written
        _db.session.remove()
        _db.engine.dispose()


def test_restore_into_an_upgraded_database_replaces_the_seed_with_the_backed_up_rules(app, db, make,
                                                                                        empty_database, tmp_path):
    from flask_migrate import upgrade

    from csirt.backup import create_backup, restore_backup
    from csirt.rules import lookup, services

    admin = make.user("admin")
    rule = lookup.lookup(keys.INCIDENT_REPORT, date(2026, 9, 1))
    services.update_rule(admin, rule, {"value": "48", "unit": "hours", "legal_reference": rule.legal_reference,
                                       "effective_from": rule.effective_from, "confirmed": True}, rule.version)
    archive = tmp_path / "backup.tar.gz"
    report = create_backup(archive)
    expected = _rows()
    db.session.commit()
    other = create_app(TestConfig(empty_database, tmp_path / "restored"))
    with other.app_context():
        upgrade()
        assert len(_rows()) == 20  # the migration's seed, about to be replaced
        restored = restore_backup(archive)
        assert restored.counts["rule"] == report.counts["rule"] == 20
        assert _rows() == expected
        assert lookup.lookup(keys.INCIDENT_REPORT, date(2026, 9, 1)).value == "48"
        _db.session.remove()
        _db.engine.dispose()
