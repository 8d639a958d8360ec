"""The audit log page, for admins and managers."""
from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import Forbidden
from ..extensions import db
from ..ids import as_id
from . import policy
from .models import AuditLog

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@login_required
def index():
    if not policy.can_read(current_user):
        raise Forbidden(_("Only administrators and managers read the audit log."))
    query = db.select(AuditLog).order_by(AuditLog.id.desc())
    action = (request.args.get("action") or "").strip()[:64]
    actor = (request.args.get("actor") or "").strip()[:64]
    obj = (request.args.get("object") or "").strip()[:40]
    before = request.args.get("before", "")
    if action:
        query = query.where(AuditLog.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditLog.actor_name == actor)
    if obj:
        query = query.where(AuditLog.object_type == obj)
    if as_id(before):
        query = query.where(AuditLog.id < as_id(before))
    limit = current_app.config["CSIRT_PAGE_SIZE"] * 2
    rows = db.session.execute(query.limit(limit + 1)).scalars().all()
    next_before = rows[limit - 1].id if len(rows) > limit else None
    return render_template("audit/index.html", rows=rows[:limit], next_before=next_before,
                           action=action, actor=actor, obj=obj)
