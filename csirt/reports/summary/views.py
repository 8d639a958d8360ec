"""The summary reports' pages, under Reports: Form 05 (page, .docx and PDF), the statistics export
(CSV, XLSX) and the annual report on information systems by level (page, .docx, .xlsx). Everyone
signed in may read them; each sees the incidents and systems their policies let them see (a liaison:
their agency's). Downloads are audited."""
from types import SimpleNamespace

from flask import Blueprint, Response, render_template, request, stream_with_context, url_for
from flask_babel import force_locale, format_date
from flask_login import current_user, login_required

from ...audit.services import record
from ...catalogue import gettext as _
from ...extensions import db
from ...incidents import policy
from ...incidents.vocab import CATEGORIES
from ...systems.dates import today
from ...team.models import Agency
from .. import render
from . import annual, document, statistics
from .figures import COLUMNS, compute, damage_notes, half_years, read_agency, read_period
from .forms import TEXT_MAX, Form05Export
from .labels import handled_label
from .xlsx import workbook

bp = Blueprint("summary", __name__, url_prefix="/reports")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _agencies(user):
    rows = db.session.execute(db.select(Agency.id, Agency.name).order_by(Agency.name)).all()
    return policy.filterable_agencies(user, rows)


def _agency_name(agency_id):
    return db.session.execute(db.select(Agency.name).where(Agency.id == agency_id)).scalar() if agency_id else None


def _made_by(user):
    return getattr(user, "full_name", "") or user.username


def _default_period():
    day = today()
    presets = half_years(day.year)
    return presets["h1"] if day.month <= 6 else presets["h2"]


def _period_from(args, errors):
    """The period asked (`from`, `to`), or the current half-year when neither is given."""
    if not (args.get("from") or "").strip() and not (args.get("to") or "").strip():
        return _default_period()
    period, found = read_period(args)
    errors.update(found)
    return period


def _presets(year, agency_id, endpoint="summary.form05"):
    kept = {"agency": agency_id} if agency_id else {}
    names = {"h1": _("First half of %(year)s (1/1–30/6)", year=year),
             "h2": _("Second half of %(year)s (1/7–31/12)", year=year),
             "year": _("Year %(year)s (1/1–31/12)", year=year)}
    return [(names[key], url_for(endpoint, **{"from": p.first.isoformat(), "to": p.last.isoformat()}, **kept))
            for key, p in half_years(year).items()]


def _file(body, mimetype, filename):
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _day(value):
    return format_date(value, "dd/MM/yyyy")


# --- Form 05 ---------------------------------------------------------------------------------------

def _form05_page(period, agency_id, errors, export_form, status=200):
    year = (period.first if period else today()).year
    form = compute(current_user, period, agency_id) if period and not errors else None
    if form is not None and request.method == "GET":
        notes = damage_notes(current_user, period, agency_id)
        if notes and not export_form.damage.data:
            export_form.damage.data = document.damage_prefill(notes, TEXT_MAX)
    kept = {"from": period.first.isoformat(), "to": period.last.isoformat()} if period else {}
    if agency_id:
        kept["agency"] = agency_id
    return render_template(
        "summary/form05.html", form05=form, period=period, errors=errors, agencies=_agencies(current_user),
        agency_id=agency_id, presets=_presets(year, agency_id), export_form=export_form, columns=COLUMNS,
        handled_label=handled_label, fmt=_day, export_url=url_for("summary.form05_export", **kept),
        args=request.args, kept=kept), status


@bp.get("/summary")
@login_required
def form05():
    errors = {}
    period = _period_from(request.args, errors)
    agency_id = read_agency(request.args, errors)
    return _form05_page(period, agency_id, errors, Form05Export(), 400 if errors else 200)


@bp.post("/summary/export")
@login_required
def form05_export():
    errors = {}
    period, found = read_period(request.args)
    errors.update(found)
    agency_id = read_agency(request.args, errors)
    export_form = Form05Export()
    if errors or not export_form.validate_on_submit():
        return _form05_page(period, agency_id, errors, export_form, 400)
    form = compute(current_user, period, agency_id)
    texts = {key: getattr(export_form, key).data or "" for key in document.TEXT_FIELDS}
    kind, lang = export_form.format.data, export_form.lang.data
    with force_locale(lang):
        title = document.title()
        sections = document.sections(form, _agency_name(agency_id), texts, _made_by(current_user), today())
        if kind == "pdf":
            html = render_template("summary/form05_print.html", title=title, sections=sections, lang=lang)
    if kind == "pdf":
        from ..national import pdf  # the one HTML-to-PDF renderer (reports/national/pdf.py)

        body, mimetype = pdf.render(html), "application/pdf"
    else:
        body, mimetype = render.docx_document(title, sections), DOCX
    record(current_user, "summary.export", object_type="incident", object_id="*",
           after={"from": period.first.isoformat(), "to": period.last.isoformat(), "agency": agency_id,
                  "format": kind, "lang": lang, "incidents": form.totals.total})
    db.session.commit()
    name = f"mau-05-{period.first.isoformat()}-{period.last.isoformat()}.{kind}"
    return _file(body, mimetype, name)


