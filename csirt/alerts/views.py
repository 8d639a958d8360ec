"""Alert and playbook pages: the alert list and page, an alert reported by hand, the playbooks in
readable form and the "try an alert" dry run. Thin views: alerts are read through `policy`,
written through `intake`, and the dry run is `preview.plan`, which writes nothing.

Who sees what: an alert's page and the list follow alerts.policy (the team and managers see every
alert, a liaison the alerts of their agency). Reporting an alert by hand follows the intake's rule
(policy.can_ingest: the response team; a liaison logs an incident instead, since an alert is
routed by host and could open an incident in another agency). The playbooks and the try box are
for the team and managers (READERS_OF_ALL); the files' load errors for admins and coordinators.
"""
import hashlib
import json
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from ..catalogue import gettext as _
from ..clock import utc_to_local, utcnow
from ..errors import Forbidden, NotFound, ValidationError
from ..extensions import db
from ..forms import handle
from ..incidents.models import Incident
from ..rules.keys import label as rule_label
from ..team.models import READERS_OF_ALL, Agency
from . import canonical, display, intake, listing, policy, preview, routing
from .context import HostLookup
from .executor import note_text
from .forms import SEVERITY_LABELS, STATUS_LABELS, ManualAlertForm, TryForm, detect_format
from .normalise import BadAlert
from .normalise import parse as normalise
from .playbooks import registry

bp = Blueprint("alerts", __name__)

FILTER_KEYS = ("source", "severity", "status", "incident", "since", "until")
LINK_KEYS = (*FILTER_KEYS, "cursor")
ERROR_READERS = ("admin", "coordinator")
YAML_SHOWN_MAX = 256 * 1024
TRY_SHOWN_MAX = 20  # alerts of one pasted payload shown in the dry run


@bp.before_request
@login_required
def _require_login():
    return None


def can_read_playbooks(user):
    """The playbooks, their dry run and the routing of an alert: the team and managers."""
    return bool(getattr(user, "is_active", False)) and user.role in READERS_OF_ALL


def _require_playbooks():
    if not can_read_playbooks(current_user):
        raise Forbidden(_("Only the response team and managers may read the playbooks."))


@bp.record_once
def _template_globals(state):
    # globals, so imported macros (alerts/_macros.html) and the menu in base.html see them
    state.app.jinja_env.globals.update(
        alert_severity_label=lambda s: str(SEVERITY_LABELS.get(s, s)),
        alert_status_label=lambda s: str(STATUS_LABELS.get(s, s)),
        can_read_playbooks=can_read_playbooks)


# --- the list ---------------------------------------------------------------------------------

def _incident_filter(args):
    """The query arguments with an incident reference turned into its id; (args, shown, missing)."""
    value = (args.get("incident") or "").strip()
    if not value or value == "none" or value.isdigit():
        return args, value, False
    found = db.session.execute(db.select(Incident.id).where(db.func.upper(Incident.reference) == value.upper()[:32])
                               ).scalar()
    args = MultiDict(args)
    args.setlist("incident", [str(found)] if found else [])
    return args, value, found is None


@bp.get("/alerts")
def index():
    args, incident_shown, unknown_incident = _incident_filter(request.args)
    errors = {}
    try:
        q = listing.AlertQuery.from_args(args, current_app.config.get("CSIRT_PAGE_SIZE", 50))
    except ValidationError as err:
        errors = err.errors
        flash(err.message + " " + " ".join(str(v) for v in err.errors.values()), "danger")
        q = listing.AlertQuery(limit=current_app.config.get("CSIRT_PAGE_SIZE", 50))
    page = listing.Page([], None) if unknown_incident else listing.page(current_user, q)
    references = _references(page.items)
    triage = current_app.config.get("CSIRT_TRIAGE_AGENCY") or "CSIRT"
    triage_id = db.session.execute(db.select(Agency.id).where(Agency.code == triage)).scalar()
    return render_template("alerts/index.html", page=page, q=q, args=request.args, errors=errors,
                           incident_shown=incident_shown, unknown_incident=unknown_incident,
                           references=references, triage_id=triage_id, link_keys=LINK_KEYS,
                           severities=canonical.SEVERITIES, statuses=canonical.STATUSES,
                           can_report=policy.can_ingest(current_user)), 400 if errors else 200


