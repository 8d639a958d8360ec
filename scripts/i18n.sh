#!/usr/bin/env bash
# Refresh the translation catalogs: extract every message id from the code and templates into
# csirt/translations/messages.pot, merge it into the vi and en catalogs, compile the .mo files.
# Run from anywhere; translate the new (empty or fuzzy) entries of vi/messages.po afterwards.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYBABEL="${PYBABEL:-$ROOT/.venv/bin/pybabel}"
if [ ! -x "$PYBABEL" ]; then
  PYBABEL="$(command -v pybabel)"
fi
TRANSLATIONS=csirt/translations

"$PYBABEL" extract -F babel.cfg -k _l -k lazy_gettext -o "$TRANSLATIONS/messages.pot" .
"$PYBABEL" update -i "$TRANSLATIONS/messages.pot" -d "$TRANSLATIONS"
"$PYBABEL" compile --statistics -d "$TRANSLATIONS"
