"""Pages of a system's protection layers and assessments, on the systems blueprint. Thin: parse,
call a service (`layers`, `assessments`), render. Routes under /systems/<id>/layers/... and
/systems/<id>/assessments/...; the system page's section is `templates/systems/_layers.html`."""
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from .. import storage
from ..catalogue import gettext as _
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..forms import ConfirmForm, apply_errors, handle
from . import assessments, layer_labels, layers, policy, services
from .layer_forms import AssessmentForm, CloseFindingForm, LayerEvidenceForm, LayerRecordForm
from .models import LAYERS
from .summary import agents_label, system_summary
from .views import bp


def _render(template, status=200, **context):
    return render_template(template, ll=layer_labels, agents_label=agents_label, **context), status


def _system_url(system_id, anchor="layers"):
    return url_for("systems.view", system_id=system_id) + f"#{anchor}"


def _record_url(item):
    return url_for("systems.layer_record", system_id=item.system_id, record_id=item.id)


# --- layer records ---------------------------------------------------------------------------

@bp.route("/<int:system_id>/layers/new", methods=["GET", "POST"])
def new_layer_record(system_id):
    system = services.get_system(current_user, system_id)
    policy.require(policy.can_edit_system(current_user, system),
                   _("You may not edit the protection layers of this information system."))
    form = LayerRecordForm().fill()
    if request.method == "GET":
        wanted = request.args.get("layer", type=int)
        form.layer.data = str(wanted if wanted in LAYERS else 1)
    done = handle(form, lambda: layers.add_layer_record(current_user, system.id, form.service_data()),
                  _("Please correct the marked fields."))
    if done.ok:
        flash(_("Layer %(layer)d was recorded.", layer=done.value.layer), "success")
        return redirect(_record_url(done.value))
    return _render("systems/layer_form.html", done.status, form=form, system=system, record=None)


@bp.get("/<int:system_id>/layers/<int:record_id>")
def layer_record(system_id, record_id):
    item = layers.get_layer_record(current_user, record_id, system_id)
    return _render_record(item)


def _render_record(item, status=200, evidence_form=None):
    history = layers.records_of(current_user, item.system, item.layer)
    return _render("systems/layer_record.html", status, record=item, system=item.system, history=history,
                   evidence_form=evidence_form or LayerEvidenceForm(), confirm_form=ConfirmForm(),
                   can_edit=policy.can_edit_system(current_user, item.system))


@bp.route("/<int:system_id>/layers/<int:record_id>/edit", methods=["GET", "POST"])
def edit_layer_record(system_id, record_id):
    item = layers.get_layer_record(current_user, record_id, system_id)
    policy.require(policy.can_edit_system(current_user, item.system),
                   _("You may not edit the protection layers of this information system."))
    form = LayerRecordForm().fill(item)
    if request.method == "GET":
        form.load(item)
    try:
        done = handle(form, lambda: layers.update_layer_record(current_user, item.id, form.service_data(),
                                                               form.version.data))
    except Conflict as err:
        db.session.rollback()
        flash(err.message, "danger")
        form.version.data = item.version
        return _render("systems/layer_form.html", 409, form=form, system=item.system, record=item)
    if done.ok:
        flash(_("The layer record was saved."), "success")
        return redirect(_record_url(item))
    return _render("systems/layer_form.html", done.status, form=form, system=item.system, record=item)


@bp.post("/<int:system_id>/layers/<int:record_id>/verify")
def verify_layer_record(system_id, record_id):
    item = layers.get_layer_record(current_user, record_id, system_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        layers.verify_layer(current_user, item.id, request.form.get("version", type=str))
    except Conflict as err:
        db.session.rollback()
        flash(err.message, "danger")
    else:
        flash(_("The layer was marked verified today."), "success")
    return redirect(_record_url(item))


@bp.post("/<int:system_id>/layers/<int:record_id>/evidence")
def upload_layer_evidence(system_id, record_id):
    item = layers.get_layer_record(current_user, record_id, system_id)
    form = LayerEvidenceForm()
    upload = request.files.get("file")
    done = handle(form, lambda: layers.add_layer_evidence(current_user, item.id, upload, form.description.data),
                  _("Please correct the marked fields."))
    if not done.ok:
        return _render_record(item, 400, evidence_form=form)
    flash(_("Evidence %(name)s was stored; SHA-256 %(hash)s.", name=done.value.original_name, hash=done.value.sha256),
          "success")
    return redirect(_record_url(item) + "#evidence")


@bp.get("/<int:system_id>/layers/<int:record_id>/evidence/<int:evidence_id>")
def download_layer_evidence(system_id, record_id, evidence_id):
    item = layers.get_layer_record(current_user, record_id, system_id)
    evidence = layers.get_layer_evidence(current_user, item.id, evidence_id)
    response = send_file(storage.path_of(evidence.stored_name), as_attachment=True,
                         download_name=evidence.original_name, mimetype="application/octet-stream", max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Evidence-SHA256"] = evidence.sha256
    return response


# --- assessments -----------------------------------------------------------------------------

@bp.get("/<int:system_id>/assessments")
def assessments_list(system_id):
    system = services.get_system(current_user, system_id)
    return _render("systems/assessments.html", system=system, summary=system_summary(system),
                   close_form=CloseFindingForm(), can_edit=policy.can_edit_system(current_user, system))


@bp.route("/<int:system_id>/assessments/new", methods=["GET", "POST"])
def new_assessment(system_id):
    system = services.get_system(current_user, system_id)
    policy.require(policy.can_edit_system(current_user, system),
                   _("You may not record assessments of this information system."))
    form = AssessmentForm()
    done = handle(form, lambda: assessments.add_assessment(current_user, system.id, form.service_data()),
                  _("Please correct the marked fields."))
    if done.ok:
        flash(_("The assessment was recorded."), "success")
        return redirect(url_for("systems.assessments_list", system_id=system.id))
    return _render("systems/assessment_form.html", done.status, form=form, system=system)


@bp.post("/<int:system_id>/assessments/findings/<int:finding_id>/close")
def close_finding(system_id, finding_id):
    assessments.get_finding(current_user, finding_id, system_id)  # 404 before anything else
    form = CloseFindingForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        assessments.close_finding(current_user, finding_id, form.closed_on.data, system_id=system_id)
    except ValidationError as err:
        db.session.rollback()
        apply_errors(None, err)
    else:
        flash(_("The finding was closed."), "success")
    return redirect(url_for("systems.assessments_list", system_id=system_id) + "#findings")
