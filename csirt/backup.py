"""Backup and restore: every table as JSON lines plus the evidence files, in one tar.gz.

Archive (format 2; format 1 archives still restore):
  tables/<table>.jsonl     one JSON object per row, in primary-key order
  evidence/<stored name>   each evidence file under the name the store gave it: incident evidence
                           and the protection layers' evidence (`EVIDENCE_TABLES`), one folder
  manifest.json            format, app version, row counts, and `missing_evidence`: the evidence
                           whose file could not be archived (id, stored name, sha256, reason; and
                           `table` for a row of another table than incident evidence)

One snapshot: every table is read in one transaction (PostgreSQL: REPEATABLE READ, read only;
SQLite: one read transaction, so WAL gives one snapshot), so no row points at a parent the archive
lacks and no reference counter is behind its references, however busy the desk is meanwhile.

Restore treats the archive as hostile: it accepts only regular files named as above (no links,
devices, absolute or `..` names, nothing else), only evidence names the store itself makes,
refuses the whole archive on the first bad entry, checks every evidence file's size and SHA-256
while writing it to a temporary name, renames the files into place just before the single commit,
and removes everything it wrote on any failure. Portable between SQLite and PostgreSQL.
"""
import base64
import contextlib
import datetime
import gzip
import hashlib
import io
import json
import os
import secrets
import stat
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from . import storage
from .about import version
from .extensions import db

FORMAT = 2
READABLE_FORMATS = (1, 2)
MAX_ROW_BYTES = 16 * 1024 * 1024  # one table row (one JSON line), and the manifest
BATCH = 500
# Tables a migration fills in an empty database (the rules of the regimes in force): restore
# accepts them non-empty, and replaces their rows with the archive's when the archive has them.
SEEDED_TABLES = ("rule",)
_SHA256_CHARS = frozenset("0123456789abcdef")


class BackupError(Exception):
    """A backup or restore that cannot go on; `missing` lists the evidence concerned, if any."""

    def __init__(self, message, missing=()):
        super().__init__(message)
        self.missing = list(missing)


@dataclass
class Report:
    """What a backup wrote or a restore loaded: rows per table, and the evidence files that are
    not in the archive (backup) or were not restored (restore), each a dict with id,
    stored_name, sha256 and reason."""

    counts: dict
    missing: list = field(default_factory=list)


def describe(entry):
    """One line naming a missing evidence file, for messages and the command's output."""
    return (f"{_what(entry.get('table'))} {entry['id']} (stored name {entry['stored_name']}, "
            f"sha256 {entry['sha256']}): {entry.get('reason', 'missing')}")


def _what(table_name):
    """How messages name a row of an evidence table ("evidence" for incident evidence)."""
    return "layer evidence" if table_name == "layer_evidence" else "evidence"


def _evidence_tables():
    """The tables whose rows name a file in the evidence store (`storage.py`)."""
    from .incidents.models import Evidence
    from .systems.models import LayerEvidence

    return (Evidence.__table__, LayerEvidence.__table__)


def _evidence_rows(conn):
    """(table, id, stored_name, sha256, size) of every evidence row, table by table, by id."""
    rows = []
    for table in _evidence_tables():
        query = sa.select(sa.literal(table.name).label("table"), table.c.id, table.c.stored_name, table.c.sha256,
                          table.c.size).order_by(table.c.id)
        rows.extend(conn.execute(query).all())
    return rows


def _entry(row, **more):
    """A missing-evidence entry for `row`; incident evidence keeps format 2's keys exactly."""
    entry = {"id": row.id, "stored_name": row.stored_name, "sha256": row.sha256}
    if row.table != "evidence":
        entry["table"] = row.table
    return {**entry, **more}


# --- backup ----------------------------------------------------------------------------------

def create_backup(path):
    """Write the archive to `path` (mode 0600, written under a temporary name and renamed when
    complete). Every evidence file that cannot be archived whole is recorded in the manifest and
    in the returned Report's `missing`; the backup is still written."""
    path = Path(path)
    partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
    counts, missing = {}, []
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz") as tar, _snapshot() as conn:
                for table in db.metadata.sorted_tables:
                    counts[table.name] = _add_table(tar, conn, table)
                for row in _evidence_rows(conn):
                    reason = _add_evidence(tar, row)
                    if reason:
                        missing.append(_entry(row, reason=reason))
                manifest = {"format": FORMAT, "app_version": version(), "database": conn.dialect.name,
                            "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                            "counts": counts, "missing_evidence": missing}
                _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False).encode())
            raw.flush()
            os.fsync(raw.fileno())  # the whole archive, gzip trailer included, is on disk before the rename
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Report(counts, missing)


