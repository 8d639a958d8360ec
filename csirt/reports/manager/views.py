"""The manager dashboard page and one CSV per figure. Everyone signed in reads it, each seeing
the figures of the records their policies let them see (a liaison: their own agency)."""
from flask import Blueprint, Response, abort, render_template, url_for
from flask_login import current_user, login_required

from ... import csvfile
from ...audit.services import record
from ...catalogue import gettext as _
from ...clock import utcnow
from ...errors import Forbidden
from ...extensions import db
from ...templating import day_text, when
from . import figures, policy, present, rollup

bp = Blueprint("manager", __name__)


def month_label(day):
    return day_text(day, "MM/yyyy")


def day_label(day):
    return day_text(day, "dd/MM")


LISTS = ("unacknowledged", "clocks")  # figures whose table lists records (the page shows the first few)
INCIDENT_FIGURES = {"open", "unacknowledged", "times_month", "times_category", "per_agency"}


def compute(user, only=None, listed=figures.LISTED):
    """{key: Figure} of every figure (or those of `only`) for `user`; the incident and clock
    tables list `listed` rows."""
    now = utcnow()
    wanted = set(only or figures.FIGURES)
    states = rollup.states()
    times = figures._times(user, states) if wanted & {"times_month", "times_category"} else None
    any_incidents = figures.any_incident(user) if wanted & INCIDENT_FIGURES else None
    makers = {
        "open": lambda: figures.open_by_severity(user, any_incidents),
        "unacknowledged": lambda: figures.unacknowledged(user, now, listed, any_incidents),
        "times_month": lambda: figures.times_by_month(user, month_label, times, any_incidents),
        "times_category": lambda: figures.times_by_category(user, times, any_incidents),
        "per_agency": lambda: figures.per_agency_month(user, month_label, states, any_incidents),
        "clocks": lambda: figures.overdue_clocks(user, now, when, listed),
        "compliance": lambda: figures.compliance_summary(user, states),
        "alerts": lambda: figures.alert_volume(user, day_label, states),
    }
    return {key: makers[key]() for key in figures.FIGURES if key in wanted}


def _require_reader():
    if not policy.can_read(current_user):
        raise Forbidden(_("You may not read the dashboard."))


@bp.get("/dashboard")
@login_required
def index():
    _require_reader()
    found = compute(current_user)
    charts = {key: f.chart for key, f in found.items() if f.chart is not None and not f.empty and not f.none}
    csv_links = {key: url_for("manager.export", figure=key) for key in found}
    numbers = present.Numbers()
    tables = {key: present.table(f, numbers) for key, f in found.items()}
    return render_template("manager/index.html", figures=found, tables=tables, charts=charts, csv_links=csv_links)


@bp.get("/dashboard/<figure>.csv")
@login_required
def export(figure):
    """One figure's table as UTF-8 CSV with a BOM (spreadsheets read the Vietnamese)."""
    _require_reader()
    if figure not in figures.FIGURES:
        abort(404)
    found = compute(current_user, only=[figure], listed=figures.EXPORTED)[figure]
    record(current_user, "dashboard.export", object_type="dashboard", object_id=figure,
           after={"rows": len(found.rows)})
    db.session.commit()
    rows = list(found.rows)
    total = found.extra.get("total") if figure in LISTS else None
    if total is not None and total > len(found.rows):
        rows.append([_("Only the first %(shown)s of %(total)s rows are exported.",
                       shown=len(found.rows), total=total)])
    if figure == "compliance" and not found.empty:
        rows += [[], found.extra["control_columns"], *found.extra["controls"]]
    name = f"dashboard-{figure}-{utcnow():%Y-%m-%d}.csv"
    return Response(csvfile.text(found.columns, rows), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename={name}", "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store"})
