"""`csirt inventory export|import`: the CSV export and import from the console, acting as a named
user (what that user may see and change, as on the pages; audited with the channel "cli")."""
import sys

import click
from flask.cli import with_appcontext

from ..audit.services import record
from ..errors import DomainError
from ..extensions import db
from ..team.models import User
from . import csvio
from .csv_import import ImportRefused, import_files

ACTIONS = {"systems": ("system.export", "information_system"), "servers": ("server.export", "server")}


def _user(username):
    user = db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.is_active:
        raise click.ClickException(f"no active user named {username!r}")
    return user


@click.group("inventory")
def inventory_group():
    """CSV export and import of information systems and servers."""


@inventory_group.command("export")
@click.argument("kind", type=click.Choice(["systems", "servers"]))
@click.option("--as", "username", required=True, help="The user whose view is exported.")
@click.option("--output", "-o", type=click.File("wb"), default="-", show_default=True)
@with_appcontext
def export_command(kind, username, output):
    """Write every record of KIND the user may see as CSV (UTF-8 with a BOM)."""
    user = _user(username)
    body = csvio.export(user, kind)
    action, object_type = ACTIONS[kind]
    record(user, action, object_type=object_type, object_id="*")
    db.session.commit()
    output.write(body)


@inventory_group.command("import")
@click.option("--as", "username", required=True, help="The user who imports (their rights apply).")
@click.option("--systems", "systems_file", type=click.File("rb"), help="The information systems file.")
@click.option("--servers", "servers_file", type=click.File("rb"), help="The servers file.")
@with_appcontext
def import_command(username, systems_file, servers_file):
    """Import one file or both, all or nothing: every problem is listed with its line."""
    user = _user(username)
    try:
        summary = import_files(user, {"systems": systems_file.read() if systems_file else None,
                                      "servers": servers_file.read() if servers_file else None})
    except ImportRefused as err:
        for kind, problem in err.problems:
            click.echo(f"{kind}: {problem}", err=True)
        click.echo(err.message, err=True)
        sys.exit(1)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    click.echo(f"systems: created {summary.created['systems']}, updated {summary.updated['systems']}, "
               f"unchanged {summary.unchanged['systems']}; servers: created {summary.created['servers']}, "
               f"updated {summary.updated['servers']}, unchanged {summary.unchanged['servers']}")
