"""Backup and restore: same rows and evidence back, one consistent snapshot under load, missing
evidence reported and recorded, and hostile archives refused whole with nothing written."""
import hashlib
import io
import json
import os
import re
import tarfile
import threading
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from csirt import create_app
from csirt.backup import BackupError, create_backup, restore_backup
from csirt.config import TestConfig
from csirt.extensions import db as _db
from csirt.incidents import evidence as evidence_service
from csirt.incidents import services
from csirt.incidents.models import Evidence, Incident, ReferenceCounter, TimelineEntry

PAYLOADS = (b"syslog: failed password for root\n" * 60, b"\x89PCAP captured bytes\x00" * 90)


@pytest.fixture
def fresh_database(database_url, tmp_path):
    """The URL of a database with no tables: a new SQLite file, or a new PostgreSQL database."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    from tests.conftest import _drop_pg_database, _make_pg_database

    base = os.environ["CSIRT_TEST_DATABASE_URL"]
    url, name = _make_pg_database(base)
    yield url.render_as_string(hide_password=False)
    _drop_pg_database(base, name)


def empty_everything(app):
    """Every table and the evidence folder emptied, as on a server about to be restored."""
    _db.session.rollback()
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())
    _db.session.expire_all()
    folder = Path(app.config["UPLOAD_FOLDER"])
    for path in folder.iterdir() if folder.exists() else ():
        path.unlink()


def rows_anywhere():
    count = lambda t: _db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar()  # noqa: E731
    return {table.name: n for table in _db.metadata.sorted_tables if (n := count(table))}


def files_under(root):
    return {p for p in Path(root).rglob("*") if not p.is_dir()}


def read_archive(path):
    with tarfile.open(path, "r:gz") as tar:
        return [(member.name, tar.extractfile(member).read()) for member in tar.getmembers()]


def write_archive(path, entries):
    """entries: (name, bytes) for regular files, or a ready TarInfo (links, devices)."""
    with tarfile.open(path, "w:gz") as tar:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tar.addfile(entry)
                continue
            name, data = entry
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def table_rows(entries, table):
    data = dict(entries)[f"tables/{table}.jsonl"]
    return [json.loads(line) for line in data.decode().splitlines() if line.strip()]


def with_table(entries, table, rows):
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    return [(name, data if name == f"tables/{table}.jsonl" else blob) for name, blob in entries]


def special(name, kind, target=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    if kind == tarfile.CHRTYPE:
        info.devmajor, info.devminor = 1, 3
    return info


@pytest.fixture
def seeded(app, make, tmp_path):
    """A real backup of an incident with two evidence files; then the database and the evidence
    folder are emptied, ready for a restore."""
    actor = make.user("coordinator")
    incident = make.incident(actor=actor, title="Mã độc trên máy trạm")
    items = [evidence_service.add_evidence(actor, incident, io.BytesIO(p), f"f{i}.bin") for i, p in enumerate(PAYLOADS)]
    names = [item.stored_name for item in items]
    archive = tmp_path / "good.tar.gz"
    create_backup(archive)
    entries = read_archive(archive)
    empty_everything(app)
    return SimpleNamespace(archive=archive, entries=entries, names=names,
                           folder=Path(app.config["UPLOAD_FOLDER"]))


# --- round trip ------------------------------------------------------------------------------

def test_backup_then_restore_gives_the_same_rows_and_evidence(app, db, make, tmp_path, fresh_database):
    actor = make.user("coordinator")
    incident = make.incident(actor=actor, title="Mã độc trên máy trạm")
    services.add_note(actor, incident, "Đã cô lập")
    payload = b"log line\n" * 100
    evidence_service.add_evidence(actor, incident, io.BytesIO(payload), "syslog.txt")
    archive = tmp_path / "backup.tar.gz"
    report = create_backup(archive)
    assert report.counts["incident"] == 1 and report.counts["evidence"] == 1 and report.missing == []
    assert archive.stat().st_mode & 0o077 == 0, "the archive holds password hashes: owner only"
    assert not list(tmp_path.glob("*.part"))

    # plain values only: an ORM object of this app touched inside the other app's context would
    # refresh through the other app's engine
    actor_id, user_model, reference, title = actor.id, type(actor), incident.reference, incident.title
    _db.session.commit()  # end this session's transaction before another app takes over
    other = create_app(TestConfig(fresh_database, tmp_path / "restored"))
    with other.app_context():
        from flask_migrate import upgrade

        from csirt.storage import path_of

        upgrade()
        restored_report = restore_backup(archive)
        assert restored_report.counts == report.counts and restored_report.missing == []
        restored = _db.session.execute(sa.select(Incident)).scalar_one()
        assert (restored.reference, restored.title) == (reference, title)
        assert _db.session.execute(sa.select(sa.func.count()).select_from(TimelineEntry)).scalar() == \
            report.counts["timeline_entry"]
        item = _db.session.execute(sa.select(Evidence)).scalar_one()
        assert hashlib.sha256(path_of(item.stored_name).read_bytes()).hexdigest() == item.sha256
        # the next incident gets a fresh id and the next reference (sequences moved on)
        nxt = services.open_incident(_db.session.get(user_model, actor_id), {
            "title": "Sau khôi phục", "category": "other", "discovered_at": restored.discovered_at})
        assert nxt.id > restored.id and nxt.reference != restored.reference
        _db.session.remove()
        _db.engine.dispose()


def test_restore_refuses_a_database_that_is_not_empty(app, make, tmp_path):
    make.user("admin")
    archive = tmp_path / "b.tar.gz"
    create_backup(archive)
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(archive)


def test_cli_backup_create_and_restore_round_trip(app, runner, seeded, tmp_path):
    result = runner.invoke(args=["backup", "restore", str(seeded.archive)])
    assert result.exit_code == 0, result.output
    assert "restored" in result.output
    again = tmp_path / "again.tar.gz"
    result = runner.invoke(args=["backup", "create", str(again)])
    assert result.exit_code == 0, result.output
    assert "2 evidence file(s)" in result.output and "WARNING" not in result.output


# --- one snapshot under load -----------------------------------------------------------------

def test_a_backup_taken_while_incidents_are_logged_restores_whole(app, db, make, tmp_path, fresh_database,
                                                                   database_url):
    """Writer threads log incidents through the service all along; every SELECT of the backup
    waits until one more incident is committed, so writes land between any two table reads.
    Read in one snapshot, the archive still restores: no timeline row without its incident, no
    reference counter behind its references."""
    from csirt.clock import utcnow
    from csirt.team.models import User

    writers = 8 if database_url.startswith("postgresql") else 4
    actor = make.user("coordinator")
    actor_id, agency_id = actor.id, actor.agency_id
    make.incident(actor=actor)
    _db.session.commit()
    changed, stop = threading.Condition(), threading.Event()
    state = {"commits": 0}
    errors, stalled = [], []

    def log_incidents(number):
        with app.app_context():
            try:
                user = _db.session.get(User, actor_id)
                while not stop.is_set():
                    services.open_incident(user, {"title": f"Sự cố song song {number}", "category": "malware",
                                                  "discovered_at": utcnow() - timedelta(hours=1),
                                                  "agency_id": agency_id})
                    with changed:
                        state["commits"] += 1
                        changed.notify_all()
            except Exception as err:  # noqa: BLE001 - reported by the assertion below
                errors.append(err)
                with changed:
                    changed.notify_all()
            finally:
                _db.session.remove()

    main = threading.current_thread()

    def interleave(conn, cursor, statement, *args):
        if threading.current_thread() is main and statement.lstrip().upper().startswith("SELECT"):
            with changed:
                seen = state["commits"]
                if not changed.wait_for(lambda: state["commits"] > seen or errors, timeout=60):
                    stalled.append(statement)

    threads = [threading.Thread(target=log_incidents, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    sa.event.listen(_db.engine, "before_cursor_execute", interleave)
    try:
        archive = tmp_path / "busy.tar.gz"
        report = create_backup(archive)
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", interleave)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == [] and stalled == []
    assert state["commits"] > len(_db.metadata.sorted_tables), "writes must land during the backup"

    other = create_app(TestConfig(fresh_database, tmp_path / "restored"))
    with other.app_context():
        from flask_migrate import upgrade

        upgrade()
        restore_backup(archive)  # the old per-table reads failed here: timeline rows without incident
        orphans = _db.session.execute(sa.select(sa.func.count()).select_from(TimelineEntry).where(
            TimelineEntry.incident_id.not_in(sa.select(Incident.id)))).scalar()
        assert orphans == 0
        references = _db.session.execute(sa.select(Incident.reference)).scalars().all()
        assert len(references) == report.counts["incident"] > 1
        counters = {(c.prefix, c.year): c.last for c in _db.session.execute(sa.select(ReferenceCounter)).scalars()}
        for reference in references:
            prefix, year, number = re.fullmatch(r"(.+)-(\d{4})-(\d+)", reference).groups()
            assert counters[(prefix, int(year))] >= int(number), f"counter behind {reference}"
        _db.session.remove()
        _db.engine.dispose()


# --- missing evidence ------------------------------------------------------------------------

@pytest.fixture
def one_file_gone(app, make):
    from csirt.storage import path_of

    actor = make.user("coordinator")
    incident = make.incident(actor=actor)
    kept, gone = (evidence_service.add_evidence(actor, incident, io.BytesIO(p), f"f{i}.bin")
                  for i, p in enumerate(PAYLOADS))
    path_of(gone.stored_name).unlink()
    return SimpleNamespace(kept=(kept.id, kept.stored_name, kept.sha256), gone=(gone.id, gone.stored_name, gone.sha256))


def test_backup_reports_a_missing_evidence_file_records_it_and_still_writes_the_archive(app, runner, tmp_path,
                                                                                        one_file_gone):
    gone_id, gone_name, gone_sha = one_file_gone.gone
    archive = tmp_path / "b.tar.gz"
    result = runner.invoke(args=["backup", "create", str(archive)])
    assert result.exit_code == 1, "a backup that lacks evidence must not look like a success"
    assert "NOT in this backup" in result.output and gone_name in result.output and gone_sha in result.output
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        evidence_members = [n for n in tar.getnames() if n.startswith("evidence/")]
    assert manifest["missing_evidence"] == [{"id": gone_id, "stored_name": gone_name, "sha256": gone_sha,
                                             "reason": "file missing from the evidence folder"}]
    assert evidence_members == [f"evidence/{one_file_gone.kept[1]}"]

    allowed = runner.invoke(args=["backup", "create", "--allow-missing", str(tmp_path / "c.tar.gz")])
    assert allowed.exit_code == 0 and gone_name in allowed.output, allowed.output


def test_restore_refuses_missing_evidence_naming_it_unless_allowed_then_restores_the_rest(app, runner, tmp_path,
                                                                                         one_file_gone):
    from csirt.storage import path_of, sha256_of

    archive = tmp_path / "b.tar.gz"
    create_backup(archive)
    empty_everything(app)
    with pytest.raises(BackupError, match="--allow-missing") as refused:
        restore_backup(archive)
    assert one_file_gone.gone[1] in str(refused.value) and one_file_gone.gone[2] in str(refused.value)
    assert rows_anywhere() == {} and files_under(app.config["UPLOAD_FOLDER"]) == set()
    result = runner.invoke(args=["backup", "restore", str(archive)])
    assert result.exit_code == 1 and one_file_gone.gone[1] in result.output

    result = runner.invoke(args=["backup", "restore", "--allow-missing", str(archive)])
    assert result.exit_code == 0, result.output
    assert "WARNING" in result.output and one_file_gone.gone[1] in result.output
    rows = {e.id: e for e in _db.session.execute(sa.select(Evidence)).scalars()}
    assert set(rows) == {one_file_gone.kept[0], one_file_gone.gone[0]}  # both rows, as on the server
    assert sha256_of(one_file_gone.kept[1]) == one_file_gone.kept[2]
    assert not path_of(one_file_gone.gone[1]).exists()


def test_restore_of_an_archive_lacking_an_unrecorded_file_needs_allow_missing(app, seeded, tmp_path):
    entries = [(n, d) for n, d in seeded.entries if n != f"evidence/{seeded.names[1]}"]
    archive = write_archive(tmp_path / "old-style.tar.gz", entries)
    with pytest.raises(BackupError, match="not recorded in its manifest"):
        restore_backup(archive)
    assert rows_anywhere() == {} and files_under(seeded.folder) == set()
    report = restore_backup(archive, allow_missing=True)
    assert [entry["stored_name"] for entry in report.missing] == [seeded.names[1]]
    assert {p.name for p in files_under(seeded.folder)} == {seeded.names[0]}


# --- hostile archives ------------------------------------------------------------------------

def _evidence_row_named(seeded, tmp_path, name, member_too):
    rows = table_rows(seeded.entries, "evidence")
    original = rows[0]["stored_name"]
    rows[0]["stored_name"] = name
    entries = with_table(seeded.entries, "evidence", rows)
    if member_too:  # the file under the hostile name, with the right content and hash
        entries = [(f"evidence/{name}" if n == f"evidence/{original}" else n, d) for n, d in entries]
    return entries


def _swap_member(seeded, index, replacement):
    name = f"evidence/{seeded.names[index]}"
    return [replacement(name) if n == name else (n, d) for n, d in seeded.entries]


HOSTILE = {
    # name: (how to make the archive's entries from (seeded, tmp_path), what the error says)
    "row stored_name ../../x": (lambda s, t: _evidence_row_named(s, t, "../../x", False), "stored name"),
    "row and member ../../x": (lambda s, t: _evidence_row_named(s, t, "../../x", True), "unexpected archive member"),
    "row and member absolute": (lambda s, t: _evidence_row_named(s, t, str(t / "cron.d" / "x"), True),
                                "unexpected archive member"),
    "extra member evidence/../../x": (lambda s, t: s.entries + [("evidence/../../x", b"* * * * * root sh\n")],
                                      "unexpected archive member"),
    "extra absolute member": (lambda s, t: s.entries + [(str(t / "cron.d" / "x"), b"* * * * * root sh\n")],
                              "unexpected archive member"),
    "symlink member": (lambda s, t: _swap_member(s, 0, lambda n: special(n, tarfile.SYMTYPE, str(t / "secret"))),
                       "symbolic link"),
    "hardlink member": (lambda s, t: _swap_member(s, 0, lambda n: special(n, tarfile.LNKTYPE, str(t / "secret"))),
                        "hard link"),
    "device member": (lambda s, t: _swap_member(s, 0, lambda n: special(n, tarfile.CHRTYPE)), "device"),
    "huge table row": (lambda s, t: [(n, b'{"title": "' + b"a" * (17 * 2 ** 20) + b'"}\n'
                                      if n == "tables/incident.jsonl" else d) for n, d in s.entries], "larger than"),
    "table not JSON": (lambda s, t: [(n, b"DROP TABLE incident;\n" if n == "tables/agency.jsonl" else d)
                                     for n, d in s.entries], "not valid JSON"),
    "manifest wrong format": (lambda s, t: [(n, json.dumps({"format": 99, "counts": {}}).encode()
                                             if n == "manifest.json" else d) for n, d in s.entries],
                              "unknown backup format"),
    "manifest not an object": (lambda s, t: [(n, b"[1, 2]" if n == "manifest.json" else d) for n, d in s.entries],
                               "unknown backup format"),
    "member twice": (lambda s, t: s.entries + [e for e in s.entries if e[0] == "manifest.json"], "appears twice"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_restore_refuses_a_hostile_archive_whole_writing_nothing(app, seeded, tmp_path, case):
    build, message = HOSTILE[case]
    (tmp_path / "cron.d").mkdir()
    (tmp_path / "secret").write_text("not for the archive")
    entries = build(seeded, tmp_path)
    archive = write_archive(tmp_path / "hostile.tar.gz", entries)
    before = files_under(tmp_path)
    with pytest.raises(BackupError, match=message):
        restore_backup(archive)
    assert files_under(tmp_path) == before, "the restore wrote a file"
    assert not (tmp_path / "x").exists() and not (tmp_path / "cron.d" / "x").exists()
    assert (tmp_path / "secret").read_text() == "not for the archive"
    assert files_under(seeded.folder) == set()
    assert rows_anywhere() == {}


def test_a_restore_failing_midway_removes_every_file_it_wrote_and_commits_nothing(app, seeded, tmp_path):
    damaged = _swap_member(seeded, 1, lambda n: (n, bytes(len(PAYLOADS[1]))))  # same size, other bytes
    with pytest.raises(BackupError, match="SHA-256"):
        restore_backup(write_archive(tmp_path / "damaged.tar.gz", damaged))
    assert files_under(seeded.folder) == set() and rows_anywhere() == {}


def test_a_restore_failing_at_commit_leaves_no_file(app, seeded, monkeypatch):
    def refuse():
        raise sa.exc.OperationalError("COMMIT", {}, Exception("connection lost"))

    monkeypatch.setattr(_db.session, "commit", refuse)
    with pytest.raises(BackupError):
        restore_backup(seeded.archive)
    monkeypatch.undo()
    assert files_under(seeded.folder) == set() and rows_anywhere() == {}


def test_a_failed_restore_never_removes_a_file_it_did_not_write(app, seeded, tmp_path):
    seeded.folder.mkdir(parents=True, exist_ok=True)
    survivor = seeded.folder / seeded.names[0]
    survivor.write_bytes(PAYLOADS[0])  # the same evidence file survived the disaster
    damaged = _swap_member(seeded, 1, lambda n: (n, bytes(len(PAYLOADS[1]))))
    with pytest.raises(BackupError, match="SHA-256"):
        restore_backup(write_archive(tmp_path / "damaged.tar.gz", damaged))
    assert survivor.read_bytes() == PAYLOADS[0]
    restore_backup(seeded.archive)  # and a good archive restores around it
    assert {p.name for p in files_under(seeded.folder)} == set(seeded.names)


def test_restore_refuses_to_overwrite_a_different_file_in_the_evidence_folder(app, seeded):
    seeded.folder.mkdir(parents=True, exist_ok=True)
    other = seeded.folder / seeded.names[0]
    other.write_bytes(b"something else")
    with pytest.raises(BackupError, match="different file"):
        restore_backup(seeded.archive)
    assert other.read_bytes() == b"something else" and rows_anywhere() == {}
    assert {p.name for p in files_under(seeded.folder)} == {seeded.names[0]}


# --- protection layers' evidence ---------------------------------------------------------------

LAYER_PAYLOADS = (b"%PDF-1.7 hop dong giam sat\n" * 40, b"%PDF-1.7 bien ban ket noi NCSC\n" * 70)


@pytest.fixture
def layer_files(app, make):
    """Two layer records of one system, each with an evidence file, beside one incident's evidence."""
    from datetime import date

    from csirt.systems import layers
    from csirt.systems.models import InformationSystem

    actor = make.user("coordinator")
    incident = make.incident(actor=actor)
    evidence_service.add_evidence(actor, incident, io.BytesIO(PAYLOADS[0]), "incident.log")
    target = InformationSystem(code="HT-IGATE", name="Cổng dịch vụ công", level=3, owner_agency_id=actor.agency_id)
    _db.session.add(target)
    _db.session.commit()
    items = []
    for layer, payload in zip((2, 4), LAYER_PAYLOADS, strict=True):
        record = layers.add_layer_record(actor, target.id, {"layer": layer, "provider": "VNPT Lào Cai",
                                                            "valid_from": date(2026, 1, 1)})
        upload = SimpleNamespace(stream=io.BytesIO(payload), filename=f"lop-{layer}.pdf", mimetype="application/pdf")
        items.append(layers.add_layer_evidence(actor, record.id, upload, "bản scan"))
    return [(item.id, item.stored_name, item.sha256) for item in items]


