"""GET /api/v1/compliance: the compliance dashboard's figures as JSON, scoped like the page
(the systems policy) and filtered the same way (agency, level). The per-system rows come a page
at a time (`limit`, `offset`); every other figure counts all the systems that match. For readers
of every system the figures are those the scheduler stored (`as_of` says when; null: computed
now); the systems are always read now."""
from flask import g, jsonify, request

from ..catalogue import gettext as _
from ..errors import ValidationError
from ..reports.compliance.figures import read_filters
from ..reports.compliance.stored import dashboard
from ..systems.models import LAYERS
from .views import bp, scope

DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET = 100, 1000, 1_000_000


def _number(name, default, low, high, errors):
    text = request.args.get(name, "").strip()
    if not text:
        return default
    if text.isascii() and text.isdigit() and len(text) <= 7 and low <= int(text) <= high:
        return int(text)
    errors[name] = _("A whole number from %(low)s to %(high)s.", low=low, high=high)
    return default


def _day(value):
    return value.isoformat() if value else None


def _tally(t):
    layers = t.layers  # computed once: 250 agencies on a manager's response
    return {"systems": t.systems, "all_valid": t.all_valid, "share_all_valid": t.share,
            "layers": {str(n): layers[n] for n in LAYERS},
            "overdue_assessments": t.overdue_assessments, "open_findings": t.open_findings,
            "late_findings": t.late_findings, "not_independent": t.not_independent}


def _system(s):
    return {"id": s.id, "code": s.code, "name": s.name, "level": s.level,
            "agency": {"id": s.agency_id, "name": s.agency_name},
            "layers": {str(n): status for n, status in zip(LAYERS, s.statuses, strict=True)},
            "layer3_independent": s.independent, "last_assessed": _day(s.last_assessed),
            "assessment_due": _day(s.assessment_due), "assessment_overdue": s.assessment_overdue,
            "open_findings": s.open_findings, "late_findings": s.late_findings}


def figures_json(board, limit, offset):
    return {
        "day": board.day.isoformat(),
        "as_of": board.as_of.isoformat() + "Z" if board.as_of else None,
        "expiring_window_days": board.window,
        "filters": {"agency": board.filters.agency_id, "level": board.filters.level},
        "overall": _tally(board.overall),
        "agencies": [{"id": a.id, "name": a.name, **_tally(a)} for a in board.agencies],
        "servers": {"total": board.servers["total"],
                    "controls": {c: {"expected": f["expected"], "verified_share": f["verified"],
                                     "coverage": f["coverage"].as_dict() if f["coverage"] is not None else None}
                                 for c, f in board.servers["controls"].items()}},
        "trend": [{"month": p.month.isoformat()[:7], "systems": p.systems, "all_valid": p.all_valid,
                   "share_all_valid": p.share, "live": p.live} for p in board.trend],
        "systems": {"items": [_system(s) for s in board.rows(offset, limit)],
                    "total": board.count(), "offset": offset, "limit": limit},
    }


@bp.get("/compliance")
@scope("systems:read")
def compliance():
    filters, errors = read_filters(request.args)
    limit = _number("limit", DEFAULT_LIMIT, 1, MAX_LIMIT, errors)
    offset = _number("offset", 0, 0, MAX_OFFSET, errors)
    if errors:
        raise ValidationError(_("The query is not valid."), errors=errors)
    return jsonify(figures_json(dashboard(g.api_user, filters), limit, offset))
