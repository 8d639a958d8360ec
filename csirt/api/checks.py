"""/api/v1/servers/<id>/checks: a server's checks with their current state and recent results,
as on the server's page (scope systems:read; the same visibility as the server: a server the
token's user may not see answers 404, like one that does not exist)."""
from flask import g, jsonify

from ..checks import display, panels, policy
from ..checks.models import CheckResult
from ..extensions import db
from ..systems import policy as systems_policy
from .views import _iso, bp, scope

RECENT = 20  # results per check in the answer (the page shows the whole history)


def result_json(result, user):
    """A result as `user` may read it (policy.shown_details: a liaison gets no host names and no
    nmap command line, whose host list covers every agency scanned in the same run)."""
    details = policy.shown_details(user, result.details)
    return {"id": result.id, "status": result.status, "changed": result.changed,
            "started_at": _iso(result.started_at), "finished_at": _iso(result.finished_at),
            "duration_ms": result.duration_ms, "details": details,
            "summary": display.summary(result.kind, result.status, details),
            "command": result.command if policy.sees_scans(user) else None}


def item_json(item, results, user):
    config = item.config
    return {"id": item.id, "kind": item.kind, "active": item.active,
            "config": {"id": config.id, "name": config.name, "enabled": config.enabled,
                       "interval_seconds": config.interval_seconds},
            "state": item.state, "state_label": display.state_label(item.state),
            "state_since": _iso(item.state_since), "last_run_at": _iso(item.last_run_at),
            "next_run_at": _iso(item.next_run_at) if item.active and config.enabled else None,
            "results": [result_json(r, user) for r in results]}


@bp.get("/servers/<int:server_id>/checks")
@scope("systems:read")
def server_checks(server_id):
    user = g.api_user
    server = systems_policy.get_server(user, server_id)
    items = []
    for item, _last in panels.item_rows(user, server.id, active_only=False):
        query = policy.visible_results(user).where(CheckResult.server_check_id == item.id)
        results = db.session.execute(query.order_by(CheckResult.id.desc()).limit(RECENT)).scalars().all()
        items.append(item_json(item, results, user))
    return jsonify({"server": {"id": server.id, "hostname": server.hostname}, "items": items})