# --- the statistics export ---------------------------------------------------------------------------

def _statistics_filters(errors):
    period = _period_from(request.args, errors)
    agency_id = read_agency(request.args, errors)
    category = statistics.read_category(request.args, errors)
    return period, agency_id, category


def _statistics_page(period, agency_id, category, errors, refused=None):
    kept = {"from": period.first.isoformat(), "to": period.last.isoformat()} if period else {}
    kept.update({k: v for k, v in (("agency", agency_id), ("category", category)) if v})
    links = {"csv": url_for("summary.statistics_export", kind="csv", **kept),
             "xlsx": url_for("summary.statistics_export", kind="xlsx", **kept)} if not errors else {}
    year = (period.first if period else today()).year
    return render_template("summary/statistics.html", period=period, errors=errors, agencies=_agencies(current_user),
                           agency_id=agency_id, category=category, categories=CATEGORIES, links=links,
                           presets=_presets(year, agency_id, "summary.statistics_page"), args=request.args,
                           refused=refused)


@bp.get("/statistics")
@login_required
def statistics_page():
    errors = {}
    period, agency_id, category = _statistics_filters(errors)
    return _statistics_page(period, agency_id, category, errors), 400 if errors else 200


@bp.get("/statistics.<any(csv, xlsx):kind>")
@login_required
def statistics_export(kind):
    errors = {}
    period, agency_id, category = _statistics_filters(errors)
    if errors:
        return _statistics_page(period, agency_id, category, errors), 400
    total = statistics.count(current_user, period, agency_id, category)
    refused = statistics.too_many(total)
    if refused:
        return _statistics_page(period, agency_id, category, errors, refused), 400
    record(current_user, "statistics.export", object_type="incident", object_id="*",
           after={"from": period.first.isoformat(), "to": period.last.isoformat(), "agency": agency_id,
                  "category": category, "format": kind, "rows": total})
    db.session.commit()
    name = f"thong-ke-su-co-{period.first.isoformat()}-{period.last.isoformat()}.{kind}"
    # the rows are read while the response streams: keep only what the visibility filter needs
    reader = SimpleNamespace(id=current_user.id, role=current_user.role, agency_id=current_user.agency_id,
                             is_active=current_user.is_active)
    values = statistics.rows(reader, period, agency_id, category)
    if kind == "csv":
        return _file(stream_with_context(statistics.as_csv(values)), "text/csv", name)
    return _file(statistics.as_xlsx(values), XLSX, name)


# --- the annual report ---------------------------------------------------------------------------

def _annual_period(errors):
    """`from`/`to` if given, else the data period of `year` (default: this calendar year's, which ends
    on 14/12: in progress until then, and the one whose report is due in the days after)."""
    if (request.args.get("from") or "").strip() or (request.args.get("to") or "").strip():
        period, found = read_period(request.args)
        errors.update(found)
        return period
    text = (request.args.get("year") or "").strip()
    year = today().year
    if text:
        if text.isascii() and text.isdigit() and len(text) == 4 and 1991 <= int(text) <= 2100:
            year = int(text)
        else:
            errors["year"] = _("Not a valid year.")
            return None
    return annual.data_period(year)


def _annual_links(period):
    kept = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    return {"docx": url_for("summary.annual_export", kind="docx", **kept),
            "xlsx": url_for("summary.annual_export", kind="xlsx", **kept)}


@bp.get("/annual")
@login_required
def annual_page():
    errors = {}
    period = _annual_period(errors)
    report = annual.compute(current_user, period) if period and not errors else None
    years = [today().year - i for i in range(0, 4)]
    return render_template("summary/annual.html", report=report, period=period, errors=errors, fmt=_day,
                           links=_annual_links(period) if report else {}, years=years, annual=annual,
                           tables=annual.tables(report) if report else []), 400 if errors else 200


@bp.get("/annual.<any(docx, xlsx):kind>")
@login_required
def annual_export(kind):
    errors = {}
    period = _annual_period(errors)
    if errors:
        years = [today().year - i for i in range(0, 4)]
        return render_template("summary/annual.html", report=None, period=period, errors=errors, fmt=_day,
                               links={}, years=years, annual=annual, tables=[]), 400
    report = annual.compute(current_user, period)
    if kind == "docx":
        body = render.docx_document(annual.title(period), annual.sections(report, _made_by(current_user), today()))
        mimetype = DOCX
    else:
        body, mimetype = workbook(annual.tables(report)), XLSX
    record(current_user, "annual_report.export", object_type="information_system", object_id="*",
           after={"from": period.first.isoformat(), "to": period.last.isoformat(), "format": kind,
                  "systems": len(report.board.systems)})
    db.session.commit()
    return _file(body, mimetype, f"bao-cao-nam-httt-{period.first.isoformat()}-{period.last.isoformat()}.{kind}")

