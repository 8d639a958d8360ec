"""The one file store: evidence of incidents, of protection layers, report files.

Files live under `UPLOAD_FOLDER` (outside the web root) with random names this module makes
(40 hex characters); the original name is kept only as data by the caller. SHA-256 is computed
while streaming in, a file is written whole or not at all, and `path_of` refuses any name this
module could not have made, so a name from a database row or an archive never leaves the folder.
"""
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


NAME_LENGTH = 40
_HEX = frozenset("0123456789abcdef")


def is_stored_name(name):
    """True for a name this store makes: exactly 40 lowercase hex characters."""
    return isinstance(name, str) and len(name) == NAME_LENGTH and set(name) <= _HEX


def path_of(stored_name):
    """The file of `stored_name`; ValueError for anything this store could not have named."""
    if not is_stored_name(stored_name):
        raise ValueError("invalid stored name")
    return folder() / stored_name


def save_stream(stream, max_bytes):
    """Copy `stream` into a new file. Returns (stored_name, size, sha256).
    Raises OSError on a disk error and ValueError when the stream exceeds `max_bytes`;
    nothing is left on disk in either case."""
    stored_name = secrets.token_hex(NAME_LENGTH // 2)
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
