"""`csirt checks`: run the checks now, list them (and, from heartbeat_cli.py, issue heartbeat tokens).

`csirt checks run [--server HOSTNAME] [--kind KIND]` runs the matching active work items at once,
due or not, through the scheduler's own path (claim, run, store, alerts), and prints one line per
result: server, kind, status and a short reason. Exit status: 0 when every check passed (pass or
warn), 1 when one failed or could not run (fail, error), so cron or a monitoring probe can use it.
Items another scheduler is running at this moment are skipped (and said so).
"""
import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..clock import utc_to_local
from ..extensions import db
from ..systems.models import Server
from .models import KINDS, CheckConfig, ServerCheck


def _when(value):
    local = utc_to_local(value)
    return local.strftime("%Y-%m-%d %H:%M:%S") if local is not None else "-"


@click.group("checks")
def checks_group():
    """Scheduled checks of the servers: run them now, list them."""


@checks_group.command("run")
@click.option("--server", "hostname", default=None, help="Only this server (its host name)")
@click.option("--kind", default=None, type=click.Choice(KINDS), help="Only this kind of check")
@with_appcontext
def run_command(hostname, kind):
    """Run the matching checks now and print their results (exit 1 if one fails or errs)."""
    from . import display, runner, workitems

    workitems.sync()
    db.session.commit()
    query = (select(ServerCheck.id).join(Server, Server.id == ServerCheck.server_id)
             .where(ServerCheck.active.is_(True)).order_by(Server.hostname, ServerCheck.kind, ServerCheck.id))
    if hostname is not None:
        server = db.session.execute(select(Server).where(Server.hostname == hostname)).scalar_one_or_none()
        if server is None:
            raise click.ClickException(f"no server named {hostname!r}")
        query = query.where(ServerCheck.server_id == server.id)
    if kind is not None:
        query = query.where(ServerCheck.kind == kind)
    ids = db.session.execute(query).scalars().all()
    db.session.commit()
    if not ids:
        click.echo("no active checks match")
        return
    report = runner.tick(only=ids)
    if report.interrupted:
        raise click.ClickException("interrupted: the runs are recorded as interrupted and retried")
    done = {one.item.job.item_id for one in report.stored}
    bad = False
    for one in sorted(report.stored, key=lambda s: (s.item.job.hostname, s.item.job.kind, s.item.job.item_id)):
        job, result = one.item.job, one.result
        bad = bad or result.status not in ("pass", "warn")
        note = f" [alert {one.alert}]" if one.alert else ""
        click.echo(f"{job.hostname}\t{job.kind}\t{result.status}\t"
                   f"{display.summary(job.kind, result.status, result.details)}{note}")
    skipped = len(ids) - len(done)
    if skipped:
        click.echo(f"{skipped} check(s) skipped: being run by a scheduler right now", err=True)
    if bad:
        raise SystemExit(1)


@checks_group.command("list")
@with_appcontext
def list_command():
    """List the check configurations and their work items."""
    configs = db.session.execute(select(CheckConfig).order_by(CheckConfig.kind, CheckConfig.name,
                                                              CheckConfig.id)).scalars().all()
    if not configs:
        click.echo("no checks configured")
        return
    items = db.session.execute(
        select(ServerCheck, Server.hostname).join(Server, Server.id == ServerCheck.server_id)
        .order_by(Server.hostname)).all()
    by_config = {}
    for item, server_name in items:
        by_config.setdefault(item.config_id, []).append((item, server_name))
    for config in configs:
        state = "enabled" if config.enabled else "disabled"
        click.echo(f"#{config.id} {config.name} ({config.kind}, every {config.interval_seconds} s, "
                   f"timeout {config.timeout_seconds} s, {state})")
        rows = by_config.get(config.id, [])
        if not rows:
            click.echo("  (no servers)")
        for item, server_name in rows:
            active = "" if item.active else "\tinactive"
            click.echo(f"  {server_name}\t{item.kind}\t{item.state}\tlast run {_when(item.last_run_at)}\t"
                       f"next run {_when(item.next_run_at) if item.active else '-'}{active}")


def _attach_heartbeat_token():
    try:
        from .heartbeat_cli import heartbeat_token
    except ImportError:
        return
    checks_group.add_command(heartbeat_token)


_attach_heartbeat_token()
