#!/usr/bin/env bash
# Refresh the translation catalogs: extract every message id from the code and templates into
# csirt/translations/messages.pot, merge it into the vi and en catalogs, compile the .mo files.
# Run from anywhere; translate the new (empty or fuzzy) entries of vi/messages.po afterwards.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYBABEL="${PYBABEL:-$ROOT/.venv/bin/pybabel}"
if [ ! -x "$PYBABEL" ]; then
  PYBABEL="$(command -v pybabel || true)"
  [ -n "$PYBABEL" ] || { echo "pybabel not found: run 'make install' first" >&2; exit 1; }
fi
TRANSLATIONS=csirt/translations

# Keywords beyond Babel's defaults (_, gettext, ngettext, pgettext, ...): Flask-Babel's lazy forms.
# tests/test_i18n.py reads the -k options of this line, so keep them here.
"$PYBABEL" extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 \
  --project=csirt -o "$TRANSLATIONS/messages.pot" .
"$PYBABEL" update --ignore-obsolete --no-fuzzy-matching -i "$TRANSLATIONS/messages.pot" -d "$TRANSLATIONS"
[ -n "${I18N_NO_COMPILE:-}" ] || "$PYBABEL" compile --statistics -d "$TRANSLATIONS"
