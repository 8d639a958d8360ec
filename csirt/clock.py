"""The one clock of the app. Tests move it with `freeze(...)`; the database stores naive UTC."""
from datetime import datetime, timezone

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