@contextlib.contextmanager
def _snapshot():
    """A connection of its own whose reads all see one committed state of the database."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            conn.begin()
        elif conn.dialect.name == "sqlite":
            # pysqlite opens no transaction for a SELECT, so each statement would read a state of
            # its own; after an explicit BEGIN the first read fixes one WAL snapshot for all.
            conn.exec_driver_sql("BEGIN")
        else:
            conn.begin()
        try:
            yield conn
        finally:
            conn.rollback()


def _add_table(tar, conn, table):
    count = 0
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        query = table.select().order_by(*table.primary_key.columns).execution_options(yield_per=BATCH)
        for row in conn.execute(query).mappings():
            spool.write(json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False).encode())
            spool.write(b"\n")
            count += 1
        info = _info(f"tables/{table.name}.jsonl", spool.tell())
        spool.seek(0)
        tar.addfile(info, spool)
    return count


def _add_evidence(tar, row):
    """Add one evidence file, hashing it on the way; returns why it is not archived whole, or None."""
    if not storage.is_stored_name(row.stored_name):
        return "invalid stored name"
    try:
        fd = os.open(storage.path_of(row.stored_name), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return "file missing from the evidence folder"
    except OSError as err:
        return f"file unreadable: {err.strerror}"
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            return "not a regular file"
        reader = _Hashing(handle)
        tar.addfile(_info(f"evidence/{row.stored_name}", status.st_size), reader)
    if reader.hexdigest() != row.sha256:
        # already in the archive, but restore will not write it: it is not the evidence recorded
        return "file no longer matches its SHA-256"
    return None


class _Hashing:
    def __init__(self, handle):
        self.handle, self.digest = handle, hashlib.sha256()

    def read(self, size=-1):
        chunk = self.handle.read(size)
        self.digest.update(chunk)
        return chunk

    def hexdigest(self):
        return self.digest.hexdigest()


def _info(name, size):
    info = tarfile.TarInfo(name)
    info.size, info.mode = size, 0o600
    info.mtime = int(datetime.datetime.now().timestamp())
    return info


def _add_bytes(tar, name, data):
    tar.addfile(_info(name, len(data)), io.BytesIO(data))


def _encode(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return {"$dt": value.isoformat()}
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode()}
    return value


# --- restore ---------------------------------------------------------------------------------

def restore_backup(path, allow_missing=False):
    """Load the archive into the current, empty database (its migrations' seeded rules aside:
    `SEEDED_TABLES`) and the evidence folder.

    Refuses the whole archive (nothing written, nothing committed) on any bad entry. Evidence
    whose file the archive lacks, recorded in its manifest or not, is refused too unless
    `allow_missing`: then its row is restored without the file and listed in the Report."""
    if not Path(path).is_file():
        raise BackupError(f"no backup file at {path}")
    for table in db.metadata.sorted_tables:
        if table.name in SEEDED_TABLES:
            continue
        if db.session.execute(sa.select(sa.func.count()).select_from(table)).scalar():
            raise BackupError(f"the database is not empty (table {table.name}); restore needs an empty database")
    placed = []  # (temporary, final) paths of the files this restore wrote
    try:
        with tarfile.open(path, "r:gz") as tar:
            plan = _Plan(tar)
            for table in db.metadata.sorted_tables:
                if table.name in SEEDED_TABLES and table.name in plan.tables:
                    db.session.execute(table.delete())  # the archive's rows replace the seed
            counts = {table.name: _load_table(tar, plan, table) for table in db.metadata.sorted_tables}
            wanted, skipped = _evidence_to_write(plan, allow_missing)
            for row, member in wanted:
                _write_evidence(tar, row, member, placed)
        _reset_sequences()
        db.session.flush()
        for index, (temporary, final) in enumerate(placed):
            if temporary is not None:
                os.replace(temporary, final)
                placed[index] = (None, final)
        db.session.commit()
        from .rules import lookup

        lookup.forget()  # the restored rules count at once
    except BaseException as err:
        db.session.rollback()
        for temporary, final in placed:
            (temporary or final).unlink(missing_ok=True)
        if isinstance(err, BackupError):
            raise
        if isinstance(err, (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile)):
            raise BackupError(f"the archive is damaged or incomplete: {err}") from None
        if isinstance(err, SQLAlchemyError):
            detail = str(getattr(err, "orig", None) or err).splitlines()[0]
            raise BackupError(f"the database refused the archive's rows: {detail}") from None
        if isinstance(err, OSError):
            raise BackupError(f"the archive could not be read or the evidence files written: {err}") from None
        raise
    return Report(counts, skipped)


class _Plan:
    """The archive's members, checked before anything is loaded, and its manifest."""

    def __init__(self, tar):
        tables = {table.name for table in db.metadata.sorted_tables}
        self.tables, self.evidence, manifest, seen = {}, {}, None, set()
        for member in tar.getmembers():
            name = member.name
            if not member.isreg():
                raise BackupError(f"archive member {name!r} is {_kind(member)}; a backup holds only regular files")
            if name in seen:
                raise BackupError(f"archive member {name!r} appears twice")
            seen.add(name)
            directory, _, base = name.partition("/")
            if name == "manifest.json":
                manifest = member
            elif directory == "tables" and base.endswith(".jsonl") and base[:-6] in tables:
                self.tables[base[:-6]] = member
            elif directory == "evidence" and storage.is_stored_name(base):
                self.evidence[base] = member
            else:
                raise BackupError(f"unexpected archive member {name!r}: a backup holds only manifest.json, "
                                  "tables/<table>.jsonl and evidence/<name made by the evidence store>")
        if manifest is None:
            raise BackupError("the archive has no manifest.json: it is not a csirt backup")
        self.manifest = _read_manifest(tar, manifest)
        for name in self.manifest["counts"]:
            if name not in tables:
                raise BackupError(f"the archive holds table {name!r}, which this version does not know; "
                                  "restore it with the version that made it")
            if name not in self.tables:
                raise BackupError(f"the archive is damaged or incomplete: tables/{name}.jsonl is absent")
        self.missing = {entry["stored_name"]: entry for entry in self.manifest["missing_evidence"]}


