"""Translated names of Form 05's columns."""
from ...catalogue import lazy_gettext as _l

HANDLED = {
    "in_house": _l("Handled in-house"),
    "domestic": _l("With domestic help"),
    "foreign": _l("With foreign help"),
    "coordinator": _l("With the national coordinator's help"),
    "not_stated": _l("Not stated yet"),
}


def handled_label(key):
    return str(HANDLED.get(key, key))
