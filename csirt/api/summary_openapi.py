"""The Form 05 operation of the OpenAPI document (openapi.py adds it)."""
from ..incidents.duty_models import HANDLED_WITH
from ..incidents.vocab import CATEGORIES

_COUNT = {"type": "integer", "minimum": 0}
_DAY = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
_HANDLED = {"type": "object", "required": [*HANDLED_WITH, "not_stated"],
            "properties": {k: _COUNT for k in (*HANDLED_WITH, "not_stated")}}
SUMMARY_OUT = {
    "type": "object",
    "required": ["period", "agency", "excluded_statuses", "categories", "totals"],
    "properties": {
        "period": {"type": "object", "required": ["from", "to"], "properties": {"from": _DAY, "to": _DAY}},
        "agency": {"type": ["integer", "null"]},
        "excluded_statuses": {"type": "array", "items": {"type": "string"}},
        "categories": {"type": "array", "minItems": len(CATEGORIES), "maxItems": len(CATEGORIES), "items": {
            "type": "object", "required": ["category", "label", "total", "handled"],
            "properties": {"category": {"type": "string", "enum": list(CATEGORIES)}, "label": {"type": "string"},
                           "total": _COUNT, "handled": _HANDLED}}},
        "totals": {"type": "object", "required": ["total", "handled"],
                   "properties": {"total": _COUNT, "handled": _HANDLED}},
    },
}
PARAMS = [
    ("from", True, _DAY),
    ("to", True, _DAY),
    ("agency", False, {"type": "string", "pattern": "^[0-9]*$", "maxLength": 9}),
]


def paths(ok, errors, _body_example):
    """The OpenAPI paths of the summary; `ok`, `errors` are openapi.py's builders."""
    return {"/reports/summary": {"get": {
        "summary": "Form 05's figures for a period (scope incidents:read): per national category, the "
                   "incidents discovered from `from` to `to` (local days of the province, both included; "
                   "rejected incidents not counted) and how each was handled (`not_stated`: not recorded "
                   "yet). Scoped like the incident list: a liaison's token counts their agency only",
        "operationId": "getSummary",
        "parameters": [{"name": n, "in": "query", "required": r, "schema": s} for n, r, s in PARAMS],
        "responses": {**ok(200, "#/components/schemas/Summary", "The figures"), **errors(400, 401, 403)}}}}


COMPONENTS = {"Summary": SUMMARY_OUT}
