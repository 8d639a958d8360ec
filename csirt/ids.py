"""Row ids that arrive in URLs, query strings and forms.

Ids are 32-bit INTEGER columns: a larger number makes SQLite raise OverflowError and PostgreSQL
an out-of-range error, so every id from a request goes through `as_id` first.
"""

MAX_ID = 2**31 - 1


def as_id(value):
    """`value` as a row id, or None when it cannot name a row."""
    try:
        number = int(str(value), 10)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_ID else None
