"""The "Controls" panel of the server page (registered in `csirt/systems/panels.py` by `init_app`:
the inventory does not import the checks): each check of the server with its current state and
last result, and a link to the server's history. `init_app` also makes `coverage.agents_state`
the provider of layer 2's agent state on a system page."""
from flask import url_for

from ..extensions import db
from ..systems import panels, summary
from . import coverage, display, policy
from .models import CheckConfig, CheckResult, ServerCheck

TEMPLATE = "checks/_server_panel.html"


def item_rows(user, server_id, active_only=True):
    """The server's work items `user` may see with their last result: [(item, result or None)],
    by kind then configuration name."""
    query = policy.visible_items(user).join(CheckConfig, CheckConfig.id == ServerCheck.config_id).where(
        ServerCheck.server_id == server_id)
    if active_only:
        query = query.where(ServerCheck.active)
    items = db.session.execute(query.order_by(ServerCheck.kind, CheckConfig.name, ServerCheck.id)).scalars().all()
    last_ids = [i.last_result_id for i in items if i.last_result_id is not None]
    results = {}
    if last_ids:
        results = {r.id: r for r in db.session.execute(
            db.select(CheckResult).where(CheckResult.id.in_(last_ids))).scalars()}
    return [(item, results.get(item.last_result_id)) for item in items]


def server_panel(user, server):
    rows = item_rows(user, server.id)
    new_url = url_for("checks.new", server=server.id) if policy.can_configure(user) else None
    return TEMPLATE, {"rows": rows, "server": server, "new_url": new_url,
                      "history_url": url_for("checks.server_history", server_id=server.id),
                      "summary": lambda result: display.result_summary_for(user, result)}


def init_app(app):
    panels.register("server", "checks", server_panel, app=app)
    app.extensions[summary.AGENTS_PROVIDER] = coverage.agents_state  # layer 2 of a system page
