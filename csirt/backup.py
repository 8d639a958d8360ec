"""Backup and restore: every table as JSON lines plus the evidence files, in one tar.gz.

Portable between SQLite and PostgreSQL (a backup of one restores into the other). Restore needs
an empty, upgraded database; it checks every evidence file against its SHA-256 before it
commits, so a damaged archive changes nothing.
"""
import base64
import datetime
import hashlib
import io
import json
import tarfile

from sqlalchemy import func, text

from .about import version
from .extensions import db

FORMAT = 1


class BackupError(Exception):
    pass


def _encode(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return {"$dt": value.isoformat()}
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode()}
    return value


def _decode(value, column):
    if isinstance(value, dict) and "$dt" in value:
        parsed = datetime.datetime.fromisoformat(value["$dt"])
        return parsed.date() if column.type.python_type is datetime.date else parsed
    if isinstance(value, dict) and "$b64" in value:
        return base64.b64decode(value["$b64"])
    return value


def _tables():
    return [t for t in db.metadata.sorted_tables]


def _add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.datetime.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def create_backup(path):
    """Write the archive to `path`; returns a dict of row counts per table."""
    from .incidents.models import Evidence
    from .storage import folder

    counts = {}
    with tarfile.open(path, "w:gz") as tar:
        for table in _tables():
            lines = []
            for row in db.session.execute(table.select().order_by(*table.primary_key.columns)).mappings():
                lines.append(json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False))
            counts[table.name] = len(lines)
            _add(tar, f"tables/{table.name}.jsonl", ("\n".join(lines) + "\n" if lines else "").encode())
        for item in db.session.execute(db.select(Evidence.stored_name)).scalars():
            source = folder() / item
            if source.exists():
                tar.add(source, arcname=f"evidence/{item}")
        manifest = {"format": FORMAT, "app_version": version(), "counts": counts,
                    "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat()}
        _add(tar, "manifest.json", json.dumps(manifest, indent=2).encode())
    return counts


def restore_backup(path):
    """Load the archive into the current, empty database and evidence folder."""
    from .incidents.models import Evidence
    from .storage import folder

    for table in _tables():
        if db.session.execute(db.select(func.count()).select_from(table)).scalar():
            raise BackupError(f"the database is not empty (table {table.name}); restore needs an empty database")
    written = []
    try:
        with tarfile.open(path, "r:gz") as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
            if manifest.get("format") != FORMAT:
                raise BackupError("unknown backup format")
            for table in _tables():
                member = tar.extractfile(f"tables/{table.name}.jsonl")
                rows = [json.loads(line) for line in member.read().decode().splitlines() if line.strip()]
                columns = {c.name: c for c in table.columns}
                decoded = [{k: _decode(v, columns[k]) for k, v in row.items() if k in columns} for row in rows]
                if decoded:
                    db.session.execute(table.insert(), decoded)
            db.session.flush()
            for item in db.session.execute(db.select(Evidence)).scalars():
                data = tar.extractfile(f"evidence/{item.stored_name}").read()
                if hashlib.sha256(data).hexdigest() != item.sha256:
                    raise BackupError(f"evidence {item.id} does not match its SHA-256")
                target = folder() / item.stored_name
                target.write_bytes(data)
                written.append(target)
        _reset_sequences()
        db.session.commit()
    except (KeyError, tarfile.TarError, json.JSONDecodeError) as err:
        db.session.rollback()
        for target in written:
            target.unlink(missing_ok=True)
        raise BackupError(f"the archive is damaged or incomplete: {err}") from None
    except BaseException:
        db.session.rollback()
        for target in written:
            target.unlink(missing_ok=True)
        raise
    return manifest["counts"]


def _reset_sequences():
    """PostgreSQL: move each serial sequence past the restored ids."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in _tables():
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or pk[0].type.python_type is not int or not pk[0].autoincrement:
            continue
        seq = db.session.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                 {"t": table.name, "c": pk[0].name}).scalar()
        if seq:
            highest = db.session.execute(db.select(func.max(pk[0]))).scalar() or 0
            db.session.execute(text("SELECT setval(:seq, :next, false)"), {"seq": seq, "next": highest + 1})


