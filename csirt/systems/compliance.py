"""A protection layer's status, derived from dates only (never a checkbox). Pure: no database.

    missing   no record covers today (none at all, or the only ones start in the future)
    expired   the current record ended before today
    expiring  the current record ends within `window_days` of today (today included)
    valid     otherwise (an open-ended record stays valid)

The current record of a layer is the one with the latest `valid_from` not after today; a record
that starts tomorrow does not yet count, so a renewal signed in advance leaves the layer
"expiring" until its first day.
"""
from datetime import date, timedelta
from functools import lru_cache

VALID, EXPIRING, EXPIRED, MISSING = "valid", "expiring", "expired", "missing"
STATUSES = (VALID, EXPIRING, EXPIRED, MISSING)
# Worst first: a summary of several layers shows the worst.
SEVERITY = {MISSING: 3, EXPIRED: 2, EXPIRING: 1, VALID: 0}
DEFAULT_WINDOW_DAYS = 30


def status_of(valid_from, valid_to, today, window_days=DEFAULT_WINDOW_DAYS):
    """The status of one record on `today`. `valid_to` None means open-ended; the record is
    valid through the whole day of `valid_to`."""
    if valid_from is None or valid_from > today:
        return MISSING
    if valid_to is None:
        return VALID
    if valid_to < today:
        return EXPIRED
    if valid_to <= today + timedelta(days=window_days):
        return EXPIRING
    return VALID


def current(records, today):
    """The record in force on `today` among `records` (objects or mappings with valid_from,
    and id as the tie-break): the latest started, None when none has started."""
    started = [r for r in records if _get(r, "valid_from") is not None and _get(r, "valid_from") <= today]
    if not started:
        return None
    return max(started, key=lambda r: (_get(r, "valid_from"), _get(r, "id") or 0))


def layer_status(records, today, window_days=DEFAULT_WINDOW_DAYS):
    """The status of a layer from all its records."""
    record = current(records, today)
    if record is None:
        return MISSING
    return status_of(_get(record, "valid_from"), _get(record, "valid_to"), today, window_days)


def worst(statuses):
    """The worst of `statuses` (MISSING for none)."""
    statuses = list(statuses)
    return max(statuses, key=SEVERITY.__getitem__) if statuses else MISSING


def same_organisation(a, b):
    """True when two organisation names written by people name the same one: case, spacing and
    punctuation ignored ("Công ty  BKAV." == "công ty bkav")."""
    return bool(_normalised(a)) and _normalised(a) == _normalised(b)


def independent(assessor, layer2_provider):
    """Layer 3 is independent unless its assessor is the layer-2 provider (DOMAIN.md §4)."""
    return not same_organisation(assessor, layer2_provider)


@lru_cache(maxsize=4096)  # the dashboard compares thousands of pairs among a few dozen names
def _normalised(name):
    if not name:
        return ""
    kept = "".join(c if c.isalnum() else " " for c in name.casefold())
    return " ".join(kept.split())


def _get(record, name):
    return record.get(name) if isinstance(record, dict) else getattr(record, name, None)


def month_start(day: date) -> date:
    return day.replace(day=1)
