"""Evidence files on disk: random names outside the web root, SHA-256 computed while streaming."""
import hashlib
import os
import secrets
from pathlib import Path

from flask import current_app

CHUNK = 64 * 1024


def folder():
    path = Path(current_app.config["UPLOAD_FOLDER"])
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def path_of(stored_name):
    # stored names are generated here (hex only); refuse anything else defensively
    if not stored_name or not all(c in "0123456789abcdef" for c in stored_name):
        raise ValueError("invalid stored name")
    return folder() / stored_name


def save_stream(stream, max_bytes):
    """Copy `stream` into a new file. Returns (stored_name, size, sha256).
    Raises OSError on a disk error and ValueError when the stream exceeds `max_bytes`;
    nothing is left on disk in either case."""
    stored_name = secrets.token_hex(20)
    final = path_of(stored_name)
    partial = final.with_name(stored_name + ".part")
    digest = hashlib.sha256()
    size = 0
    try:
        with open(partial, "xb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise ValueError("too large")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return stored_name, size, digest.hexdigest()


def sha256_of(stored_name):
    digest = hashlib.sha256()
    with open(path_of(stored_name), "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def remove(stored_name):
    try:
        path_of(stored_name).unlink(missing_ok=True)
    except ValueError:
        pass
