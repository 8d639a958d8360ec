"""/api/v1/alerts: alert intake (generic JSON, Prometheus Alertmanager, Wazuh) and the alert list.

Intake needs the scope alerts:write and a token of the response team (policy.require_ingest: a
liaison's token answers 403 whatever its scopes); reads need alerts:read and show only what the
token's user may see (a hidden alert answers 404, like a missing one).

An intake answers 201 when it stored at least one new alert, 200 when every alert was already
stored (sent again: nothing changed), with one item per alert sent, in order:
`{"id", "incident": {"id", "reference"} | null, "status"}`, status one of opened, joined,
resolved, unmatched, duplicate. The body is capped at CSIRT_ALERT_MAX_BYTES (default 2 MiB),
announced or streamed (chunked): beyond it, 413.
"""
from flask import current_app, g, jsonify, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from ..alerts import intake, listing, normalise, policy
from ..alerts.normalise import BadAlert
from ..catalogue import gettext as _
from ..clock import utcnow
from ..extensions import db
from ..incidents.models import Incident
from .views import _iso, _json_body, _unencodable, bp, scope

DEFAULT_MAX_BYTES = 2 * 1024 * 1024


def _cap():
    return int(current_app.config.get("CSIRT_ALERT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def _too_large(cap):
    message = _("The body is too large: alerts may send at most %(n)d bytes per request.", n=cap)
    return jsonify({"error": message, "status": 413}), 413


def _bad(err):
    """400 naming the part of the payload that is wrong (BadAlert's path; "" = the whole body)."""
    message = str(err.message)
    body = {"error": message, "status": 400, "field": err.path, "errors": {err.path or "body": str(err.reason)}}
    return jsonify(body), 400


def _intake(fmt):
    """Read, parse, store and route the payload of `fmt`; the answer (see the module)."""
    policy.require_ingest(g.api_user)  # before the body is even read
    cap = _cap()
    if request.content_length is not None and request.content_length > cap:
        return _too_large(cap)
    # A chunked body has no length to check first: werkzeug reads at most this many bytes and
    # stops there without a word, so one byte more than the cap is allowed in, and seeing it is
    # the signal. The body is read once and cached for the JSON parser.
    request.max_content_length = cap + 1
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        return _too_large(cap)
    if len(data) > cap:
        return _too_large(cap)
    payload = _json_body()
    bad = _unencodable(payload)
    if bad:
        return _bad(BadAlert(bad[0], _("Contains a character that is not allowed.")))
    try:
        alerts = normalise.parse(fmt, payload, utcnow())
    except BadAlert as err:
        return _bad(err)
    outcomes = intake.ingest(g.api_user, alerts, via=f"api:{fmt}")
    items = [{"id": o.alert_id, "status": o.status,
              "incident": None if o.incident_id is None else {"id": o.incident_id, "reference": o.incident_reference}}
             for o in outcomes]
    created = [o for o in outcomes if o.created]
    if not created:
        return jsonify({"alerts": items}), 200
    return jsonify({"alerts": items}), 201, {"Location": url_for("api.get_alert", alert_id=created[0].alert_id)}


@bp.post("/alerts")
@scope("alerts:write")
def ingest_generic():
    return _intake("generic")


@bp.post("/alerts/alertmanager")
@scope("alerts:write")
def ingest_alertmanager():
    return _intake("alertmanager")


@bp.post("/alerts/wazuh")
@scope("alerts:write")
def ingest_wazuh():
    return _intake("wazuh")


def alert_json(alert, references):
    """The API's view of an alert; `references` maps incident ids to their references."""
    incident = None
    if alert.incident_id is not None:
        incident = {"id": alert.incident_id, "reference": references.get(alert.incident_id)}
    return {
        "id": alert.id, "source": alert.source, "format": alert.format, "severity": alert.severity,
        "status": alert.status, "title": alert.title, "description": alert.description, "host": alert.host,
        "labels": alert.labels or {}, "fingerprint": alert.fingerprint,
        "occurred_at": _iso(alert.occurred_at), "received_at": _iso(alert.received_at),
        "incident": incident, "playbook": alert.playbook_id, "playbook_version": alert.playbook_version,
        "route": alert.route, "raw": alert.raw,
    }


def _references(alerts):
    ids = sorted({a.incident_id for a in alerts if a.incident_id is not None})
    if not ids:
        return {}
    return dict(db.session.execute(db.select(Incident.id, Incident.reference).where(Incident.id.in_(ids))).all())


@bp.get("/alerts")
@scope("alerts:read")
def list_alerts():
    q = listing.AlertQuery.from_args(request.args)
    result = listing.page(g.api_user, q)
    references = _references(result.items)
    return jsonify({"items": [alert_json(a, references) for a in result.items], "next_cursor": result.next_cursor})


@bp.get("/alerts/<int:alert_id>")
@scope("alerts:read")
def get_alert(alert_id):
    alert = policy.get_visible(g.api_user, alert_id)
    return jsonify(alert_json(alert, _references([alert])))