def _references(alerts):
    ids = sorted({a.incident_id for a in alerts if a.incident_id is not None})
    if not ids:
        return {}
    rows = db.session.execute(db.select(Incident.id, Incident.reference, Incident.agency_id)
                              .where(Incident.id.in_(ids))).all()
    return {i: (ref, agency_id) for i, ref, agency_id in rows}


# --- one alert --------------------------------------------------------------------------------

def canonical_of(row):
    """The canonical alert of a stored row (to route it again)."""
    return canonical.Alert(source=row.source, severity=row.severity, status=row.status, title=row.title,
                           occurred_at=row.occurred_at, fingerprint=row.fingerprint,
                           description=row.description or "", host=row.host or "", labels=dict(row.labels or {}),
                           raw=row.raw, format=row.format)


@bp.get("/alerts/<int:alert_id>")
def view(alert_id):
    alert = policy.get_visible(current_user, alert_id)
    raw = json.dumps(alert.raw, ensure_ascii=False, indent=2, sort_keys=True) if alert.raw is not None else ""
    recorded = alert.route or {}
    context = {"alert": alert, "raw": raw, "recorded": recorded,
               "notes": [note_text(n) for n in recorded.get("notes") or []],
               "decision": None, "playbooks": None, "book": None, "changed": False}
    if can_read_playbooks(current_user):
        playbooks = registry.current(current_app)
        decision = routing.route(canonical_of(alert), playbooks, HostLookup().context(alert.host), explain=True)
        book = playbooks.get(alert.playbook_id) if alert.playbook_id else None
        context.update(decision=decision, playbooks=playbooks, book=book,
                       titles={b.id: b.title.get(get_locale()) for b in playbooks.playbooks},
                       changed=bool(alert.playbook_id) and (book is None or book.version != alert.playbook_version))
    return render_template("alerts/view.html", **context)


@bp.route("/alerts/new", methods=["GET", "POST"])
def new():
    if not policy.can_ingest(current_user):
        raise Forbidden(_("Only the response team may report alerts."))
    form = ManualAlertForm()
    if request.method == "GET" and form.occurred_at.data is None:
        form.occurred_at.data = utc_to_local(utcnow()).replace(tzinfo=None, second=0, microsecond=0)
    done = handle(form, lambda: intake.ingest(current_user, [form.alert(utcnow())], via="manual")[0],
                  _("Please correct the marked fields."))
    if done.ok:
        outcome = done.value
        if outcome.status == "duplicate":
            flash(_("This alert was already recorded."), "info")
        elif outcome.incident_reference:
            message = {"opened": _("Alert recorded: it opened incident %(ref)s."),
                       "joined": _("Alert recorded: it joined incident %(ref)s.")}.get(
                outcome.status, _("Alert recorded: it went to incident %(ref)s."))
            flash(message % {"ref": outcome.incident_reference}, "success")
        else:
            flash(_("Alert recorded: no playbook matched it, it went to no incident."), "warning")
        return redirect(url_for("alerts.view", alert_id=outcome.alert_id))
    return render_template("alerts/form.html", form=form), done.status


# --- playbooks --------------------------------------------------------------------------------

def _steps(book):
    return len(display.steps(book))


@bp.get("/playbooks")
def playbooks():
    _require_playbooks()
    return _playbooks_page(TryForm(formdata=None))


