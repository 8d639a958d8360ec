"""Alert intake: store canonical alerts once, route the new ones, apply the decisions.

`ingest(actor, alerts)` is the one entry for every sender (the API, csirt's checks, the demo,
the CLI, a person's form). One call is one transaction:

1. the hosts of the batch are looked up (one query for all of them: context.HostLookup) and
   every distinct alert is routed (pure, in memory);
2. the rows are written by ONE `INSERT ... ON CONFLICT (dedup_key) DO NOTHING RETURNING id,
   dedup_key` (`bulk.insert_ignore`): an alert already stored (sent again, or by another worker at this
   very moment) is not inserted a second time, and is read back instead (its id and incident);
3. only the new alerts go on: their groups are created and locked (executor.lock_groups), the
   executor opens or joins incidents, and each new row gets its incident and decision summary;
4. one audit entry for the request ("alerts.ingest", with the counts); the rows' incidents and
   summaries, the joined incidents' timeline entries, the groups' new state and the audit entry
   are written together (`bulk.Writes`: one statement on PostgreSQL), then the commit.

Concurrency: PostgreSQL makes a second INSERT of the same key wait for the first transaction and
then do nothing; the group rows are locked with SELECT ... FOR UPDATE in a fixed order. SQLite
takes its write lock at the first INSERT and holds it to the commit (every read before it runs
outside a transaction; the connection waits up to busy_timeout for the lock). A race that still
fails (a unique key, a serialisation failure, a deadlock) is retried once, never answered 5xx.
"""
import hashlib
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy.exc import IntegrityError, OperationalError

from .. import bulk
from ..audit.models import AuditLog
from ..audit.services import entry
from ..clock import utcnow
from ..extensions import db
from ..incidents.models import Incident
from . import policy, routing
from .context import HostLookup, shared_cache
from .executor import Executor, summary
from .models import Alert

logger = logging.getLogger(__name__)

RETRY_CODES = ("40001", "40P01")  # PostgreSQL: serialization failure, deadlock detected


@dataclass(frozen=True)
class Outcome:
    """What became of one alert: its row, its incident (or None), whether this call stored it,
    and `status`: opened | joined | resolved | unmatched (new rows) or duplicate (already stored)."""

    alert_id: int
    incident_id: int | None
    incident_reference: str | None
    created: bool
    status: str


