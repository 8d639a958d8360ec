"""Notification pages: my contact methods and quiet hours, a test message; the outbox for admins
and coordinators. Thin views: the rules are in services and policy."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..catalogue import gettext as _
from ..forms import ConfirmForm, handle
from ..ids import as_id
from . import policy, services
from .forms import CHANNEL_LABELS, STATUS_LABELS, MethodForm, QuietForm
from .models import CHANNEL_NAMES, STATUSES

bp = Blueprint("notify", __name__)


@bp.before_request
@login_required
def _require_login():
    return None


@bp.record_once
def _template_globals(state):
    state.app.jinja_env.globals.update(can_read_outbox=policy.can_read_outbox)


def _me_page(method_form=None, quiet_form=None, new_secret=None, status=200):
    pref = services.preference_of(current_user)
    if quiet_form is None:
        quiet_form = QuietForm(formdata=None, quiet_start=pref.quiet_start.strftime("%H:%M") if pref.quiet_start
                               else "", quiet_end=pref.quiet_end.strftime("%H:%M") if pref.quiet_end else "")
    return render_template("notify/me.html", methods=services.own_methods(current_user),
                           form=method_form or MethodForm(formdata=None), quiet=quiet_form, pref=pref,
                           new_secret=new_secret, channel_labels=CHANNEL_LABELS, confirm=ConfirmForm()), status


@bp.get("/notifications")
def me():
    return _me_page()


@bp.post("/notifications/methods")
def add_method():
    form = MethodForm()
    done = handle(form, lambda: services.add_method(current_user, form.channel.data, form.address.data,
                                                    form.label.data), _("Please correct the marked fields."))
    if not done.ok:
        return _me_page(method_form=form, status=400)
    if done.value.secret:  # shown once, on this page
        flash(_("The webhook was added. Copy its signing key now; it will not be shown again."), "success")
        return _me_page(new_secret=done.value.secret)
    flash(_("The contact method was added."), "success")
    return redirect(url_for("notify.me"))


@bp.post("/notifications/methods/<int:method_id>/delete")
def remove_method(method_id):
    if ConfirmForm().validate_on_submit():
        services.remove_method(current_user, method_id)
        flash(_("The contact method was removed."), "success")
    return redirect(url_for("notify.me"))


@bp.post("/notifications/methods/<int:method_id>/<any(enable, disable):action>")
def toggle_method(method_id, action):
    if ConfirmForm().validate_on_submit():
        services.set_method_enabled(current_user, method_id, action == "enable")
    return redirect(url_for("notify.me"))


@bp.post("/notifications/quiet")
def quiet():
    form = QuietForm()
    done = handle(form, lambda: services.set_quiet_hours(current_user, form.quiet_start.data, form.quiet_end.data),
                  _("Please correct the marked fields."))
    if not done.ok:
        return _me_page(quiet_form=form, status=400)
    flash(_("Your quiet hours were saved."), "success")
    return redirect(url_for("notify.me"))


@bp.post("/notifications/test")
def send_test():
    form = ConfirmForm()
    done = handle(form, lambda: services.send_test(current_user), redirecting=True)
    if done.ok:
        flash(_("A test notification is on its way to %(n)d address(es).", n=len(done.value)), "success")
    return redirect(url_for("notify.me"))


@bp.get("/notifications/outbox")
def outbox():
    policy.require_outbox(current_user)
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    channel = request.args.get("channel") if request.args.get("channel") in CHANNEL_NAMES else None
    before = as_id(request.args.get("before"))
    rows = services.outbox_page(current_user, status=status, channel=channel, before_id=before)
    return render_template("notify/outbox.html", rows=rows, status=status, channel=channel,
                           shown_address=services.shown_address,
                           statuses=STATUS_LABELS, channels=CHANNEL_LABELS, retryable=services.RETRYABLE)


@bp.post("/notifications/outbox/<int:notification_id>/retry")
def retry(notification_id):
    policy.require_outbox(current_user)
    form = ConfirmForm()
    done = handle(form, lambda: services.retry(notification_id, current_user), redirecting=True)
    if done.ok:
        flash(_("Notification %(id)d will be sent again.", id=notification_id), "success")
    return redirect(url_for("notify.outbox"))
