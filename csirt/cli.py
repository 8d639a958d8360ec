"""The `csirt` console command: a Flask CLI group with the administration commands."""
import os
import secrets
import signal
import sys
import threading

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from .errors import DomainError
from .extensions import db
from .process import settle
from .team.models import ROLES


def _fail(err):
    message = err.message
    if getattr(err, "errors", None):
        message += " " + "; ".join(f"{k}: {v}" for k, v in err.errors.items())
    raise click.ClickException(message)


def _user(username):
    from .team.models import User

    user = db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    return user


def _agency(code):
    from .team.models import Agency

    agency = db.session.execute(db.select(Agency).where(Agency.code == code.upper())).scalar_one_or_none()
    if agency is None:
        raise click.ClickException(f"no agency with code {code!r}")
    return agency


# --- users ---------------------------------------------------------------------------

@click.group("users")
def users_group():
    """Create, disable, enable, unlock users and reset passwords."""


@users_group.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name")
@click.option("--agency", "agency_code", required=True, help="Agency code")
@click.option("--role", default="member", show_default=True,
              type=click.Choice(ROLES))
@click.option("--email", default="")
@click.option("--password", default=None, help="Default: generated and printed once")
@with_appcontext
def users_create(username, full_name, agency_code, role, email, password):
    from .team import services

    generated = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        user = services.create_user(None, {"username": username, "full_name": full_name, "role": role,
                                           "email": email, "agency_id": _agency(agency_code).id}, password)
    except DomainError as err:
        _fail(err)
    click.echo(f"created user {user.username} ({user.role})")
    if generated:
        click.echo(f"password: {password}")


@users_group.command("disable")
@click.argument("username")
@with_appcontext
def users_disable(username):
    from .team import services

    services.set_user_active(None, _user(username), False)
    click.echo(f"disabled {username}; their sessions and tokens no longer work")


@users_group.command("enable")
@click.argument("username")
@with_appcontext
def users_enable(username):
    from .team import services

    services.set_user_active(None, _user(username), True)
    click.echo(f"enabled {username}")


@users_group.command("reset-password")
@click.argument("username")
@click.option("--password", default=None, help="Default: generated and printed once")
@with_appcontext
def users_reset_password(username, password):
    from .team import services

    generated = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        services.reset_password(None, _user(username), password)
    except DomainError as err:
        _fail(err)
    click.echo(f"password of {username} reset; their sessions were ended")
    if generated:
        click.echo(f"password: {password}")


@users_group.command("unlock")
@click.argument("username")
@with_appcontext
def users_unlock(username):
    """Clear the user's failed-login and password-change counters (audited as auth.unlock)."""
    from .auth.services import unlock_user

    cleared = unlock_user(None, _user(username))
    click.echo(f"unlocked {username}: {cleared} counter(s) cleared")


@users_group.command("list")
@with_appcontext
def users_list():
    from .team.models import User

    for user in db.session.execute(db.select(User).order_by(User.username)).scalars():
        state = "active" if user.active else "disabled"
        click.echo(f"{user.username}\t{user.role}\t{user.agency.code}\t{state}\t{user.full_name}")


@click.command("ensure-admin")
@with_appcontext
def ensure_admin():
    """Make sure the first admin exists (user name `admin`)."""
    from .bootstrap import ensure_admin as run

    created, password = run(os.environ.get("CSIRT_ADMIN_PASSWORD"))
    if not created:
        click.echo("admin exists")
    elif password:
        click.echo("created user 'admin' with the generated password (shown once):")
        click.echo(f"    {password}")
    else:
        click.echo("created user 'admin' with the password from CSIRT_ADMIN_PASSWORD")


# --- tokens --------------------------------------------------------------------------

@click.group("tokens")
def tokens_group():
    """Create, list and revoke API tokens."""


@tokens_group.command("create")
@click.argument("username")
@click.option("--name", required=True)
@click.option("--scope", "scopes", multiple=True, default=["incidents:read"], show_default=True,
              type=click.Choice(["incidents:read", "incidents:write", "systems:read", "systems:write",
                                 "alerts:read", "alerts:write"]))