def _playbooks_page(form, plans=None, status=200):
    playbooks = registry.current(current_app)
    locale = get_locale()
    rows = [{"book": b, "title": b.title.get(locale), "match": display.match_summary((b.spec or {}).get("match")),
             "group": (display.duration(b.group.window), ", ".join(display.field_words(f) for f in b.group.by))
             if b.group else None, "steps": _steps(b)} for b in playbooks.playbooks]
    errors = playbooks.errors if current_user.role in ERROR_READERS else ()
    return render_template("playbooks/index.html", playbooks=playbooks, rows=rows, errors=errors,
                           error_count=len(playbooks.errors), form=form), status


def _agency_names():
    return dict(db.session.execute(db.select(Agency.code, Agency.name)).all())


@bp.get("/playbooks/<playbook_id>")
def playbook(playbook_id):
    _require_playbooks()
    book = registry.current(current_app).get(playbook_id[:64])
    if book is None:
        raise NotFound("playbook")
    locale = get_locale()
    yaml_text, yaml_changed = _yaml(book)
    return render_template("playbooks/view.html", book=book, title=book.title.get(locale),
                           description=book.description.get(locale) if book.description else "",
                           shown=display.readable(book, locale, _agency_names()),
                           yaml_text=yaml_text, yaml_changed=yaml_changed)


def _yaml(book):
    """The file's text (None when unreadable) and whether it differs from the version in force."""
    try:
        data = Path(book.path).read_bytes()[:YAML_SHOWN_MAX]
    except OSError:
        return None, True
    return data.decode("utf-8", errors="replace"), hashlib.sha256(data).hexdigest() != book.version


@bp.route("/playbooks/try", methods=["GET", "POST"])
def try_alert():
    """The dry run: parse, look up, route and plan; nothing is written (preview.py)."""
    _require_playbooks()
    form = TryForm()
    if request.method == "GET":
        return render_template("playbooks/try.html", form=form, plans=None, fmt=None, more=0)
    if not form.validate_on_submit():
        return render_template("playbooks/try.html", form=form, plans=None, fmt=None, more=0), 400
    try:
        payload = json.loads(form.payload.data)
    except (ValueError, RecursionError) as err:
        form.payload.errors = [_("Not valid JSON: %(reason)s", reason=_json_reason(err))]
        return render_template("playbooks/try.html", form=form, plans=None, fmt=None, more=0), 400
    fmt = form.format.data if form.format.data != "auto" else detect_format(payload)
    try:
        alerts = normalise(fmt, payload, utcnow())
    except BadAlert as err:
        form.payload.errors = [str(err.message)]
        return render_template("playbooks/try.html", form=form, plans=None, fmt=fmt, more=0), 400
    playbooks = registry.current(current_app)
    plans = [preview.plan(a, playbooks) for a in alerts[:TRY_SHOWN_MAX]]
    locale = get_locale()
    page = render_template("playbooks/try.html", form=form, plans=plans, fmt=fmt,
                           more=max(0, len(alerts) - TRY_SHOWN_MAX), note_text=note_text,
                           titles={b.id: b.title.get(locale) for b in playbooks.playbooks},
                           shown={p.decision.playbook.id: display.readable(p.decision.playbook, locale,
                                                                           _agency_names())
                                  for p in plans if p.decision.matched},
                           timelines=[_timeline(p) for p in plans],
                           rule_label=rule_label)
    db.session.rollback()  # belt and braces: the dry run added nothing, and keeps nothing
    return page


EVENTS = {preview.OPEN: "opened", preview.JOIN: "joined", preview.RESOLVE: "resolved"}


def _timeline(plan):
    """(notifications, escalation steps) in words that this outcome would set off: the notify
    actions whose `on` names it; escalation only for a new incident (nobody acknowledged it yet)."""
    event = EVENTS.get(plan.outcome)
    notify = [display.notify_words(n) for _id, n in plan.notify if event in n.on]
    escalate = display.escalation_words([s for _id, s in plan.escalate]) if plan.outcome == preview.OPEN else []
    return notify, escalate


def _json_reason(err):
    if isinstance(err, json.JSONDecodeError):
        return _("%(msg)s at line %(line)d, column %(col)d", msg=err.msg, line=err.lineno, col=err.colno)
    return _("nested too deeply")