def test_layer_evidence_files_go_into_the_backup_and_come_back_verified(app, tmp_path, layer_files):
    from csirt.storage import path_of, sha256_of
    from csirt.systems.models import LayerEvidence

    archive = tmp_path / "layers.tar.gz"
    report = create_backup(archive)
    assert report.counts["layer_evidence"] == 2 and report.missing == []
    with tarfile.open(archive, "r:gz") as tar:
        members = {n for n in tar.getnames() if n.startswith("evidence/")}
    assert {f"evidence/{name}" for _id, name, _sha in layer_files} <= members and len(members) == 3

    empty_everything(app)
    restored = restore_backup(archive)
    assert restored.counts["layer_evidence"] == 2 and restored.missing == []
    rows = {e.id: (e.stored_name, e.sha256) for e in _db.session.execute(sa.select(LayerEvidence)).scalars()}
    assert rows == {i: (name, sha) for i, name, sha in layer_files}
    for _id, name, sha in layer_files:
        assert sha256_of(name) == sha and path_of(name).read_bytes() in LAYER_PAYLOADS


def test_a_missing_layer_evidence_file_is_reported_and_refused_on_restore_unless_allowed(app, tmp_path, layer_files):
    from csirt.storage import path_of

    gone_id, gone_name, gone_sha = layer_files[0]
    path_of(gone_name).unlink()
    archive = tmp_path / "b.tar.gz"
    report = create_backup(archive)
    assert report.missing == [{"id": gone_id, "stored_name": gone_name, "sha256": gone_sha, "table": "layer_evidence",
                               "reason": "file missing from the evidence folder"}]
    empty_everything(app)
    with pytest.raises(BackupError, match="layer evidence") as refused:
        restore_backup(archive)
    assert gone_name in str(refused.value)
    assert rows_anywhere() == {} and files_under(app.config["UPLOAD_FOLDER"]) == set()
    allowed = restore_backup(archive, allow_missing=True)
    assert [(e["table"], e["stored_name"]) for e in allowed.missing] == [("layer_evidence", gone_name)]
    assert not path_of(gone_name).exists() and path_of(layer_files[1][1]).exists()


def test_a_layer_evidence_file_changed_in_the_archive_is_refused_whole(app, tmp_path, layer_files):
    archive = tmp_path / "good.tar.gz"
    create_backup(archive)
    entries = read_archive(archive)
    empty_everything(app)
    name = f"evidence/{layer_files[1][1]}"
    tampered = [(n, (d[:-1] + b"!") if n == name else d) for n, d in entries]
    with pytest.raises(BackupError, match="layer evidence .* does not match its SHA-256"):
        restore_backup(write_archive(tmp_path / "bad.tar.gz", tampered))
    assert rows_anywhere() == {} and files_under(app.config["UPLOAD_FOLDER"]) == set()