def dedup_key(alert):
    """SHA-256 hex of source | fingerprint | status | occurred_at: the same alert sent again is the
    same key (a firing and its resolution are two alerts; so are two firings at two times)."""
    text = "|".join((alert.source, alert.fingerprint, alert.status, alert.occurred_at.isoformat()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _playbooks():
    from .playbooks import registry

    return registry.current(current_app)


def ingest(actor, alerts, *, via="api"):
    """Store `alerts` (canonical.Alert) reported by `actor`, route the new ones and apply the
    decisions; commits. Returns one Outcome per alert, in order. `via` names the sender's path
    (api, check, demo, cli, manual) in the audit entry."""
    policy.require_ingest(actor)
    alerts = list(alerts)
    if not alerts:
        return []
    for attempt in (1, 2):
        try:
            outcomes = _ingest(actor, alerts, via)
            db.session.commit()
            return outcomes
        except (IntegrityError, OperationalError) as err:
            db.session.rollback()
            if attempt == 2 or not _retryable(err):
                raise
            logger.warning("alert intake raced (%s); retrying once", err.__class__.__name__)
    raise AssertionError("unreachable")


def _retryable(err):
    if isinstance(err, IntegrityError):
        return True
    code = getattr(getattr(err, "orig", None), "sqlstate", None) or getattr(getattr(err, "orig", None), "pgcode", None)
    return code in RETRY_CODES or "database is locked" in str(getattr(err, "orig", ""))


def _ingest(actor, alerts, via):
    now = utcnow()
    keys = [dedup_key(a) for a in alerts]
    first = {}  # key → the first alert with it (a batch may repeat an alert)
    for key, alert in zip(keys, alerts, strict=True):
        first.setdefault(key, alert)
    hosts = HostLookup(shared_cache())
    hosts.prime(a.host for a in first.values())
    playbooks = _playbooks()
    decisions = {key: routing.route(alert, playbooks, hosts.context(alert.host)) for key, alert in first.items()}

    routes = _summaries(decisions)
    new_ids = _insert(actor, first, decisions, routes, hosts, now)
    stored = _read_back([k for k in first if k not in new_ids])
    if len(stored) + len(new_ids) != len(first):  # a conflicting row vanished meanwhile: start again
        raise IntegrityError("alert read back", None, Exception("a stored alert was not found"))

    executor = Executor(actor, hosts, now)
    wanted = {}
    for key in new_ids:
        decision = decisions[key]
        if decision.group_key is not None:
            group = (decision.playbook.id, decision.group_key)
            wanted[group] = min(wanted.get(group, first[key].occurred_at), first[key].occurred_at)
    executor.lock_groups(wanted)
    results, updates = {}, []
    position = {key: i for i, key in reversed(list(enumerate(keys)))}
    for key in sorted(new_ids, key=position.get):  # the senders' order
        alert, decision = first[key], decisions[key]
        result = executor.apply(new_ids[key], alert, decision)
        results[key] = result
        route = {**routes[key], "outcome": result.status, "notes": [list(n) for n in result.notes]}
        updates.append({"id": new_ids[key], "incident_id": result.incident_id, "route": route,
                        "agency_id": result.agency_id or hosts.facts(alert.host).agency_id})
    writes = bulk.Writes()
    executor.finish(writes)
    writes.update(Alert.__table__, updates)

    outcomes, seen = [], set()
    for key in keys:
        if key in new_ids and key not in seen:
            seen.add(key)
            r = results[key]
            outcomes.append(Outcome(new_ids[key], r.incident_id, r.reference, True, r.status))
        else:
            ident, incident_id, reference = stored[key] if key in stored else (
                new_ids[key], results[key].incident_id, results[key].reference)
            outcomes.append(Outcome(ident, incident_id, reference, False, "duplicate"))
    counts = {"received": len(alerts), "new": len(new_ids), "via": via}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    writes.insert(AuditLog.__table__, [entry(actor, "alerts.ingest", object_type="alert", object_id="", after=counts)])
    writes.send()  # on PostgreSQL: the groups, the timelines, the alerts and the audit entry in one statement
    return outcomes


def _summaries(decisions):
    """{dedup key: executor.summary(decision)}: computed once per set of playbooks (what differs
    between two alerts of one playbook is only the group key); a batch of 100 alerts computed it
    200 times."""
    memo, out = {}, {}
    for key, decision in decisions.items():
        books = tuple(id(book) for book in decision.playbooks)
        if books not in memo:
            memo[books] = summary(decision)
        out[key] = {**memo[books], "group_key": decision.group_key} if books else memo[books]
    return out


def _row(actor, key, alert, decision, route, facts, now):
    book = decision.playbook
    return {"dedup_key": key, "fingerprint": alert.fingerprint, "source": alert.source, "format": alert.format,
            "severity": alert.severity, "status": alert.status, "title": alert.title,
            "description": alert.description or "", "host": alert.host or "", "labels": dict(alert.labels or {}),
            "occurred_at": alert.occurred_at, "received_at": now, "raw": alert.raw,
            "agency_id": facts.agency_id, "server_id": facts.server_id, "incident_id": None,
            "playbook_id": book.id if book is not None else None,
            "playbook_version": book.version if book is not None else None,
            "route": route, "reporter_id": actor.id}


def _insert(actor, first, decisions, routes, hosts, now):
    """{dedup key: id} of the rows this call inserted (the others were already stored). Rows go
    in key order: two batches sharing alerts then meet in the same order (no deadlock)."""
    rows = [_row(actor, key, first[key], decisions[key], routes[key], hosts.facts(first[key].host), now)
            for key in sorted(first)]
    return {key: ident for ident, key in bulk.insert_ignore(Alert.__table__, rows, ["dedup_key"], ["id", "dedup_key"])}


def _read_back(keys):
    """{dedup key: (id, incident id, incident reference)} of alerts already stored."""
    if not keys:
        return {}
    rows = db.session.execute(
        db.select(Alert.dedup_key, Alert.id, Alert.incident_id, Incident.reference)
        .outerjoin(Incident, Incident.id == Alert.incident_id).where(Alert.dedup_key.in_(keys))).all()
    return {key: (ident, incident_id, reference) for key, ident, incident_id, reference in rows}
