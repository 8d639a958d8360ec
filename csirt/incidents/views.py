"""Incident pages: thin views that parse, call a service and render."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from .. import storage
from ..catalogue import gettext as _
from ..clock import local_to_utc, utc_to_local, utcnow
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..forms import ConfirmForm, handle
from ..rules.keys import label as rule_label
from ..systems import policy as systems_policy
from ..systems.models import InformationSystem, Server
from . import clock_display, conflicts, export, lifecycle, list_page, listing, policy, services, tasks
from . import evidence as evidence_service
from .forms import (
    AssignForm,
    EvidenceForm,
    IncidentForm,
    NoteForm,
    StatusForm,
    TaskForm,
    sent_report_form,
    task_owner_choices,
    worker_choices,
)
from .vocab import STATUSES, label

bp = Blueprint("incidents", __name__)


# The date column of the list shows what the list is sorted by ("created" sorts by id, the order
# of logging); sorted by priority, already a column, it shows the discovery time.
SORT_COLUMNS = {"created": "created_at", "updated": "updated_at", "discovered": "discovered_at",
                "priority": "discovered_at"}


@bp.before_request
@login_required
def _require_login():
    return None


@bp.get("/")
def home():
    return redirect(url_for("incidents.index"))


@bp.get("/incidents")
def index():
    try:
        lq = listing.ListQuery.from_args(request.args, current_app.config["CSIRT_PAGE_SIZE"])
    except ValidationError as err:
        flash(err.message + " " + " ".join(err.errors.values()), "danger")
        lq = listing.ListQuery(limit=current_app.config["CSIRT_PAGE_SIZE"])
    result = list_page.page(current_user, lq)
    agencies, workers = list_page.filter_choices(current_user)
    export_url = url_for("incidents.export_csv", **lq.active_filters(), sort=lq.sort, dir=lq.direction)
    sort_column = SORT_COLUMNS.get(lq.sort, SORT_COLUMNS["discovered"])
    rows = list_page.table(result.items, sort_column)
    return render_template("incidents/index.html", page=result, rows=rows, lq=lq, agencies=agencies,
                           export_url=export_url, linked_to=_linked_to(lq), workers=workers,
                           can_create=policy.can_create(current_user), sort_column=sort_column)


def _linked_to(lq):
    """[(filter key, what it names)] for the system and server filters: the record's code or
    hostname when the user may see it, else its number."""
    out = []
    for key, model, name, can_see in (("system", InformationSystem, "code", systems_policy.can_see_system),
                                      ("server", Server, "hostname", systems_policy.can_see_server)):
        ident = getattr(lq, key)
        if ident:
            row = db.session.get(model, int(ident))
            out.append((key, getattr(row, name) if row is not None and can_see(current_user, row) else f"#{ident}"))
    return out


@bp.get("/incidents/export.csv")
def export_csv():
    try:
        lq = listing.ListQuery.from_args(request.args)
    except ValidationError as err:
        abort(400, err.message)
    return export.csv_response(current_user, lq)


@bp.route("/incidents/new", methods=["GET", "POST"])
def new():
    policy.require(policy.can_create(current_user), _("You may not log incidents."))
    form = IncidentForm().fill_choices(policy.can_choose_agency(current_user),
                                       policy.can_work_any(current_user), current_user)
    if request.method == "GET":
        if form.agency_id is not None:
            form.agency_id.data = str(current_user.agency_id)
    done = handle(form, lambda: services.open_incident(current_user, form.service_data()),
                  _("Please correct the marked fields."))
    if done.ok:
        flash(_("Incident %(ref)s was logged.", ref=done.value.reference), "success")
        return redirect(url_for("incidents.view", incident_id=done.value.id))
    return render_template("incidents/form.html", form=form, incident=None), done.status


@bp.get("/incidents/<int:incident_id>")
def view(incident_id):
    incident = policy.get_visible(current_user, incident_id)
    return _render_view(incident)


def _previous_outcome(incident, timeline):
    """The timeline entry that closed or rejected a reopened incident, if it said anything."""
    if incident.status in lifecycle.FINAL_STATUSES:
        return None
    for entry in reversed(timeline):
        if entry.kind == "status" and (entry.data or {}).get("to") in lifecycle.FINAL_STATUSES:
            return entry if entry.body else None
    return None


def _render_view(incident, status=200, note_form=None, task_form=None, evidence_form=None,
                 status_form=None, assign_form=None, report_form=None):

    task_form = task_form or TaskForm()
    task_form.owner_id.choices = task_owner_choices(incident)
    can_work = policy.can_work(current_user, incident)
    if can_work:
        assign_form = assign_form or AssignForm(formdata=None, assignee_id=str(incident.assignee_id or ""))
        assign_form.assignee_id.choices = worker_choices()
    timeline = incident.timeline.all()
    now = utcnow()
    overdue = {t.id for t in incident.tasks if tasks.is_overdue(t, now)}
    return render_template(
        "incidents/view.html", incident=incident, timeline=timeline,
        note_form=note_form or NoteForm(), task_form=task_form,
        evidence_form=evidence_form or EvidenceForm(), status_form=status_form or StatusForm(),
        assign_form=assign_form, overdue=overdue, now=now, rule_label=rule_label,
        steps_total=sum(1 for t in incident.tasks if t.step_key),
        steps_done=sum(1 for t in incident.tasks if t.step_key and t.done_at),
        alert_link=_alert_link(), previous_outcome=_previous_outcome(incident, timeline),
        targets=lifecycle.allowed_targets(incident.status), affected=_affected(incident),
        can_work=can_work, clock_rows=[clock_display.row(c, now) for c in incident.clocks],
        report_form=sent_report_form(incident, report_form) if can_work else None,
        countdown_words=clock_display.countdown_json(),
        can_contribute=policy.can_contribute(current_user, incident),
    ), status


def _alert_link():
    """The address of an alert's page, when the alerts pages are installed."""
    if "alerts.view" not in current_app.view_functions:
        return None
    return lambda alert_id: url_for("alerts.view", alert_id=alert_id)


