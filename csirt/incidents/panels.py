"""The "Incidents" panel of the system and server pages (registered in `csirt/systems/panels.py`
by the factory: the inventory does not import incidents). It lists the newest incidents linked
to the record that the user may see (`incidents.policy`), and links to the whole filtered list."""
from flask import url_for

from ..extensions import db
from ..systems import panels
from . import policy
from .models import Incident, incident_server, incident_system

TEMPLATE = "incidents/_affected_panel.html"
SHOWN = 10


def _panel(user, table, column, filter_key, record_id):
    linked = Incident.id.in_(db.select(table.c.incident_id).where(column == record_id))
    visible = policy.visible_incidents(user).where(linked)
    items = db.session.execute(visible.order_by(Incident.id.desc()).limit(SHOWN)).unique().scalars().all()
    total = (len(items) if len(items) < SHOWN else
             db.session.execute(visible.with_only_columns(db.func.count(Incident.id)).order_by(None)).scalar())
    return TEMPLATE, {"items": items, "total": total, "shown": SHOWN,
                      "list_url": url_for("incidents.index", **{filter_key: record_id})}


def system_panel(user, system):
    return _panel(user, incident_system, incident_system.c.system_id, "system", system.id)


def server_panel(user, server):
    return _panel(user, incident_server, incident_server.c.server_id, "server", server.id)


def init_app(app):
    panels.register("system", "incidents", system_panel, app=app)
    panels.register("server", "incidents", server_panel, app=app)