@click.option("--days", default=90, show_default=True, type=int)
@with_appcontext
def tokens_create(username, name, scopes, days):
    from .auth.tokens import create_token

    try:
        token, text = create_token(None, _user(username), name, list(scopes), days)
    except DomainError as err:
        _fail(err)
    click.echo(f"token {token.id} for {username}, scopes {token.scopes}, expires {token.expires_at:%Y-%m-%d}")
    click.echo(text)


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def tokens_revoke(token_id):
    from .auth.tokens import revoke_token

    try:
        revoke_token(None, token_id)
    except DomainError:
        raise click.ClickException(f"no token {token_id}") from None
    click.echo(f"revoked token {token_id}")


@tokens_group.command("list")
@with_appcontext
def tokens_list():
    from .auth.models import ApiToken

    for t in db.session.execute(db.select(ApiToken).order_by(ApiToken.id)).scalars():
        state = "revoked" if t.revoked_at else f"expires {t.expires_at:%Y-%m-%d}"
        click.echo(f"{t.id}\t{t.user.username}\t{t.name}\t{t.scopes}\t{state}")


# --- compliance ---------------------------------------------------------------------------

@click.group("compliance")
def compliance_group():
    """The four-layer compliance figures."""


@compliance_group.command("snapshot")
@click.option("--month", default=None, metavar="YYYY-MM", help="A month that has ended (default: the last one)")
@with_appcontext
def compliance_snapshot(month):
    """Store each system's layer statuses at the end of a month (skipped when already stored)."""
    from datetime import date

    from .reports.compliance.jobs import take_snapshot

    day = None
    if month:
        try:
            day = date.fromisoformat(f"{month}-01")
        except ValueError:
            raise click.BadParameter("write the month as YYYY-MM", param_hint="--month") from None
    try:
        first, added = take_snapshot(day)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--month") from None
    click.echo(f"compliance snapshot {first:%Y-%m}: {added} rows added")


# --- demo, serve, scheduler ---------------------------------------------------------------

@click.group("demo")
def demo_group():
    """Demo data for a fresh installation."""


@demo_group.command("load")
@with_appcontext
def demo_load():
    """Load the demo province (idempotent)."""
    from .demo import load
    from .demo.loader import DEFAULT_PASSWORD

    try:
        summary = load()
    except DomainError as err:  # e.g. refused in production
        raise click.ClickException(err.message) from None
    created = summary["created"]
    if not any(created.values()):
        click.echo(f"Demo data already present: nothing created. The desk holds {_demo_counts(summary)}.")
        return
    click.echo(f"Demo province loaded: {_demo_counts(created, skip_zero=True)} created now; "
               f"the desk now holds {_demo_counts(summary)}.")
    click.echo(f"Demo members sign in with the password in CSIRT_DEMO_PASSWORD (default {DEFAULT_PASSWORD}), "
               "e.g. nguyen.duc.thang (coordinator).")


# what `csirt.demo.load()` counts, in reading order, with singular and plural names
_DEMO_NOUNS = (("agencies", "agency", "agencies"), ("members", "member", "members"),
               ("systems", "information system", "information systems"), ("servers", "server", "servers"),
               ("incidents", "incident", "incidents"), ("alerts", "alert", "alerts"))


def _demo_counts(counts, skip_zero=False):
    """{'agencies': 19, 'members': 1, ...} -> '19 agencies, 1 member, ... and 40 incidents'."""
    parts = [f"{counts[key]} {one if counts[key] == 1 else many}" for key, one, many in _DEMO_NOUNS
             if counts.get(key) or not skip_zero]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


@click.command("serve")
@click.option("--host", default=lambda: os.environ.get("CSIRT_HOST", "127.0.0.1"),
              show_default="CSIRT_HOST or 127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("CSIRT_PORT", "5000")), type=int,
              show_default="CSIRT_PORT or 5000")