def _affected(incident):
    """The linked systems and servers, each with the address of its page when the user may see it
    (else shown by name only)."""
    systems = [(f"{s.code} — {s.name}",
                url_for("systems.view", system_id=s.id) if systems_policy.can_see_system(current_user, s) else None)
               for s in incident.systems]
    servers = [(s.hostname,
                url_for("systems.server", server_id=s.id) if systems_policy.can_see_server(current_user, s) else None)
               for s in incident.servers]
    return {"systems": systems, "servers": servers}


@bp.route("/incidents/<int:incident_id>/edit", methods=["GET", "POST"])
def edit(incident_id):
    incident = policy.get_visible(current_user, incident_id)
    policy.require(policy.can_work(current_user, incident), _("You may not edit this incident."))
    form = IncidentForm(obj=incident).fill_choices(True, True, current_user, incident)
    if request.method == "GET":
        form.system_ids.data = [str(s.id) for s in incident.systems]
        form.server_ids.data = [str(s.id) for s in incident.servers]
        form.agency_id.data = str(incident.agency_id)
        form.assignee_id.data = str(incident.assignee_id or "")
        form.discovered_at.data = utc_to_local(incident.discovered_at).replace(tzinfo=None)
        form.version.data = incident.version
    try:
        done = handle(form, lambda: services.update_incident(current_user, incident, form.service_data(),
                                                             form.version.data))
    except Conflict:
        return _edit_conflict(form, incident)
    if done.ok:
        flash(_("The incident was saved."), "success")
        return redirect(url_for("incidents.view", incident_id=incident.id))
    return render_template("incidents/form.html", form=form, incident=incident), done.status


def _edit_conflict(form, incident):
    """Someone saved the incident after this form was loaded: show the form again with what the
    person typed, what changed meanwhile, and a "save anyway" that carries the current version."""
    db.session.rollback()
    try:
        base_version = int(form.version.data)
    except (TypeError, ValueError):  # the service refuses such a form before any conflict; be safe
        base_version = incident.version
    changes = conflicts.changes_since(incident, base_version, form)
    form.version.data = incident.version
    flash(_("Someone else saved this incident meanwhile; your changes are not saved yet."),
          "warning")
    return render_template("incidents/form.html", form=form, incident=incident, changes=changes), 409


