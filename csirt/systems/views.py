"""Read-only lists of information systems and servers (managed by later issues)."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from . import services

bp = Blueprint("systems", __name__, url_prefix="/systems")


@bp.get("/")
@login_required
def index():
    return render_template("systems/index.html", systems=services.list_systems(current_user))


@bp.get("/servers")
@login_required
def servers():
    return render_template("systems/servers.html", servers=services.list_servers(current_user))
