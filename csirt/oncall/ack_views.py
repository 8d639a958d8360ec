"""Acknowledgement pages: the one-click link of a notification, the button on an incident, and
the responder's page ("Đang trực").

The link's GET shows what it will do and a single button; the POST acknowledges. A mail gateway
or a chat preview that fetches links (they do) must not acknowledge in the responder's place.
The POST needs no CSRF token: the link itself is the secret, and it is good once."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..catalogue import gettext as _
from ..clock import utcnow
from ..extensions import csrf
from ..forms import ConfirmForm
from ..incidents import policy
from . import ack, duty
from . import escalation as escalation_service

bp = Blueprint("ack", __name__)


@bp.app_template_global()
def escalation_of(incident_id):
    """The incident's active escalation, or None (for the incident page)."""
    return escalation_service.active_for([incident_id]).get(incident_id)


def _refused(err):
    if err.code == "forged":
        return render_template("errors/error.html", status=400, message=err.message), 400
    flash(err.message, "warning")
    if err.code == "used" and err.incident_id:
        return redirect(url_for("incidents.view", incident_id=err.incident_id))
    return redirect(url_for("auth.login") if not current_user.is_authenticated else url_for("ack.duty_page"))


@bp.route("/ack/<token>", methods=["GET", "POST"])
@csrf.exempt
def link(token):
    try:
        if request.method == "GET":
            _notification, incident, user = ack.read_link(token)
            return render_template("oncall/ack_confirm.html", incident=incident, user=user, token=token)
        incident, user, first = ack.acknowledge_by_link(token)
    except ack.LinkRefused as err:
        return _refused(err)
    return render_template("oncall/ack_done.html", incident=incident, user=user, first=first)


@bp.post("/incidents/<int:incident_id>/acknowledge")
@login_required
def acknowledge(incident_id):
    incident = policy.get_visible(current_user, incident_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if ack.acknowledge(current_user, incident, via="page"):
            flash(_("Acknowledged: the escalation has stopped."), "success")
        else:
            flash(_("Already acknowledged by %(name)s.", name=incident.acknowledged_by.full_name
                    if incident.acknowledged_by else "?"), "info")
    target = request.form.get("next")
    if target != "duty":
        return redirect(url_for("incidents.view", incident_id=incident.id))
    return redirect(url_for("ack.duty_page"))


@bp.get("/duty")
@login_required
def duty_page():
    now = utcnow()
    return render_template("oncall/duty.html", now=now, awaiting=duty.awaiting(current_user),
                           escalating=duty.escalating(current_user), tasks=duty.my_tasks(current_user),
                           shifts=duty.my_shifts(current_user, now), form=ConfirmForm())