@bp.post("/incidents/<int:incident_id>/status")
def change_status(incident_id):
    incident = policy.get_visible(current_user, incident_id)
    form = StatusForm()
    done = handle(form, lambda: services.change_status(current_user, incident, form.target.data, form.note.data,
                                                        form.reason.data or None, form.version.data),
                  _("Please correct the marked fields."))
    if not done.ok:
        return _render_view(incident, 400, status_form=form)
    flash(_("Status changed to %(status)s.", status=label(STATUSES, incident.status)), "success")
    return redirect(url_for("incidents.view", incident_id=incident.id))


@bp.post("/incidents/<int:incident_id>/assign")
def assign(incident_id):
    """Quick assignment from the incident page, without the whole edit form."""
    incident = policy.get_visible(current_user, incident_id)
    policy.require(policy.can_work(current_user, incident), _("You may not edit this incident."))
    form = AssignForm()
    form.assignee_id.choices = worker_choices()
    try:
        done = handle(form, lambda: services.assign_incident(current_user, incident, form.assignee_id.data or None,
                                                             form.version.data),
                      _("Please correct the marked fields."))
    except Conflict as err:
        db.session.rollback()
        flash(err.message, "danger")
        return _render_view(incident, 409)
    if not done.ok:
        return _render_view(incident, 400, assign_form=form)
    if incident.assignee:
        flash(_("Assigned to %(name)s.", name=incident.assignee.full_name), "success")
    else:
        flash(_("Unassigned."), "success")
    return redirect(url_for("incidents.view", incident_id=incident.id))


@bp.post("/incidents/<int:incident_id>/notes")
def add_note(incident_id):
    incident = policy.get_visible(current_user, incident_id)
    form = NoteForm()
    done = handle(form, lambda: services.add_note(current_user, incident, form.body.data, form.kind.data),
                  _("The note is empty."))
    if not done.ok:
        return _render_view(incident, 400, note_form=form)
    flash(_("The note was added."), "success")
    return redirect(url_for("incidents.view", incident_id=incident.id) + "#timeline")


@bp.post("/incidents/<int:incident_id>/tasks")
def add_task(incident_id):
    incident = policy.get_visible(current_user, incident_id)
    form = TaskForm()
    form.owner_id.choices = task_owner_choices(incident)
    done = handle(form, lambda: tasks.add_task(current_user, incident, form.title.data, form.owner_id.data or None,
                                               local_to_utc(form.due_at.data) if form.due_at.data else None),
                  _("Please correct the marked fields."))
    if not done.ok:
        return _render_view(incident, 400, task_form=form)
    flash(_("The task was added."), "success")
    if tasks.is_overdue(done.value):
        flash(_("The due time is already past; the task is marked overdue."), "warning")
    return redirect(url_for("incidents.view", incident_id=incident.id) + "#tasks")


@bp.post("/incidents/<int:incident_id>/tasks/<int:task_id>/<any(done, reopen):action>")
def toggle_task(incident_id, task_id, action):
    incident = policy.get_visible(current_user, incident_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    tasks.set_task_done(current_user, incident, task_id, done=(action == "done"))
    return redirect(url_for("incidents.view", incident_id=incident.id) + "#tasks")


@bp.post("/incidents/<int:incident_id>/evidence")
def upload_evidence(incident_id):
    incident = policy.get_visible(current_user, incident_id)
    form = EvidenceForm()
    upload = request.files.get("file")
    done = handle(form, lambda: evidence_service.add_evidence(
        current_user, incident, upload.stream if upload else None, upload.filename if upload else None,
        form.description.data, upload.mimetype if upload else None), _("Please correct the marked fields."))
    if not done.ok:
        return _render_view(incident, 400, evidence_form=form)
    item = done.value
    flash(_("Evidence %(name)s was stored; SHA-256 %(hash)s.", name=item.original_name, hash=item.sha256),
          "success")
    return redirect(url_for("incidents.view", incident_id=incident.id) + "#evidence")


@bp.get("/incidents/<int:incident_id>/evidence/<int:evidence_id>")
def download_evidence(incident_id, evidence_id):
    incident = policy.get_visible(current_user, incident_id)
    item = evidence_service.get_evidence(current_user, incident, evidence_id)
    response = send_file(storage.path_of(item.stored_name), as_attachment=True,
                         download_name=item.original_name, mimetype="application/octet-stream",
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Evidence-SHA256"] = item.sha256
    return response
