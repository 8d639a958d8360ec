"""Helpers of the engine's tests (C): servers, configurations and their work items, fake kinds."""
import threading
from datetime import timedelta

from csirt.checks import kinds, workitems
from csirt.checks.models import CheckConfig, CheckResult, ServerCheck
from csirt.clock import utcnow
from csirt.extensions import db
from csirt.systems.models import Server


def server(agency, hostname, addresses=("127.0.0.5",), baseline=""):
    row = Server(hostname=hostname, agency_id=agency.id, addresses=list(addresses), kind="virtual",
                 baseline_ports=baseline)
    db.session.add(row)
    db.session.commit()
    return row


def config(kind, server_row=None, agency=None, params=None, interval=60, timeout=5, name=None):
    row = CheckConfig(name=name or f"{kind} check", kind=kind, server_id=server_row.id if server_row else None,
                      agency_id=agency.id if agency else None, params=params or {}, interval_seconds=interval,
                      timeout_seconds=timeout, enabled=True, created_at=utcnow(), updated_at=utcnow())
    db.session.add(row)
    db.session.commit()
    workitems.sync([row])
    db.session.commit()
    return row


def items(config_row=None):
    query = db.select(ServerCheck).order_by(ServerCheck.id)
    if config_row is not None:
        query = query.where(ServerCheck.config_id == config_row.id)
    db.session.expire_all()
    return db.session.execute(query).scalars().all()


def results(item_id=None):
    query = db.select(CheckResult).order_by(CheckResult.id)
    if item_id is not None:
        query = query.where(CheckResult.server_check_id == item_id)
    db.session.expire_all()
    return db.session.execute(query).scalars().all()


class FakeKind:
    """A kind runner that answers `status_of(job)` (default "pass") and records what it saw."""

    def __init__(self, status_of=None, delay=0.0, details_of=None):
        self.status_of = status_of or (lambda job: "pass")
        self.details_of = details_of or (lambda job: {"reason": "fake"})
        self.delay = delay
        self.calls = []  # [list of item ids] per call
        self.active = 0
        self.most = 0
        self.lock = threading.Lock()

    def __call__(self, jobs, ctx):
        import time

        with self.lock:
            self.calls.append([job.item_id for job in jobs])
            self.active += 1
            self.most = max(self.most, self.active)
        try:
            if self.delay:
                time.sleep(self.delay)
            now = ctx.now
            return [kinds.Result(item_id=job.item_id, status=self.status_of(job), started_at=now,
                                 finished_at=now + timedelta(milliseconds=250), details=self.details_of(job),
                                 command=["fake", job.hostname]) for job in jobs]
        finally:
            with self.lock:
                self.active -= 1


def use_kinds(monkeypatch, **runners):
    monkeypatch.setattr(kinds, "runners", lambda: dict(runners))