def _kind(member):
    if member.issym():
        return "a symbolic link"
    if member.islnk():
        return "a hard link"
    if member.ischr() or member.isblk():
        return "a device"
    if member.isdir():
        return "a folder"
    return "not a regular file"


def _read_manifest(tar, member):
    if member.size > MAX_ROW_BYTES:
        raise BackupError("manifest.json is too large")
    try:
        manifest = json.loads(tar.extractfile(member).read())
    except (ValueError, RecursionError):
        raise BackupError("manifest.json is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") not in READABLE_FORMATS:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise BackupError(f"unknown backup format {found!r}; this version restores formats "
                          + ", ".join(map(str, READABLE_FORMATS)))
    counts = manifest.get("counts")
    if not isinstance(counts, dict) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                                               for n in counts.values()):
        raise BackupError("manifest.json has no valid row counts")
    missing = manifest.setdefault("missing_evidence", [])
    if not isinstance(missing, list) or not all(_valid_missing(entry) for entry in missing):
        raise BackupError("manifest.json has an invalid missing_evidence list")
    for entry in missing:  # printed to the admin's terminal: no control characters
        entry["reason"] = "".join(ch for ch in entry.get("reason") or "missing" if ch.isprintable())[:200]
    return manifest


def _valid_missing(entry):
    return (isinstance(entry, dict) and isinstance(entry.get("id"), int)
            and storage.is_stored_name(entry.get("stored_name"))
            and isinstance(entry.get("sha256"), str) and len(entry["sha256"]) == 64
            and set(entry["sha256"]) <= _SHA256_CHARS and isinstance(entry.get("reason", ""), str)
            and entry.get("table", "evidence") in ("evidence", "layer_evidence"))


def _load_table(tar, plan, table):
    """Insert the rows of one table; returns how many."""
    member = plan.tables.get(table.name)
    if member is None:  # a table that did not exist when the archive was made
        return 0
    columns = {column.name: column for column in table.columns}
    where = f"tables/{table.name}.jsonl"
    reader, count, batch = tar.extractfile(member), 0, []
    while True:
        line = reader.readline(MAX_ROW_BYTES + 1)
        if not line:
            break
        if len(line) > MAX_ROW_BYTES:
            raise BackupError(f"{where} row {count + 1} is larger than {MAX_ROW_BYTES // 2 ** 20} MiB")
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):
            raise BackupError(f"{where} row {count + 1} is not valid JSON") from None
        if not isinstance(row, dict):
            raise BackupError(f"{where} row {count + 1} is not a JSON object")
        unknown = sorted(set(row) - set(columns))
        if unknown:
            raise BackupError(f"{where} row {count + 1} has columns this version does not know: {unknown}")
        row = {key: _decode(value, columns[key], where, count + 1) for key, value in row.items()}
        batch.append(_upgrade_row(table.name, row))
        count += 1
        if len(batch) == BATCH:
            db.session.execute(table.insert(), batch)
            batch = []
    if batch:
        db.session.execute(table.insert(), batch)
    if count != plan.manifest["counts"].get(table.name, count):
        raise BackupError(f"the archive is damaged or incomplete: {where} has {count} rows, "
                          f"its manifest says {plan.manifest['counts'][table.name]}")
    return count


