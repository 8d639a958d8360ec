#!/usr/bin/env python3
"""Refresh the catalogs and fill Vietnamese translations, safely when several people (or
sessions) work in one checkout at once: everything runs under one lock file.

    .venv/bin/python scripts/translate.py                 # extract, update, compile
    .venv/bin/python scripts/translate.py pairs.json      # also fill {"English msgid": "bản dịch"}
    .venv/bin/python scripts/translate.py --missing       # list the msgids still untranslated

A plural entry takes a list of two strings in pairs.json (Vietnamese uses the first for both).
"""
import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "csirt/translations/vi/LC_MESSAGES/messages.po"
LOCK = ROOT / ".i18n.lock"


def _refresh(compile_too=True):
    """Extract and update the catalogs (and compile them): scripts/i18n.sh, or its first two
    steps when a half-made entry would stop the compile before it can be fixed."""
    env = dict(os.environ, I18N_NO_COMPILE="" if compile_too else "1")
    done = subprocess.run(["bash", str(ROOT / "scripts/i18n.sh")], capture_output=True, text=True, env=env)
    if done.returncode:
        sys.exit(done.stdout + done.stderr)


def _missing(catalog):
    return [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string))
                                                or m.fuzzy)]


def main(argv):
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _refresh(compile_too=not argv or argv[0] == "--missing")
        with open(PO, "rb") as handle:
            catalog = read_po(handle, locale="vi")
        if argv and argv[0] != "--missing":
            pairs = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
            for msgid, text in pairs.items():
                key = msgid
                message = catalog.get(key)
                if message is None:  # a plural entry is keyed by its singular
                    message = next((m for m in catalog if isinstance(m.id, tuple) and m.id[0] == msgid), None)
                if message is None:
                    print(f"not in the catalog (yet?): {msgid!r}", file=sys.stderr)
                    continue
                if isinstance(message.id, tuple):
                    message.string = tuple(text) if isinstance(text, list) else (text, text)
                else:
                    message.string = text
                message.flags.discard("fuzzy")
            with open(PO, "wb") as handle:
                write_po(handle, catalog, width=100, ignore_obsolete=True)
            _refresh()
            with open(PO, "rb") as handle:
                catalog = read_po(handle, locale="vi")
        missing = _missing(catalog)
        for msgid in missing:
            print(f"untranslated: {msgid!r}")
        return 1 if missing and argv and argv[0] == "--missing" else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
