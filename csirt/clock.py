"""The one clock of the app, and conversions between the province's local time and naive UTC.

Tests move the clock with `freeze(...)`; the database stores naive UTC; people type and read
the province's local time (`CSIRT_TIMEZONE`).
"""
from contextlib import contextmanager
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app

_frozen = None


def utcnow():
    """Current time as a naive UTC datetime (portable across SQLite and PostgreSQL)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(timezone.utc).replace(tzinfo=None)


def freeze(moment):
    """Fix the clock at `moment` (naive UTC) until `freeze(None)`; for tests."""
    global _frozen
    _frozen = moment


@contextmanager
def moved_to(moment):
    """Run a block as if it were `moment` (naive UTC), then restore the previous clock."""
    previous = _frozen
    freeze(moment)
    try:
        yield
    finally:
        freeze(previous)


def province_tz():
    return ZoneInfo(current_app.config["CSIRT_TIMEZONE"])


def local_to_utc(value):
    """A naive local datetime (or aware of any zone) as naive UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=province_tz())
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def utc_to_local(value):
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).astimezone(province_tz())


def parse_iso(text):
    """ISO 8601 text as naive UTC; naive text is read as province time. ValueError if invalid."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("empty")
    raw = text.strip()
    if raw.endswith("Z"):
        raw = raw[:-1] + "+00:00"
    return local_to_utc(datetime.fromisoformat(raw))


def iso_utc(value):
    return None if value is None else value.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")
