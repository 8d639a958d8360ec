"""`csirt clocks`: the regulatory clocks from the command line.

`csirt clocks sync` starts the clocks every open incident should have (after an upgrade from a
version that had none, or after an administrator changed the rules): one incident per transaction.
Closed and rejected incidents are left alone unless `--include-closed` (their reports were made,
or not, before csirt kept clocks: starting them now would only list old duties as overdue). Clocks
already past their deadline are marked as announced, so an upgrade does not flood the outbox
(`--announce-past` sends them).
"""
import click
from flask.cli import with_appcontext

from ..clock import utcnow
from ..extensions import db


@click.group("clocks")
def clocks_group():
    """Regulatory clocks of the incidents."""


@clocks_group.command("sync")
@click.option("--announce-past", is_flag=True, help="Also notify the clocks already past their deadline")
@click.option("--include-closed", is_flag=True, help="Also closed incidents (their old duties show as overdue)")
@with_appcontext
def clocks_sync(announce_past, include_closed):
    """Bring the open incidents' clocks in line with the rules table."""
    from . import clocks
    from .lifecycle import OPEN_STATUSES
    from .models import Incident, IncidentClock

    query = db.select(Incident.id).order_by(Incident.id)
    if not include_closed:
        query = query.where(Incident.status.in_(OPEN_STATUSES))
    ids = db.session.execute(query).scalars().all()
    changed = 0
    for incident_id in ids:
        incident = db.session.get(Incident, incident_id)
        if clocks.sync(incident):
            changed += 1
        if not announce_past:
            now = utcnow()
            db.session.flush()
            db.session.execute(
                db.update(IncidentClock).where(IncidentClock.incident_id == incident_id,
                                               IncidentClock.stopped_at.is_(None), IncidentClock.due_at <= now,
                                               IncidentClock.overdue_warned_at.is_(None))
                .values(warned_at=db.func.coalesce(IncidentClock.warned_at, now), overdue_warned_at=now))
        db.session.commit()
        db.session.expunge_all()
    click.echo(f"{len(ids)} incidents checked, {changed} with clocks changed")
