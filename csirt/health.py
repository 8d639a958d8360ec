"""GET /healthz: database status and app version, for load balancers and monitoring."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    from .about import version

    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # the point is to report it, not to fail
        db.session.rollback()
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return jsonify({"status": "ok" if status == 200 else "degraded", "database": database,
                    "version": version()}), status
