"""GET /api/v1/reports/summary: Form 05's figures as JSON, scoped like the page (incidents policy)."""
from flask import g, jsonify, request

from ..catalogue import gettext as _
from ..errors import ValidationError
from ..reports.summary.figures import compute, read_agency, read_period
from .views import bp, scope


@bp.get("/reports/summary")
@scope("incidents:read")
def summary():
    period, errors = read_period(request.args)
    agency_id = read_agency(request.args, errors)
    if errors:
        raise ValidationError(_("The query is not valid."), errors=errors)
    return jsonify(compute(g.api_user, period, agency_id).as_dict())
