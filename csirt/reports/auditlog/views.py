"""The audit log page, for admins and managers: filters, keyset pages, readable rows."""
from datetime import date, datetime, time, timedelta

from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user, login_required

from ...audit import policy
from ...audit.models import AuditLog
from ...audit.services import CHANNELS
from ...catalogue import gettext as _
from ...clock import local_to_utc
from ...errors import Forbidden
from ...extensions import db
from ...ids import as_id
from . import labels
from .present import present

bp = Blueprint("audit", __name__, url_prefix="/audit")

# The query arguments of the page; the only ones its links carry.
FILTERS = ("action", "actor", "object", "channel", "start", "end")
LIMITS = {"action": 64, "actor": 64, "object": 40, "channel": 16, "start": 10, "end": 10}


def _day(text):
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _read_filters(args):
    """The filters from the query string, and {argument: message} for each one that is not valid."""
    values = {key: (args.get(key) or "").strip() for key in FILTERS}
    errors = {}
    for key, limit in LIMITS.items():
        if len(values[key]) > limit or "\x00" in values[key]:
            errors[key] = _("Not a valid value.")
    if values["channel"] and values["channel"] not in CHANNELS:
        errors["channel"] = _("Unknown channel.")
    days = {}
    for key in ("start", "end"):
        if values[key] and key not in errors:
            days[key] = _day(values[key])
            if days[key] is None:
                errors[key] = _("Write the date as YYYY-MM-DD.")
    if days.get("start") and days.get("end") and days["end"] < days["start"]:
        errors["end"] = _("The end date is before the start date.")
    return values, days, errors


def _query(values, days):
    query = db.select(AuditLog).order_by(AuditLog.id.desc())
    action = values["action"]
    if action and "." not in action:  # a whole group, e.g. "incident"
        action += "."
    if action.endswith("."):
        query = query.where(AuditLog.action.startswith(action, autoescape=True))
    elif action:
        query = query.where(AuditLog.action == action)
    if values["actor"]:
        query = query.where(AuditLog.actor_name == values["actor"])
    if values["object"]:
        query = query.where(AuditLog.object_type == values["object"])
    if values["channel"]:
        query = query.where(AuditLog.channel == values["channel"])
    # Dates are the province's calendar days; the column holds naive UTC.
    if days.get("start"):
        query = query.where(AuditLog.at >= local_to_utc(datetime.combine(days["start"], time())))
    if days.get("end"):
        query = query.where(AuditLog.at < local_to_utc(datetime.combine(days["end"] + timedelta(days=1), time())))
    return query


@bp.get("/")
@login_required
def index():
    if not policy.can_read(current_user):
        raise Forbidden(_("Only administrators and managers read the audit log."))
    values, days, errors = _read_filters(request.args)
    choices = {"actions": labels.action_choices(), "objects": labels.object_type_choices(),
               "channels": labels.channel_choices()}
    if errors:
        return render_template("audit/index.html", rows=[], next_url=None, newest_url=None, filters=values,
                               errors=errors, **choices), 400
    query = _query(values, days)
    before = as_id(request.args.get("before", ""))
    if before:
        query = query.where(AuditLog.id < before)
    limit = current_app.config["CSIRT_PAGE_SIZE"] * 2
    entries = db.session.execute(query.limit(limit + 1)).scalars().all()
    kept = {key: value for key, value in values.items() if value}
    next_url = url_for("audit.index", **kept, before=entries[limit - 1].id) if len(entries) > limit else None
    newest_url = url_for("audit.index", **kept) if before else None
    return render_template("audit/index.html", rows=present(entries[:limit]), next_url=next_url,
                           newest_url=newest_url, filters=values, errors={}, **choices)
