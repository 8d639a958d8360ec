"""Read-only lists of information systems and servers (managed by later issues)."""
from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import Forbidden
from ..extensions import db
from .models import InformationSystem, Server

bp = Blueprint("systems", __name__, url_prefix="/systems")


@bp.get("/")
@login_required
def index():
    query = db.select(InformationSystem).order_by(InformationSystem.level.desc(), InformationSystem.name)
    if current_user.role == "member":
        query = query.where(InformationSystem.owner_agency_id == current_user.agency_id)
    systems = db.session.execute(query).scalars().all()
    return render_template("systems/index.html", systems=systems)


@bp.get("/servers")
@login_required
def servers():
    if current_user.role == "member":
        raise Forbidden(_("Only the response team sees the server inventory."))
    rows = db.session.execute(db.select(Server).order_by(Server.kind, Server.hostname)).scalars().all()
    return render_template("systems/servers.html", servers=rows)
