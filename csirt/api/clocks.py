"""An incident's regulatory clocks and the reports sent, as JSON (routes on the API blueprint)."""
from flask import g, jsonify

from ..catalogue import gettext as _
from ..clock import parse_iso, utcnow
from ..errors import invalid
from ..incidents import clocks, sent_reports
from ..rules.keys import label
from .clocks_openapi import REPORT_CREATE
from .views import _iso, _location, _person, _validated, _visible, bp, scope


def _clock_json(clock, now, fraction):
    return {"key": clock.key, "label": str(label(clock.key)), "regime": clock.regime,
            "started_at": _iso(clock.started_at), "due_at": _iso(clock.due_at), "stopped_at": _iso(clock.stopped_at),
            "state": clocks.state(clock, now, fraction), "started_by": clock.started_by}


def report_json(report):
    item = report.evidence
    return {"id": report.id, "duty": report.duty, "kind": report.kind, "sent_at": _iso(report.sent_at),
            "channel": report.channel, "recipient": report.recipient, "reference": report.reference,
            "note": report.note, "recorded_by": _person(report.recorded_by), "recorded_at": _iso(report.recorded_at),
            "file": None if item is None else {"evidence_id": item.id, "name": item.original_name,
                                               "sha256": item.sha256, "size": item.size}}


@bp.get("/incidents/<int:incident_id>/clocks")
@scope("incidents:read")
def get_clocks(incident_id):
    incident = _visible(incident_id)
    now, fraction = utcnow(), clocks.soon_fraction()
    return jsonify({"incident": incident.id, "clocks": [_clock_json(c, now, fraction) for c in incident.clocks],
                    "reports": [report_json(r) for r in incident.sent_reports]})


@bp.post("/incidents/<int:incident_id>/reports")
@scope("incidents:write")
def record_report(incident_id):
    incident = _visible(incident_id)
    data = _validated(REPORT_CREATE)
    try:
        sent_at = parse_iso(data["sent_at"])
    except (ValueError, OverflowError):
        raise invalid({"sent_at": _("Write the time as ISO 8601, e.g. 2026-09-01T20:30:00Z.")}) from None
    report = sent_reports.record_sent(g.api_user, incident, {**data, "sent_at": sent_at})
    return jsonify(report_json(report)), 201, {"Location": _location(incident)}
