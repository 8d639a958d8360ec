"""Domain errors raised by services, and the one place that maps them to responses."""
import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain refused the request; `message` is already translated."""

    status = 400

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(DomainError):
    status = 400

    def __init__(self, message, errors=None, field=None):
        super().__init__(message, field=field)
        self.errors = errors or {}


def invalid(errors):
    """The ValidationError of a form or body whose `errors` ({field: message}) say what is wrong."""
    return ValidationError(_("Please correct the marked fields."), errors=errors)


class Unauthorized(DomainError):
    """No valid credentials (the API's bearer token)."""

    status = 401


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


def _wants_json():
    return request.path.startswith("/api/") or request.path == "/healthz"


def _respond(status, message, errors=None):
    if _wants_json():
        body = {"error": message, "status": status}
        if errors:
            body["errors"] = errors
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message), status


def _http_message(status):
    messages = {
        400: _("The request was not understood."),
        401: _("Please log in."),
        403: _("You are not allowed to do that."),
        404: _("Not found."),
        405: _("That method is not allowed here."),
        409: _("Someone else changed this record; reload and try again."),
        413: _("The upload is too large."),
        429: _("Too many requests; wait a moment and try again."),
        503: _("The service is temporarily unavailable."),
    }
    return messages.get(status, _("Something went wrong."))


def _record_denial():
    """Permission denials go to the audit log, in a transaction of their own."""
    from flask import g
    from flask_login import current_user

    from .audit.services import record
    from .extensions import db

    db.session.rollback()
    actor = getattr(g, "api_user", None) or (current_user if current_user.is_authenticated else None)
    try:
        record(actor, "auth.denied", object_type="route", object_id=f"{request.method} {request.path}"[:64])
        db.session.commit()
    except Exception:  # the denial itself must still be answered
        db.session.rollback()
        logger.exception("could not record a permission denial")


def register_error_handlers(app):
    @app.errorhandler(DomainError)
    def handle_domain_error(err):
        if isinstance(err, NotFound):  # never say what exists: same answer as a missing record
            return _respond(404, _http_message(404))
        if isinstance(err, Forbidden):
            _record_denial()
        return _respond(err.status, err.message, getattr(err, "errors", None))

    @app.errorhandler(CSRFError)
    def handle_csrf(err):
        logger.warning("CSRF refused on %s %s: %s", request.method, request.path, err.description)
        return _respond(400, _("The form expired or was not sent from this site; reload and try again."))

    @app.errorhandler(HTTPException)
    def handle_http(err):
        response = _respond(err.code or 500, _http_message(err.code))
        allowed = getattr(err, "valid_methods", None)
        if err.code == 405 and allowed:
            body, status = response
            return body, status, {"Allow": ", ".join(allowed)}
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(err):
        from sqlalchemy.exc import OperationalError

        from .extensions import db

        db.session.rollback()
        if isinstance(err, OperationalError):
            logger.error("database unavailable: %s", err.__class__.__name__)
            return _respond(503, _http_message(503))
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(500, _("Something went wrong. The error was logged."))
