"""/api/v1: bearer-token JSON API over the same services and policy as the pages.

Per request: one SELECT authenticates the token (with its user); a write runs in one transaction;
objects are not reloaded after the commit to be serialised (see `authenticate`).
"""
import json
import logging
from functools import wraps

from flask import Blueprint, g, has_request_context, jsonify, request, url_for
from flask_babel import get_locale
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import aliased

from ..about import version
from ..auth import tokens
from ..catalogue import gettext as _
from ..clock import iso_utc, utcnow
from ..errors import Forbidden, NotFound, Unauthorized, ValidationError
from ..extensions import db
from ..ids import MAX_ID
from ..incidents import links, listing, policy, services
from ..incidents.models import Incident
from ..team.models import Agency, User
from . import openapi, schemas

logger = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api/v1")
PUBLIC = {"api.openapi_document"}
READS = ("GET", "HEAD", "OPTIONS")


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC:
        return None
    if request.method in READS:
        # Reads run without BEGIN and ROLLBACK: two round trips fewer. Nothing is lost: under
        # READ COMMITTED every statement has its own snapshot, in a transaction or not. The
        # pool restores the connection's default when the request gives it back.
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    token = tokens.authenticate(request.headers.get("Authorization", ""))
    if token is None:
        raise Unauthorized(_("A valid bearer token is required."))
    g.api_token, g.api_user = token, token.user  # the audit log and the locale read these
    now = utcnow()
    if tokens.last_use_due(token, now):
        g.api_last_use = now  # written with the request's own commit (see _write_last_use)
    # An API request serialises what it has just written: keep the values after the commit
    # instead of reloading every object. This request's session only; the pages, the CLI and
    # the scheduler keep the default (their sessions live longer, or they redirect anyway).
    db.session().expire_on_commit = False
    return None


def _write_last_use(session):
    """`before_commit` hook: the token's last use joins the request's transaction, as its last
    statement, so the token row is locked only for the moment of the commit."""
    if has_request_context() and g.get("api_last_use") is not None and g.get("api_token") is not None:
        tokens.write_last_use(g.api_token, g.pop("api_last_use"), session)


@bp.record_once
def _install_commit_hook(_state):
    if not event.contains(db.session, "before_commit", _write_last_use):
        event.listen(db.session, "before_commit", _write_last_use)


@bp.after_request
def finish(response):
    """A read request commits only to record a due last use, and only when it succeeded with
    nothing else pending; the answer names its language."""
    due = g.pop("api_last_use", None)
    session = db.session()
    if due is not None and response.status_code < 400 and not (session.new or session.dirty or session.deleted):
        try:
            tokens.write_last_use(g.api_token, due, session)
            session.commit()
        except SQLAlchemyError:  # the answer stands; the last use waits for the next call
            session.rollback()
            logger.warning("could not record the last use of token %s", g.api_token.id)
    response.headers["Content-Language"] = str(get_locale())
    return response


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
    """The parsed body; a clear 400 for a wrong content type or text that is not JSON. NaN and
    Infinity are refused too: Python's parser takes them, JSON (RFC 8259) has no such values, and
    PostgreSQL refused them in a stored alert's raw body (a 500)."""
    if not request.is_json:
        raise ValidationError(_("Send the body as JSON, with the header Content-Type: application/json."))
    try:
        return json.loads(request.get_data(cache=True), parse_constant=_not_json)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ValidationError(_("The body is not valid JSON.")) from None


def _not_json(constant):
    raise ValueError(f"{constant} is not a JSON value")


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
    errors = schemas.field_errors(schema, data)
    for where in _unencodable(data):
        errors.setdefault(schemas.clip(where), _("Contains a character that is not allowed."))
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


def _iso(moment):
    """Naive UTC as ISO 8601 with a Z: what clock.iso_utc gives, without its time-zone round trip."""
    return None if moment is None else moment.isoformat() + "Z"


_SERIALISED = frozenset((
    "id", "reference", "title", "description", "category", "sub_type", "severity", "priority", "tlp",
    "status", "source", "agency", "assignee", "reporter", "affected_systems", "affected_servers",
    "discovered_at", "reported_at", "updated_at", "closed_at", "resolution", "version", "systems", "servers"))


def _incident_json(v, agency, reporter, assignee, linked):
    """The API's view of an incident from its column values `v` (a mapping) and the JSON of its
    agency and people: the one place that says what an incident looks like, for both sources."""
    return {
        "id": v["id"], "reference": v["reference"], "title": v["title"], "description": v["description"],
        "category": v["category"], "sub_type": v["sub_type"], "severity": v["severity"],
        "priority": v["priority"], "tlp": v["tlp"], "status": v["status"], "source": v["source"],
        "agency": agency, "assignee": assignee, "reporter": reporter,
        "systems": linked["systems"], "servers": linked["servers"],
        "affected_systems": v["affected_systems"], "affected_servers": v["affected_servers"],
        "discovered_at": _iso(v["discovered_at"]), "reported_at": _iso(v["reported_at"]),
        "updated_at": _iso(v["updated_at"]), "closed_at": _iso(v["closed_at"]),
        "resolution": v["resolution"], "version": v["version"],
    }


