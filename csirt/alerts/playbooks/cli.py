"""`csirt playbooks validate [PATH]`: check a playbook file or folder before deploying it."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .registry import load_dir, playbook_files


@click.group("playbooks")
def playbooks_group():
    """Check the alert playbooks (playbooks/README.md)."""


@playbooks_group.command("validate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@with_appcontext
def validate_command(path):
    """Check PATH (a file or a folder; default CSIRT_PLAYBOOKS_DIR): every error as file:line:
    reason, then a summary. Exit status 1 when any file has an error."""
    path = path or Path(current_app.config["CSIRT_PLAYBOOKS_DIR"])
    result = load_dir(path)
    for error in result.errors:
        click.echo(str(error))
    files = [path] if path.is_file() else (playbook_files(path) if path.is_dir() else [])
    invalid = {error.path for error in result.errors}
    valid = sum(1 for f in files if str(f) not in invalid)
    click.echo(f"{valid} playbooks valid, {len(invalid)} files invalid")
    if result.errors:
        raise SystemExit(1)