def _upgrade_row(table_name, row):
    """A row of an archive made before a column existed, given what the migration that added the
    column gave the existing rows (today: `rule.applies_to`, migration f1a2b3c4d5e7)."""
    if table_name == "rule" and "applies_to" not in row:
        from .rules.seed import APPLIES_TO

        row["applies_to"] = APPLIES_TO.get((row.get("regime"), row.get("key")), "all")
    return row


def _decode(value, column, where, number):
    if isinstance(value, dict) and isinstance(column.type, (sa.DateTime, sa.Date)) and "$dt" in value:
        try:
            parsed = datetime.datetime.fromisoformat(value["$dt"])
        except (TypeError, ValueError):
            raise BackupError(f"{where} row {number}: {column.name} is not a date") from None
        return parsed if isinstance(column.type, sa.DateTime) else parsed.date()
    if isinstance(value, dict) and isinstance(column.type, sa.LargeBinary) and "$b64" in value:
        try:
            return base64.b64decode(value["$b64"], validate=True)
        except (TypeError, ValueError):
            raise BackupError(f"{where} row {number}: {column.name} is not base64") from None
    return value


def _evidence_to_write(plan, allow_missing):
    """[(row, member)] to write, and the evidence that will have no file; refuses bad names,
    files without a row, and (unless allowed) rows without a file."""
    rows = _evidence_rows(db.session)
    for row in rows:
        if not storage.is_stored_name(row.stored_name):
            raise BackupError(f"{_what(row.table)} {row.id} has a stored name the evidence store cannot have made "
                              f"({row.stored_name!r}); the archive is refused")
    names = {row.stored_name for row in rows}
    for name in plan.evidence:
        if name not in names:
            raise BackupError(f"archive member evidence/{name} belongs to no evidence row")
    wanted, skipped = [], []
    for row in rows:
        entry = _entry(row)
        if row.stored_name in plan.missing:
            skipped.append({**entry, "reason": plan.missing[row.stored_name]["reason"]})
        elif row.stored_name not in plan.evidence:
            skipped.append({**entry, "reason": "absent from the archive (not recorded in its manifest)"})
        else:
            wanted.append((row, plan.evidence[row.stored_name]))
    if skipped and not allow_missing:
        shown = "; ".join(describe(entry) for entry in skipped[:10])
        more = f"; and {len(skipped) - 10} more" if len(skipped) > 10 else ""
        raise BackupError(f"{len(skipped)} evidence file(s) are not in this backup: {shown}{more}. "
                          "Nothing was restored; restore the rest with --allow-missing", missing=skipped)
    return wanted, skipped


def _write_evidence(tar, row, member, placed):
    """Copy one member to a temporary name beside its final place, checking size and SHA-256."""
    if member.size != row.size:
        raise BackupError(f"{_what(row.table)} {row.id}: the archived file has {member.size} bytes, "
                          f"its row says {row.size}")
    folder = storage.folder().resolve()
    final = storage.path_of(row.stored_name)
    if final.resolve().parent != folder or final.is_symlink():
        raise BackupError(f"{_what(row.table)} {row.id}: {final} does not lie inside the evidence folder")
    if final.exists():
        if storage.sha256_of(row.stored_name) == row.sha256:
            return  # the same file survived: keep it, and never remove it
        raise BackupError(f"the evidence folder already holds a different file named {row.stored_name}; "
                          "move it away and restore again")
    temporary = folder / f"{row.stored_name}.restore-{secrets.token_hex(4)}.part"
    digest, source = hashlib.sha256(), tar.extractfile(member)
    with open(temporary, "xb") as out:
        placed.append((temporary, final))
        for chunk in iter(lambda: source.read(storage.CHUNK), b""):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != row.sha256:
        raise BackupError(f"{_what(row.table)} {row.id} does not match its SHA-256; the archive is damaged")


def _reset_sequences():
    """PostgreSQL: move each serial sequence past the restored ids."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or pk[0].type.python_type is not int or not pk[0].autoincrement:
            continue
        seq = db.session.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                 {"t": table.name, "c": pk[0].name}).scalar()
        if seq:
            highest = db.session.execute(sa.select(sa.func.max(pk[0]))).scalar() or 0
            db.session.execute(sa.text("SELECT setval(:seq, :next, false)"), {"seq": seq, "next": highest + 1})