@click.option("--no-scheduler", is_flag=True, help="Do not run the scheduler in this process")
@with_appcontext
def serve(host, port, no_scheduler):
    """Serve the app (threaded) with the scheduler in-process: the embedded default."""
    from werkzeug.serving import make_server

    _configure_logging()
    app = current_app._get_current_object()
    runner = None if no_scheduler else _start_scheduler(app)
    server = make_server(host, port, app, threaded=True)
    settle()
    click.echo(f"csirt serving on http://{host}:{port}  (Ctrl-C to stop)")

    def stop(*_args):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if runner:
            runner.shutdown()  # lets running jobs finish, then releases the lease
    click.echo("stopped")


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run only the scheduler (production: its own process next to gunicorn)."""
    _configure_logging()
    app = current_app._get_current_object()
    runner = _start_scheduler(app)
    settle()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_a: done.set())
    signal.signal(signal.SIGINT, lambda *_a: done.set())
    done.wait()
    runner.shutdown()  # releases the lease, so a standby takes over at its next heartbeat


def _start_scheduler(app):
    from . import scheduler

    try:
        return scheduler.start(app)
    except ValueError as err:  # lease and heartbeat settings that cannot work
        raise click.ClickException(str(err)) from None


@click.group("backup")
def backup_group():
    """Back up and restore the database and the evidence files."""


@backup_group.command("create")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--allow-missing", is_flag=True,
              help="Exit with status 0 even when some evidence files could not be archived")
@with_appcontext
def backup_create(path, allow_missing):
    """Write a .tar.gz with every table (one consistent snapshot) and every evidence file.

    Evidence files that cannot be archived are listed and recorded in the manifest; the backup is
    still written, but the command exits with status 1 unless --allow-missing."""
    from .backup import BackupError, create_backup, describe

    try:
        report = create_backup(path)
    except (BackupError, OSError) as err:
        raise click.ClickException(f"no backup written: {err}") from None
    click.echo(f"backup written to {path}: {sum(report.counts.values())} rows in {len(report.counts)} tables, "
               f"{report.counts.get('evidence', 0) - len(report.missing)} evidence file(s)")
    if report.missing:
        click.echo(f"WARNING: {len(report.missing)} evidence file(s) are NOT in this backup "
                   "(recorded in its manifest as missing_evidence):", err=True)
        for entry in report.missing:
            click.echo(f"  {describe(entry)}", err=True)
        if not allow_missing:
            raise click.exceptions.Exit(1)


@backup_group.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--allow-missing", is_flag=True,
              help="Restore even though some evidence files are not in the backup (their rows stay)")
@with_appcontext
def backup_restore(path, allow_missing):
    """Restore a backup into an empty, upgraded database (run `csirt db upgrade` first).

    The archive is checked entry by entry; any bad entry refuses it whole, with nothing written."""
    from .backup import BackupError, describe, restore_backup

    try:
        report = restore_backup(path, allow_missing=allow_missing)
    except BackupError as err:
        if len(err.missing) > 10:  # the message names the first ten
            for entry in err.missing:
                click.echo(f"  missing: {describe(entry)}", err=True)
        raise click.ClickException(str(err)) from None
    click.echo(f"restored {sum(report.counts.values())} rows; evidence files verified against their SHA-256")
    if report.missing:
        click.echo(f"WARNING: {len(report.missing)} evidence file(s) were not in the backup; "
                   "their rows were restored without the file:", err=True)
        for entry in report.missing:
            click.echo(f"  {describe(entry)}", err=True)


def _configure_logging():
    import logging

    level = os.environ.get("CSIRT_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def register(app):
    from .alerts.cli_commands import add_commands
    from .alerts.playbooks.cli import playbooks_group
    from .checks.cli import checks_group
    from .incidents.clock_cli import clocks_group
    from .systems.csv_cli import inventory_group

    add_commands(playbooks_group)  # playbooks test, playbooks replay

    for command in (users_group, tokens_group, demo_group, backup_group, ensure_admin, serve,
                    scheduler_command, compliance_group, inventory_group, playbooks_group, checks_group,
                    clocks_group):
        app.cli.add_command(command)


def _create_app():
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True, load_dotenv=False)
def cli():
    """Administration of csirt."""


def main():
    cli(prog_name="csirt")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
