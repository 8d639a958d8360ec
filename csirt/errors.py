"""Domain errors raised by services, and the one place that maps them to responses."""
import logging
import re
import threading
from datetime import timedelta

from flask import current_app, jsonify, render_template, request, url_for
from flask_babel import format_decimal
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .catalogue import gettext as _

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


def _respond(status, message, errors=None, **page):
    """The error as JSON (API) or as the error page; `page` adds to the page (detail, back_url)."""
    if _wants_json():
        body = {"error": message, "status": status}
        if errors:
            body["errors"] = errors
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message, **page), status


UPLOAD_PATH = re.compile(r"/incidents/([0-9]{1,9})/evidence")


def _too_large(message):
    """413: say the size limit (unless the request was within it and had too many form parts),
    and lead back to the incident when the upload was evidence for one."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    detail = None
    if limit and (request.content_length is None or request.content_length > limit):
        detail = _("The largest upload allowed is %(size)s MB.",
                   size=format_decimal(limit / (1024 * 1024), format="#,##0.#"))
    if _wants_json():
        return _respond(413, f"{message} {detail}" if detail else message)
    match = UPLOAD_PATH.fullmatch(request.path)
    back_url = url_for("incidents.view", incident_id=int(match.group(1))) if match else None
    return _respond(413, message, detail=detail, back_url=back_url, back_label=_("Back to the incident"))


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


def _acting_user():
    from flask import g
    from flask_login import current_user

    return getattr(g, "api_user", None) or (current_user if current_user.is_authenticated else None)


def _record_denial(actor=None, after=None):
    """Permission denials go to the audit log, in a transaction of their own (the factory hands
    in the audit log's `record`: this shared module imports no domain package)."""
    from .extensions import db

    record = current_app.extensions["csirt_audit_record"]

    db.session.rollback()
    try:
        record(actor or _acting_user(), "auth.denied", object_type="route",
               object_id=f"{request.method} {request.path}"[:64], after=after)
        db.session.commit()
    except Exception:  # the denial itself must still be answered
        db.session.rollback()
        logger.exception("could not record a permission denial")


class ProbeLimit:
    """At most one audit entry per (user, kind of record) per `seconds`; the rest are counted,
    and the count is written with the next entry for that user and kind ("suppressed").

    Process-local on purpose: it only bounds what a scan of ids writes to the log, so a probe
    costs no database write and needs no table of its own. With several worker processes the
    bound is one entry per process per window, still bounded; a restart forgets the counts."""

    def __init__(self, seconds=60, max_keys=10_000):
        self.seconds = seconds
        self.max_keys = max_keys
        self._windows = {}  # key -> [start of the window, probes suppressed in it]
        self._lock = threading.Lock()

    def admit(self, key, now):
        """None to leave this probe out of the log; else how many were left out before it."""
        with self._lock:
            window = self._windows.get(key)
            if window is not None and now < window[0] + timedelta(seconds=self.seconds):
                window[1] += 1
                return None
            if window is None and len(self._windows) >= self.max_keys:
                ended = now - timedelta(seconds=self.seconds)
                self._windows = {k: w for k, w in self._windows.items() if w[0] > ended}
            self._windows[key] = [now, 0]
            return window[1] if window is not None else 0


def _record_probe(kind):
    """A signed-in user (or token) asked for a record it may not see, or that does not exist: the
    answer stays a plain 404, but the log shows it, so a scan of ids leaves a trace."""
    from .clock import utcnow

    actor = _acting_user()
    if actor is None:
        return
    suppressed = current_app.extensions["csirt_probe_limit"].admit((actor.id, kind), utcnow())
    if suppressed is None:
        return
    after = {"answer": 404, "record": kind}
    if suppressed:
        after["suppressed"] = suppressed
    _record_denial(actor, after)


def register_error_handlers(app, record):
    """Map errors to responses; `record` is the audit log's `record()`, used for denials."""
    app.extensions["csirt_probe_limit"] = ProbeLimit()
    app.extensions["csirt_audit_record"] = record

    @app.errorhandler(DomainError)
    def handle_domain_error(err):
        if isinstance(err, NotFound):  # never say what exists: same answer as a missing record
            _record_probe(str(err.message)[:40])
            return _respond(404, _http_message(404))
        if isinstance(err, Forbidden):
            _record_denial()
        if err.status == 413:  # a stream the service cut at the limit: the same page as Flask's 413
            return _too_large(err.message)
        return _respond(err.status, err.message, getattr(err, "errors", None))

    @app.errorhandler(CSRFError)
    def handle_csrf(err):
        logger.warning("CSRF refused on %s %s: %s", request.method, request.path, err.description)
        return _respond(400, _("The form expired or was not sent from this site; reload and try again."))

    @app.errorhandler(HTTPException)
    def handle_http(err):
        if err.code == 413:
            return _too_large(_http_message(413))
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
