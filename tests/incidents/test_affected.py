"""Naming what an incident affected: the pure matching of free text to systems and servers, and the
migration that turned the old free-text fields into links (8c3f0d5e2b41), up and down."""
import os
from datetime import datetime

import pytest
import sqlalchemy as sa

from csirt import create_app
from csirt.config import TestConfig
from csirt.extensions import db as _db
from csirt.incidents import affected

SYSTEMS = [affected.SystemRef(1, "MAIL", "Hệ thống thư điện tử công vụ tỉnh"),
           affected.SystemRef(2, "IGATE", "Cổng dịch vụ công")]
SERVERS = [affected.ServerRef(7, "dc-mail-01", ("10.0.0.5", "2001:db8::5")),
           affected.ServerRef(8, "dc-web-01", ("10.0.0.8",))]


# --- the pure matching ------------------------------------------------------------------------

def test_pieces_split_on_commas_semicolons_and_new_lines_and_drop_blanks_and_repeats():
    assert affected.pieces(" MAIL, igate;\n\n Cổng A ;MAIL,") == ["MAIL", "igate", "Cổng A"]
    assert affected.pieces("") == [] and affected.pieces(None) == []


def test_systems_match_by_code_in_any_case_or_by_exact_name_and_the_rest_stays_text():
    found = affected.match_systems("mail; Cổng dịch vụ công; Phần mềm kế toán; cổng dịch vụ công", SYSTEMS)
    assert found.ids == [1, 2]
    # a name is matched exactly: the lower-case copy is not the system's name and stays as text
    assert found.leftover == ["Phần mềm kế toán", "cổng dịch vụ công"]
    assert found.text == "Phần mềm kế toán; cổng dịch vụ công"


def test_a_system_named_twice_is_linked_once():
    assert affected.match_systems("MAIL, mail, Hệ thống thư điện tử công vụ tỉnh", SYSTEMS).ids == [1]


def test_servers_match_by_hostname_in_any_case_or_by_any_address():
    found = affected.match_servers("DC-MAIL-01\n10.0.0.8\nmáy trạm kế toán", SERVERS)
    assert found.ids == [7, 8] and found.text == "máy trạm kế toán"


def test_an_ipv6_address_matches_in_any_spelling():
    assert affected.match_servers("2001:DB8:0::0005", SERVERS).ids == [7]


def test_nothing_matches_when_there_are_no_records():
    found = affected.match_servers("dc-mail-01", [])
    assert found.ids == [] and found.text == "dc-mail-01"


# --- the migration ----------------------------------------------------------------------------

PREVIOUS, THIS = "7b2e9c4d1a30", "8c3f0d5e2b41"
NOW = datetime(2026, 11, 1, 8, 0)

# the tables as the previous revision has them (not the models, which may change later)
agency = sa.table("agency", *(sa.column(c) for c in ("id", "code", "name", "kind", "active", "created_at")))
user = sa.table("user_account", *(sa.column(c) for c in (
    "id", "username", "full_name", "role", "agency_id", "password_hash", "active", "created_at")))
system = sa.table("information_system", *(sa.column(c) for c in (
    "id", "code", "name", "level", "owner_agency_id", "operator", "purpose", "description", "information_kind",
    "served", "classification_notes", "level_decision", "level_approver", "hosting", "created_at", "updated_at",
    "version")), sa.column("domains", sa.JSON), sa.column("public_addresses", sa.JSON))
server = sa.table("server", *(sa.column(c) for c in (
    "id", "hostname", "agency_id", "kind", "operating_system", "role", "data_centre", "rack", "baseline_ports",
    "antivirus_expected", "agent_expected", "created_at", "updated_at", "version")), sa.column("addresses", sa.JSON))
incident = sa.table("incident", *(sa.column(c) for c in (
    "id", "reference", "title", "description", "category", "sub_type", "severity", "priority", "tlp", "status",
    "source", "agency_id", "affected_systems", "affected_servers", "discovered_at", "reported_at", "reporter_id",
    "created_at", "updated_at", "resolution", "version")))
incident_system = sa.table("incident_system", sa.column("incident_id"), sa.column("system_id"))
incident_server = sa.table("incident_server", sa.column("incident_id"), sa.column("server_id"))


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A database with no tables: a new SQLite file, or a new PostgreSQL database."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrate.sqlite'}"
        return
    from tests.conftest import _drop_pg_database, _make_pg_database

    base = os.environ["CSIRT_TEST_DATABASE_URL"]
    url, name = _make_pg_database(base)
    yield url.render_as_string(hide_password=False)
    _drop_pg_database(base, name)


