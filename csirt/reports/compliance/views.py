"""The compliance dashboard for everyone signed in (each sees the systems the systems policy
lets them see), its CSV export and its printable form (the same page, print CSS)."""

from flask import Blueprint, Response, render_template, request, url_for
from flask_login import current_user, login_required

from ... import csvfile
from ...audit.services import record
from ...catalogue import gettext as _
from ...extensions import db
from ...systems import policy
from ...systems.models import LAYERS, LEVELS
from ...team.models import Agency
from ...templating import day_text
from . import labels, present, stored
from .figures import CONTROLS, compute, read_filters

bp = Blueprint("compliance", __name__)
PAGE_SIZE = 100  # systems per page of the matrix; the figures above it count them all


def _page(args):
    text = (args.get("page") or "1").strip()
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 6 and int(text) > 0 else 1


def _agency_choices(user):
    query = db.select(Agency.id, Agency.name).order_by(Agency.name)
    if not policy.sees_all(user):  # a liaison may filter by their own agency only: read that one row
        query = query.where(Agency.id == user.agency_id)
    return policy.filterable_agencies(user, db.session.execute(query).all())


def _kept(filters):
    return {key: value for key, value in (("agency", filters.agency_id), ("level", filters.level))
            if value is not None}


@bp.get("/compliance")
@login_required
def index():
    filters, errors = read_filters(request.args)
    choices = _agency_choices(current_user)
    if errors:
        return render_template("compliance/index.html", board=None, errors=errors, filters=filters,
                               agencies=choices, levels=LEVELS), 400
    board = stored.dashboard(current_user, filters)
    pages = max(1, -(-board.count() // PAGE_SIZE))
    page = min(_page(request.args), pages)
    kept = _kept(filters)
    links = {"csv": url_for("compliance.export", **kept),
             "previous": url_for("compliance.index", **kept, page=page - 1) if page > 1 else None,
             "next": url_for("compliance.index", **kept, page=page + 1) if page < pages else None}
    shown = board.rows((page - 1) * PAGE_SIZE, PAGE_SIZE)
    return render_template("compliance/index.html", board=board, page=page, pages=pages, links=links, errors={},
                           filters=filters, agencies=choices, levels=LEVELS, layers=LAYERS, labels=labels,
                           controls=CONTROLS, fmt_date=_format_day, month_label=month_label,
                           agency_rows=present.agency_rows(board.agencies), system_rows=present.system_rows(shown),
                           legend=present.legend(), total_counts=present.total_counts)


def _header():
    return [_("Agency"), _("Code"), _("Information system"), _("Security level"),
            *(_("Layer %(number)s: %(name)s", number=n, name=labels.layer_label(n)) for n in LAYERS),
            _("Layer 3 independent of layer 2"), _("Last assessment"), _("Next assessment due"),
            _("Assessment overdue"), _("Open findings"), _("Findings past due")]


def _yes_no(value):
    return "" if value is None else (_("Yes") if value else _("No"))


def _date(value):
    return value.isoformat() if value else ""


def _row(s):
    return [s.agency_name, s.code, s.name, s.level, *(labels.status_label(v) for v in s.statuses),
            _yes_no(s.independent), _date(s.last_assessed), _date(s.assessment_due),
            _yes_no(s.assessment_overdue), s.open_findings, s.late_findings]


@bp.get("/compliance.csv")
@login_required
def export():
    """Every visible system's row, as UTF-8 with a BOM (spreadsheets read the Vietnamese)."""
    filters, errors = read_filters(request.args)
    if errors:
        choices = _agency_choices(current_user)
        return render_template("compliance/index.html", board=None, errors=errors, filters=filters,
                               agencies=choices, levels=LEVELS), 400
    board = compute(current_user, filters)
    record(current_user, "compliance.export", object_type="information_system", object_id="*",
           after={"agency": filters.agency_id, "level": filters.level, "rows": len(board.systems)})
    db.session.commit()
    name = f"compliance-{board.day.isoformat()}.csv"
    return Response(csvfile.text(_header(), (_row(s) for s in board.systems)), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


def month_label(day):
    return day_text(day, "MM/yyyy")


def _format_day(day):
    return day_text(day, "short")
