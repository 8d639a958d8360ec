"""What every check kind shares: a `Job` in (one claimed work item, detached from the database
session, so a kind's code reads no database and can run in a thread), a `Result` out.

A kind's runner is `run(jobs, ctx) -> list[Result]`, one Result per job (same `item_id`), never
raising for a job's own trouble (that is a Result with status "error"). `ctx` is a `RunContext`:
the time the tick started, the app's config values the kinds read, the heartbeats of the jobs'
servers (agent and antivirus kinds), and `deadline` (a monotonic time the whole batch must end
by), and `emit`: when the runner gives it, a kind may hand it each Result that is final before the
whole run ends (the firewall kind does, as nmap reports each host), and the runner stores those
while the rest runs; the kind still returns every Result. Runners are registered in `RUNNERS`
by kind name (filled by `runners()`).

`details` is JSON data, never prose: pages and alerts turn it into words in the reader's language
(`display.py`). Common keys: "reason" (a short machine key such as "stale", "open_ports",
"nmap_missing"), and per kind what it found (ports, age, days left, status code, latency...).
"""
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Job:
    item_id: int          # ServerCheck.id
    config_id: int
    kind: str
    server_id: int
    hostname: str
    addresses: tuple      # the server's addresses (validated when the server was saved)
    params: dict          # the configuration's parameters (validated when it was saved)
    timeout: int          # seconds
    baseline: str = ""    # the server's approved ports, canonical text (systems/ports.py)
    antivirus_expected: str = ""
    agent_expected: str = ""


@dataclass
class Result:
    item_id: int
    status: str           # pass | warn | fail | error
    started_at: datetime
    finished_at: datetime
    details: dict = field(default_factory=dict)
    command: list | None = None   # the nmap argv, when nmap ran


@dataclass
class RunContext:
    now: datetime                 # naive UTC, from csirt.clock
    config: dict                  # app.config values (CSIRT_SCAN_ALLOWED_NETWORKS, ...)
    deadline: float | None = None  # time.monotonic() by which the batch must end
    heartbeats: dict = field(default_factory=dict)  # server_id → ServerHeartbeat-like object
    emit: object = None           # callable(Result): a result final before the run ends, stored at once


def each(jobs, check):
    """The runner of a kind that checks its jobs one at a time: `check(job)` → (status, details).
    A job's own trouble (any exception) is its "error" result, never the batch's."""
    from ..clock import utcnow

    results = []
    for job in jobs:
        started = utcnow()
        try:
            status, details = check(job)
        except Exception as err:
            status, details = "error", {"reason": "internal", "error": type(err).__name__}
        results.append(Result(item_id=job.item_id, status=status, started_at=started,
                              finished_at=utcnow(), details=details))
    return results


def runners():
    """kind → run(jobs, ctx). Imported lazily: the scanner imports python-nmap."""
    from . import agent, antivirus, firewall, portal, tls

    return {"firewall": firewall.run, "agent": agent.run, "antivirus": antivirus.run,
            "tls": tls.run, "portal": portal.run}
