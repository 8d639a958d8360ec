"""Pages of the regulatory clocks: recording a report sent (from the incident page) and the
deadlines page, where coordinators see every running clock of the incidents they may see."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..catalogue import gettext as _
from ..clock import local_to_utc, utc_to_local, utcnow
from ..extensions import db
from ..forms import handle
from ..rules import keys
from ..rules import lookup as rules
from ..rules.keys import label as rule_label
from ..rules.periods import add_period
from . import clock_display, clocks, policy, sent_reports
from .forms import SentReportForm, sent_report_form
from .models import Incident, IncidentClock
from .views import _render_view, bp

DEADLINE_FILTERS = ("open", "overdue", "soon")
PAGE_LIMIT = 500


@bp.post("/incidents/<int:incident_id>/reports")
def record_report(incident_id):
    incident = policy.get_visible(current_user, incident_id)
    form = sent_report_form(incident, SentReportForm(prefix="report"))
    upload = request.files.get("report-file")
    has_file = upload is not None and bool(upload.filename)
    done = handle(form, lambda: sent_reports.record_sent(
        current_user, incident,
        {"duty": form.duty.data or None, "kind": form.kind.data, "channel": form.channel.data,
         "sent_at": local_to_utc(form.sent_at.data) if form.sent_at.data else None,
         "recipient": form.recipient.data, "reference": form.reference.data, "note": form.note.data},
        upload.stream if has_file else None, upload.filename if has_file else None,
        upload.mimetype if has_file else None), _("Please correct the marked fields."))
    if not done.ok:
        return _render_view(incident, 400, report_form=form)
    flash(_("The report sent to %(recipient)s was recorded.", recipient=done.value.recipient), "success")
    return redirect(url_for("incidents.view", incident_id=incident.id) + "#clocks")



@bp.get("/deadlines")
def deadlines():
    """Every running clock of the incidents the reader may see, the most urgent first."""
    shown = request.args.get("show", "open")
    if shown not in DEADLINE_FILTERS:
        shown = "open"
    now, fraction = utcnow(), clocks.soon_fraction()
    rows = [(clock_display.row(clock, now, fraction), incident) for clock, incident in _running(shown, now, fraction)]
    return render_template("incidents/deadlines.html", rows=rows, shown=shown, counts=_counts(now, fraction),
                           filters=DEADLINE_FILTERS, limit=PAGE_LIMIT, countdown_words=clock_display.countdown_json(),
                           periodic=periodic_duties(utc_to_local(now).date()))


PERIODIC = (keys.SUMMARY_HALF_YEAR, keys.SUMMARY_YEAR, keys.ANNUAL_REPORT_INTERNAL, keys.ANNUAL_REPORT_MINISTRY)


def periodic_duties(today):
    """The province's periodic reports under the regime in force today (Form 05, the annual report
    on information systems): each with its next due date and the days left, soonest first."""
    ruleset = rules.load(PERIODIC)
    out = []
    for key in PERIODIC:
        rule = ruleset.find(key, today)
        if rule is None or rule.unit != "date":
            continue
        due = add_period(today, rule.value, rule.unit)
        out.append({"key": key, "label": rule_label(key), "due": due, "days": (due - today).days,
                    "regime": rule.regime, "legal_reference": rule.legal_reference, "confirmed": rule.confirmed})
    return sorted(out, key=lambda d: d["due"])


def _scoped(query):
    """Running clocks with a deadline, of incidents the reader may see and that still owe reports."""
    query = (query.join(Incident, Incident.id == IncidentClock.incident_id)
             .where(IncidentClock.stopped_at.is_(None), IncidentClock.due_at.is_not(None),
                    Incident.status != "rejected"))
    return policy.visible_incidents(current_user, query)


def _running(shown, now, fraction):
    """[(clock, incident)] for the filter, at most PAGE_LIMIT. "soon" depends on each clock's period,
    so it is judged here over the clocks not yet overdue that fall due within the horizon."""
    query = _scoped(db.select(IncidentClock, Incident)).order_by(IncidentClock.due_at, IncidentClock.id)
    if shown == "overdue":
        return db.session.execute(query.where(IncidentClock.due_at <= now).limit(PAGE_LIMIT)).all()
    if shown == "soon":
        rows = db.session.execute(query.where(IncidentClock.due_at > now,
                                              IncidentClock.due_at <= now + clocks.HORIZON)).all()
        return [r for r in rows if clocks.state(r[0], now, fraction) == clocks.SOON][:PAGE_LIMIT]
    return db.session.execute(query.limit(PAGE_LIMIT)).all()


def _counts(now, fraction):
    """{"overdue": n, "soon": n} over every clock the reader may see (not only the rows shown)."""
    overdue = db.session.execute(_scoped(db.select(db.func.count(IncidentClock.id)))
                                 .where(IncidentClock.due_at <= now)).scalar()
    upcoming = db.session.execute(_scoped(db.select(IncidentClock)).where(
        IncidentClock.due_at > now, IncidentClock.due_at <= now + clocks.HORIZON)).scalars()
    return {"overdue": overdue, "soon": sum(1 for c in upcoming if clocks.state(c, now, fraction) == clocks.SOON)}
