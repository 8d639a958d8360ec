"""Waking the delivery loop when a transaction that wrote notifications commits.

On PostgreSQL `outbox.enqueue` runs `pg_notify('csirt_outbox', '')` in the caller's
transaction; PostgreSQL delivers it to every listener at commit, and drops it on rollback.
In this process (SQLite, or `csirt serve` running the scheduler beside the web server) the
session's `after_commit` sets a threading.Event that the loop waits on. Polling
(CSIRT_NOTIFY_POLL_SECONDS) stays the fallback for anything missed.
"""
import threading

from sqlalchemy import event, text
from sqlalchemy.orm import Session

CHANNEL = "csirt_outbox"
FLAG = "csirt_outbox_wake"

_event = threading.Event()


def signal():
    _event.set()


def wait(timeout):
    """Wait for a signal (or `timeout` seconds); True if signalled. Clears the signal."""
    woke = _event.wait(timeout)
    _event.clear()
    return woke


def mark(session):
    """Called by enqueue: this transaction wrote notifications; wake the loop when it commits."""
    if not session.info.get(FLAG):
        session.info[FLAG] = True
        bind = session.get_bind()
        if bind.dialect.name == "postgresql":
            session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def _after_commit(session):
    if session.info.pop(FLAG, False):
        signal()


def _after_rollback(session):
    session.info.pop(FLAG, None)


def init_app(_app=None):
    """Listen for commits and rollbacks of every session (once per process)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
