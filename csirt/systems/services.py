"""Reading the inventory of information systems and servers (editing arrives with the
four-layer issue). Every read goes through `policy`."""
from flask_babel import gettext as _

from ..extensions import db
from . import policy
from .models import InformationSystem, Server


def list_systems(user):
    query = policy.visible_systems(user).order_by(InformationSystem.level.desc(), InformationSystem.name)
    return db.session.execute(query).scalars().all()


def list_servers(user):
    policy.require(policy.can_see_servers(user), _("Only the response team sees the server inventory."))
    query = policy.visible_servers(user).order_by(Server.kind, Server.hostname)
    return db.session.execute(query).scalars().all()
