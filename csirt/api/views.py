"""/api/v1: bearer-token JSON API over the same services and policy as the pages."""
from functools import wraps

from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _
from jsonschema import Draft202012Validator, FormatChecker
from werkzeug.exceptions import BadRequest

from ..about import version
from ..auth import tokens
from ..clock import iso_utc
from ..errors import Forbidden, NotFound, Unauthorized, ValidationError
from ..extensions import db
from ..ids import MAX_ID
from ..incidents import listing, policy, services
from . import openapi, schemas

bp = Blueprint("api", __name__, url_prefix="/api/v1")
_format_checker = FormatChecker()
PUBLIC = {"api.openapi_document"}


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC:
        return None
    token = tokens.authenticate(request.headers.get("Authorization", ""))
    if token is None:
        db.session.rollback()
        raise Unauthorized(_("A valid bearer token is required."))
    db.session.commit()  # last_used_at
    g.api_token, g.api_user = token, token.user
    return None


def scope(name):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if name not in g.api_token.scope_list:
                raise Forbidden(_("This token lacks the scope %(scope)s.", scope=name))
            return view(*args, **kwargs)
        return wrapper
    return decorator


def _json_body():
    """The parsed body; a clear 400 for a wrong content type or text that is not JSON."""
    if not request.is_json:
        raise ValidationError(_("Send the body as JSON, with the header Content-Type: application/json."))
    try:
        return request.get_json()
    except (BadRequest, RecursionError):
        raise ValidationError(_("The body is not valid JSON.")) from None


def _unencodable(value, path=""):
    """Paths of strings the database cannot store (lone UTF-16 surrogates)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return [path or "body"]
        return []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _unencodable(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _unencodable(v, f"{path}.{i}" if path else str(i))]
    return []


def _validated(schema):
    data = _json_body()
    if not isinstance(data, dict):
        raise ValidationError(_("The body must be a JSON object."))
    errors = {}
    for error in Draft202012Validator(schema, format_checker=_format_checker).iter_errors(data):
        where = ".".join(str(p) for p in error.absolute_path)
        if not where and error.validator == "additionalProperties":
            for key in sorted(set(error.instance) - set(schema.get("properties", {}))):
                errors.setdefault(str(key), _("This field cannot be set."))
            continue
        if not where and error.validator == "required":
            for key in error.validator_value:
                if key not in error.instance:
                    errors.setdefault(key, _("This field is required."))
            continue
        errors.setdefault(where or "body", error.message[:300])
    for where in _unencodable(data):
        errors.setdefault(where, _("Contains a character that is not allowed."))
    if errors:
        raise ValidationError(_("The request body is not valid."), errors=errors)
    return data


def _visible(incident_id):
    """The incident the token's user may see; ids beyond the 32-bit column are simply unknown."""
    if not 1 <= incident_id <= MAX_ID:
        raise NotFound("incident")
    return policy.get_visible(g.api_user, incident_id)


def _person(user):
    return None if user is None else {"id": user.id, "username": user.username, "full_name": user.full_name}


def serialise(incident):
    return {
        "id": incident.id, "reference": incident.reference, "title": incident.title,
        "description": incident.description, "category": incident.category,
        "sub_type": incident.sub_type, "severity": incident.severity, "priority": incident.priority,
        "tlp": incident.tlp, "status": incident.status, "source": incident.source,
        "agency": {"id": incident.agency.id, "code": incident.agency.code, "name": incident.agency.name},
        "assignee": _person(incident.assignee), "reporter": _person(incident.reporter),
        "affected_systems": incident.affected_systems, "affected_servers": incident.affected_servers,
        "discovered_at": iso_utc(incident.discovered_at), "reported_at": iso_utc(incident.reported_at),
        "updated_at": iso_utc(incident.updated_at), "closed_at": iso_utc(incident.closed_at),
        "resolution": incident.resolution, "version": incident.version,
    }


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document(version()))


def _check_list_args():
    """The list's query parameters as the document states them. The pages are more forgiving
    (listing.from_args strips spaces and defaults empty values); the API says what is wrong."""
    errors = {}
    for key, _schema in openapi.LIST_PARAMS:
        values = request.args.getlist(key)
        if not values:
            continue
        value = values[0]
        if len(values) > 1:
            errors[key] = _("Give this parameter only once.")
        elif key == "q":
            if len(value) > listing.MAX_QUERY:
                errors[key] = _("At most %(n)d characters.", n=listing.MAX_QUERY)
        elif value != value.strip():
            errors[key] = _("Remove the spaces around the value.")
        elif key in ("sort", "dir", "limit") and not value:
            errors[key] = _("Leave the parameter out or give it a value.")
        elif key == "limit" and not (value.isascii() and value.isdigit()):
            errors[key] = _("Between 1 and %(n)d.", n=listing.MAX_PAGE)
    if errors:
        raise ValidationError(_("Some filters are not valid."), errors=errors)


@bp.get("/incidents")
@scope("incidents:read")
def list_incidents():
    _check_list_args()
    lq = listing.ListQuery.from_args(request.args)
    result = listing.page(g.api_user, lq)
    return jsonify({"items": [serialise(i) for i in result.items], "next_cursor": result.next_cursor,
                    "total": result.total})


@bp.get("/incidents/<int:incident_id>")
@scope("incidents:read")
def get_incident(incident_id):
    return jsonify(serialise(_visible(incident_id)))


@bp.post("/incidents")
@scope("incidents:write")
def create_incident():
    data = _validated(schemas.INCIDENT_CREATE)
    incident = services.open_incident(g.api_user, data)
    return jsonify(serialise(incident)), 201


@bp.patch("/incidents/<int:incident_id>")
@scope("incidents:write")
def update_incident(incident_id):
    incident = _visible(incident_id)
    data = _validated(schemas.INCIDENT_UPDATE)
    version = data.pop("version", None)
    if not data:
        raise ValidationError(_("Nothing to update."))
    services.update_incident(g.api_user, incident, data, version)
    return jsonify(serialise(incident))


@bp.post("/incidents/<int:incident_id>/notes")
@scope("incidents:write")
def add_note(incident_id):
    incident = _visible(incident_id)
    data = _validated(schemas.NOTE_CREATE)
    entry = services.add_note(g.api_user, incident, data["body"], data.get("kind", "note"))
    return jsonify({"id": entry.id, "kind": entry.kind, "body": entry.body, "at": iso_utc(entry.at)}), 201


@bp.post("/incidents/<int:incident_id>/status")
@scope("incidents:write")
def change_status(incident_id):
    incident = _visible(incident_id)
    data = _validated(schemas.STATUS_CHANGE)
    services.change_status(g.api_user, incident, data["status"], data.get("note", ""),
                           data.get("reason"), data.get("version"))
    return jsonify(serialise(incident))
