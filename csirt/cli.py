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
    """Create, disable, enable users and reset passwords."""


@users_group.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name")
@click.option("--agency", "agency_code", required=True, help="Agency code")
@click.option("--role", default="member", show_default=True,
              type=click.Choice(["admin", "manager", "coordinator", "responder", "member"]))
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
              type=click.Choice(["incidents:read", "incidents:write"]))
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


# --- demo, serve, scheduler ---------------------------------------------------------------

@click.group("demo")
def demo_group():
    """Demo data for a fresh installation."""


@demo_group.command("load")
@with_appcontext
def demo_load():
    """Load the demo province (idempotent)."""
    from .demo import load

    summary = load()
    click.echo("demo data: " + ", ".join(f"{k} {v}" for k, v in summary.items()))


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
    from . import scheduler

    app = current_app._get_current_object()
    sched = None if no_scheduler else scheduler.start(app)
    server = make_server(host, port, app, threaded=True)
    click.echo(f"csirt serving on http://{host}:{port}  (Ctrl-C to stop)")

    def stop(*_args):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if sched:
            sched.shutdown(wait=True)
    click.echo("stopped")


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run only the scheduler (production: its own process next to gunicorn)."""
    from . import scheduler

    _configure_logging()
    app = current_app._get_current_object()
    sched = scheduler.start(app)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_a: done.set())
    signal.signal(signal.SIGINT, lambda *_a: done.set())
    done.wait()
    sched.shutdown(wait=True)


@click.group("backup")
def backup_group():
    """Back up and restore the database and the evidence files."""


@backup_group.command("create")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_create(path):
    """Write a .tar.gz with every table and every evidence file."""
    from .backup import create_backup

    counts = create_backup(path)
    click.echo(f"backup written to {path}: {sum(counts.values())} rows in {len(counts)} tables")


@backup_group.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def backup_restore(path):
    """Restore a backup into an empty, upgraded database (run `csirt db upgrade` first)."""
    from .backup import BackupError, restore_backup

    try:
        counts = restore_backup(path)
    except BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"restored {sum(counts.values())} rows; evidence files verified against their SHA-256")


def _configure_logging():
    import logging

    level = os.environ.get("CSIRT_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def register(app):
    for command in (users_group, tokens_group, demo_group, backup_group, ensure_admin, serve,
                    scheduler_command):
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