def serialise(incident):
    """The API's view of an incident. Reading each value through its ORM attribute costs more
    than the rest of this function: the loaded values are read from the instance's dict, unless
    one is not loaded (then the attributes load it)."""
    v = vars(incident)
    if not _SERIALISED <= v.keys():
        v = {name: getattr(incident, name) for name in _SERIALISED}
    agency = v["agency"]
    linked = {"systems": [{"id": s.id, "code": s.code, "name": s.name} for s in v["systems"]],
              "servers": [{"id": s.id, "hostname": s.hostname} for s in v["servers"]]}
    return _incident_json(v, {"id": agency.id, "code": agency.code, "name": agency.name},
                          _person(v["reporter"]), _person(v["assignee"]), linked)


# The list reads plain rows, not objects: the incident's columns, its agency's and its two
# people's, each under a name of its own (see listing.page).
_REPORTER, _ASSIGNEE = aliased(User, name="reporter"), aliased(User, name="assignee")
_ROW_COLUMNS = (
    *(Incident.__table__.c[name] for name in (
        "id", "reference", "title", "description", "category", "sub_type", "severity", "priority", "tlp",
        "status", "source", "agency_id", "reporter_id", "assignee_id", "affected_systems", "affected_servers",
        "discovered_at", "reported_at", "updated_at", "closed_at", "resolution", "version")),
    Agency.code.label("agency_code"), Agency.name.label("agency_name"),
    _REPORTER.username.label("reporter_username"), _REPORTER.full_name.label("reporter_full_name"),
    _ASSIGNEE.username.label("assignee_username"), _ASSIGNEE.full_name.label("assignee_full_name"),
)


_ROW_JOINS = (Incident.agency_id == Agency.id, Incident.reporter_id == _REPORTER.id,
              Incident.assignee_id == _ASSIGNEE.id)


def _list_rows(query):
    """`query` (the list's SELECT of incidents) as a SELECT of the values `_serialise_row` reads."""
    to_agency, to_reporter, to_assignee = _ROW_JOINS
    return (query.with_only_columns(*_ROW_COLUMNS)
            .join_from(Incident, Agency, to_agency)
            .join_from(Incident, _REPORTER, to_reporter)
            .outerjoin_from(Incident, _ASSIGNEE, to_assignee))


def _serialise_row(row, linked):
    """What `serialise` gives, from one row of `_list_rows` and its links (`links.linked`)."""
    v = row._mapping
    assignee = None if v["assignee_id"] is None else {
        "id": v["assignee_id"], "username": v["assignee_username"], "full_name": v["assignee_full_name"]}
    return _incident_json(
        v, {"id": v["agency_id"], "code": v["agency_code"], "name": v["agency_name"]},
        {"id": v["reporter_id"], "username": v["reporter_username"], "full_name": v["reporter_full_name"]},
        assignee, linked)


def _location(incident):
    return url_for("api.get_incident", incident_id=incident.id)


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
    result = listing.page(g.api_user, lq, rows=_list_rows)
    linked = links.linked([r.id for r in result.items])  # the whole page's links: one statement
    return jsonify({"items": [_serialise_row(r, linked[r.id]) for r in result.items],
                    "next_cursor": result.next_cursor,
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
    return jsonify(serialise(incident)), 201, {"Location": _location(incident)}


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
    # A note has no address of its own: it is read as part of its incident.
    return (jsonify({"id": entry.id, "kind": entry.kind, "body": entry.body, "at": iso_utc(entry.at)}), 201,
            {"Location": _location(incident)})


@bp.post("/incidents/<int:incident_id>/status")
@scope("incidents:write")
def change_status(incident_id):
    incident = _visible(incident_id)
    data = _validated(schemas.STATUS_CHANGE)
    services.change_status(g.api_user, incident, data["status"], data.get("note", ""),
                           data.get("reason"), data.get("version"))
    return jsonify(serialise(incident))


@bp.post("/incidents/<int:incident_id>/acknowledge")
@scope("incidents:write")
def acknowledge(incident_id):
    """Acknowledge the incident as the token's user: stops its escalation (the first time)."""
    from ..oncall import ack  # the API face of acknowledgement only

    incident = _visible(incident_id)
    first = ack.acknowledge(g.api_user, incident, via="api")
    return jsonify({"id": incident.id, "reference": incident.reference, "first": first,
                    "acknowledged_at": _iso(incident.acknowledged_at),
                    "acknowledged_by": _person(db.session.get(User, incident.acknowledged_by_id))})


from . import alerts as _alerts  # noqa: E402,F401  (alert intake and list: routes on this blueprint)
from . import checks as _checks  # noqa: E402,F401  (a server's checks: routes on this blueprint)
from . import clocks as _clocks  # noqa: E402,F401  (regulatory clocks, reports sent: routes on this blueprint)
from . import compliance as _compliance  # noqa: E402,F401  (its routes join this blueprint)
from . import heartbeats as _heartbeats  # noqa: E402,F401  (servers' heartbeats: a route on this blueprint)
from . import inventory as _inventory  # noqa: E402,F401  (systems and servers: routes on this blueprint)
from . import summary as _summary  # noqa: E402,F401  (Form 05's figures: a route on this blueprint)