def _system(ident, code, name):
    return dict(id=ident, code=code, name=name, level=3, owner_agency_id=1, operator="", purpose="", description="",
                information_kind="internal", served="internal", classification_notes="", level_decision="",
                level_approver="", hosting="", created_at=NOW, updated_at=NOW, version=1, domains=[],
                public_addresses=[])


def _server(ident, hostname, addresses):
    return dict(id=ident, hostname=hostname, agency_id=1, kind="virtual", operating_system="", role="",
                data_centre="", rack="", baseline_ports="", antivirus_expected="", agent_expected="",
                created_at=NOW, updated_at=NOW, version=1, addresses=addresses)


def _incident(ident, systems_text, servers_text):
    return dict(id=ident, reference=f"LC-2026-{ident:04d}", title=f"Sự cố {ident}", description="",
                category="malware", sub_type="", severity="ordinary", priority="P3", tlp="AMBER", status="new",
                source="manual", agency_id=1, affected_systems=systems_text, affected_servers=servers_text,
                discovered_at=NOW, reported_at=NOW, reporter_id=1, created_at=NOW, updated_at=NOW, resolution="",
                version=1)


def _links(conn):
    return (sorted(conn.execute(sa.select(incident_system.c.incident_id, incident_system.c.system_id)).all()),
            sorted(conn.execute(sa.select(incident_server.c.incident_id, incident_server.c.server_id)).all()))


def _texts(conn):
    rows = conn.execute(sa.select(incident.c.id, incident.c.affected_systems, incident.c.affected_servers)
                        .order_by(incident.c.id)).all()
    return {i: (a, b) for i, a, b in rows}


def test_the_migration_links_named_systems_and_servers_keeps_the_rest_and_downgrades(empty_database, tmp_path):
    from flask_migrate import downgrade, upgrade

    app = create_app(TestConfig(empty_database, tmp_path / "instance"))
    with app.app_context():
        upgrade(revision=PREVIOUS)
        with _db.engine.begin() as conn:
            conn.execute(agency.insert(), [dict(id=1, code="STTTT", name="Sở TT&TT", kind="department", active=True,
                                                created_at=NOW)])
            conn.execute(user.insert(), [dict(id=1, username="an", full_name="An", role="coordinator", agency_id=1,
                                              password_hash="x", active=True, created_at=NOW)])
            conn.execute(system.insert(), [_system(1, "MAIL", "Hệ thống thư điện tử công vụ tỉnh"),
                                           _system(2, "IGATE", "Cổng dịch vụ công")])
            conn.execute(server.insert(), [_server(7, "dc-mail-01", ["10.0.0.5"]),
                                           _server(8, "dc-web-01", ["10.0.0.8", "2001:db8::8"])])
            conn.execute(incident.insert(), [
                _incident(1, "mail; Phần mềm kế toán", "DC-MAIL-01, máy trạm phòng tài vụ"),
                _incident(2, "Cổng dịch vụ công\nMAIL", "10.0.0.8"),
                _incident(3, "Hệ thống cũ không còn dùng", "server-không-rõ"),
                _incident(4, "", ""),
            ])
        upgrade(revision=THIS)
        with _db.engine.connect() as conn:
            systems_links, servers_links = _links(conn)
            texts = _texts(conn)
        assert systems_links == [(1, 1), (2, 1), (2, 2)]
        assert servers_links == [(1, 7), (2, 8)]
        assert texts == {1: ("Phần mềm kế toán", "máy trạm phòng tài vụ"), 2: ("", ""),
                         3: ("Hệ thống cũ không còn dùng", "server-không-rõ"), 4: ("", "")}

        downgrade(revision=PREVIOUS)
        with _db.engine.connect() as conn:
            assert _links(conn) == ([], [])
            texts = _texts(conn)
        # the linked records come back as their codes and hostnames, in front of what was left
        assert texts == {1: ("MAIL; Phần mềm kế toán", "dc-mail-01; máy trạm phòng tài vụ"),
                         2: ("IGATE; MAIL", "dc-web-01"),
                         3: ("Hệ thống cũ không còn dùng", "server-không-rõ"), 4: ("", "")}

        upgrade(revision=THIS)  # and up again: the codes written back are matched again
        with _db.engine.connect() as conn:
            assert _links(conn) == (systems_links, servers_links)
            assert _texts(conn)[1] == ("Phần mềm kế toán", "máy trạm phòng tài vụ")
        _db.engine.dispose()
