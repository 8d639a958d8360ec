"""The outbox's scheduler entry and its delivery loop.

`deliver_job` is the scheduler's polling fallback ("notify-deliver"); each run, made only while
the scheduler holds its lease, also keeps this process's `DeliveryLoop` running for a while
(`licence`). The loop sleeps until woken (PostgreSQL LISTEN on its own connection; the
in-process signal otherwise) or CSIRT_NOTIFY_POLL_SECONDS pass, then delivers what is due. When
the scheduler loses its lease the jobs stop, the licence runs out and the loop stands idle.
A second loop elsewhere would be harmless anyway: rows are claimed, never read-then-sent.
"""
import logging
import threading
import time

from flask import current_app
from sqlalchemy.engine import make_url

from ..extensions import db
from . import delivery, wake

logger = logging.getLogger(__name__)
JOB_SECONDS = 15
_loops = {}
_loops_lock = threading.Lock()


def deliver_job():
    """Scheduler job: deliver what is due now, and keep this process's loop licensed."""
    app = current_app._get_current_object()
    delivery.deliver_due()
    lease = int(app.config.get("CSIRT_SCHEDULER_LEASE_SECONDS", 30))
    ensure_loop(app, licence_seconds=max(3 * JOB_SECONDS, lease))


def ensure_loop(app, licence_seconds):
    """Start (once per app in this process) or re-license the delivery loop."""
    with _loops_lock:
        loop = _loops.get(id(app))
        if loop is None or not loop.is_alive():
            loop = DeliveryLoop(app)
            _loops[id(app)] = loop
            loop.licensed_until = time.monotonic() + licence_seconds
            loop.start()
        else:
            loop.licensed_until = time.monotonic() + licence_seconds
    return loop


def stop_loop(app, timeout=10):
    """Stop this process's delivery loop (a clean scheduler shutdown): the message being sent is
    finished and marked before the thread ends, so it is not sent again after a restart."""
    with _loops_lock:
        loop = _loops.pop(id(app), None)
    if loop is not None and loop.is_alive():
        loop.stop(timeout)


def _listen_connection(uri):
    """A psycopg connection in autocommit that LISTENs on the outbox channel."""
    import psycopg

    url = make_url(uri).set(drivername="postgresql")
    conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
    conn.execute(f"LISTEN {wake.CHANNEL}")
    return conn


class DeliveryLoop(threading.Thread):
    """Wait for a wake-up or the poll timeout, then deliver; until `stop()`."""

    def __init__(self, app, poll_seconds=None, licensed_until=None):
        super().__init__(name="csirt-notify-delivery", daemon=True)
        self.app = app
        self.poll_seconds = float(poll_seconds or app.config.get("CSIRT_NOTIFY_POLL_SECONDS", 10))
        self.licensed_until = licensed_until if licensed_until is not None else float("inf")
        self._stop_event = threading.Event()
        self.rounds = 0  # deliveries run (for tests and logs)

    def stop(self, timeout=10):
        self._stop_event.set()
        wake.signal()
        self.join(timeout)

    def _deliver(self):
        if time.monotonic() > self.licensed_until:
            return
        with self.app.app_context():
            try:
                from ..audit.services import channel

                with channel("scheduler", via="notify-loop"):
                    delivery.deliver_due()
            finally:
                db.session.remove()
        self.rounds += 1

    def run(self):
        uri = self.app.config["SQLALCHEMY_DATABASE_URI"]
        postgres = uri.startswith("postgresql")
        conn = None
        while not self._stop_event.is_set():
            try:
                if postgres and conn is None:
                    conn = _listen_connection(uri)
                self._deliver()  # whatever is due now (also: what came while (re)connecting)
                if conn is not None:
                    self._wait_postgres(conn)
                else:
                    wake.wait(self.poll_seconds)
            except Exception:
                logger.exception("the notification delivery loop failed; retrying")
                if conn is not None:
                    try:
                        conn.close()
                    except Exception:  # already broken: a new one is made next round
                        logger.debug("closing the LISTEN connection failed", exc_info=True)
                    conn = None
                self._stop_event.wait(min(self.poll_seconds, 5))
        if conn is not None:
            conn.close()

    def _wait_postgres(self, conn):
        """Until a NOTIFY, the in-process signal or the poll timeout, in short slices so both are
        seen (and `stop()` too)."""
        deadline = time.monotonic() + self.poll_seconds
        while not self._stop_event.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            got = list(conn.notifies(timeout=min(left, 0.5), stop_after=1))
            if got or wake.wait(0):
                return
