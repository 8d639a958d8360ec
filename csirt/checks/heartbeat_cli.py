"""`csirt checks heartbeat-token HOSTNAME --user USERNAME [--days N]`: a token for the heartbeat
script of one server, owned by USERNAME (an administrator or a coordinator who may change the
server), printed once. The `checks` group attaches this command (`heartbeat_token`)."""
import click
from flask.cli import with_appcontext

from ..errors import DomainError
from ..extensions import db
from ..team.models import User
from . import heartbeats


@click.command("heartbeat-token")
@click.argument("hostname")
@click.option("--user", "username", required=True, help="The token's owner: an admin or a coordinator")
@click.option("--days", default=heartbeats.DEFAULT_DAYS, show_default=True, type=int,
              help="Days until the token expires (at most 366)")
@with_appcontext
def heartbeat_token(hostname, username, days):
    """Issue a heartbeat token for the server HOSTNAME (shown once)."""
    user = db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.is_active:
        raise click.ClickException(f"no active user named {username!r}")
    try:
        server = heartbeats.server_by_hostname(user, hostname)
        token, text = heartbeats.issue_token(user, server, days)
    except DomainError as err:
        message = "no server named %r that %s may see" % (hostname, username) if err.status == 404 \
            else str(err.message)
        if getattr(err, "errors", None):
            message += " " + "; ".join(f"{k}: {v}" for k, v in err.errors.items())
        raise click.ClickException(message) from None
    click.echo(f"token {token.id} for the heartbeats of {server.hostname}, owned by {username}, "
               f"expires {token.expires_at:%Y-%m-%d}. It is shown only now:", err=True)
    click.echo(text)
