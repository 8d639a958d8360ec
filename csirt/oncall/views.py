"""On-call pages: the rotations with who is on call now, a rotation's coming weeks as a calendar,
the create and edit forms, overrides, and the secret calendar feeds. Thin: parse, call a service,
render. Every page asks for a login except the feed itself, whose secret URL is the credential."""
from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_login import current_user, login_required

from ..catalogue import gettext as _
from ..clock import utcnow
from ..extensions import db
from ..forms import ConfirmForm, handle
from . import calendar, feeds, ical, policy, resolve, services
from .forms import OverrideForm, RotationForm, eligible_people
from .models import Rotation, RotationOverride

bp = Blueprint("oncall", __name__, url_prefix="/oncall")
OPEN_ENDPOINTS = ("oncall.feed",)
MAX_DAYS_AWAY = 5 * 366  # the calendar pages through five years either way


@bp.before_request
def _require_login():
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    return login_required(lambda: None)()


def _read():
    policy.require(policy.can_read(current_user), _("You may not see the on-call rotations."))


def _manage():
    policy.require(policy.can_manage(current_user),
                   _("Only coordinators and administrators manage on-call rotations."))


@bp.get("/")
def index():
    _read()
    archived = db.session.execute(db.select(Rotation).where(Rotation.active.is_(False))
                                  .order_by(Rotation.name)).scalars().all()
    return render_template("oncall/index.html", rows=resolve.on_call_now(utcnow()), archived=archived,
                           can_manage=policy.can_manage(current_user))


def _first_day(rotation, now):
    asked = request.args.get("from", "")
    today = calendar.local_day(now, rotation.time_zone)
    try:
        chosen = date.fromisoformat(asked) if asked else None
    except ValueError:
        chosen = None
    if chosen is None or abs((chosen - today).days) > MAX_DAYS_AWAY:
        chosen = today  # also keeps the earlier and later links away from the limits of `date`
    return calendar.week_start(chosen)


@bp.get("/<int:rotation_id>")
def view(rotation_id):
    _read()
    rotation = services.get_rotation(rotation_id)
    now = utcnow()
    first = _first_day(rotation, now)
    days = calendar.WEEKS * 7
    start, end = calendar.bounds(first, days, rotation.time_zone)
    grid = calendar.grid(resolve.shifts_of_rotation(rotation.id, start, end), rotation.time_zone, first, days, now)
    overrides = db.session.execute(db.select(RotationOverride).where(
        RotationOverride.rotation_id == rotation.id, RotationOverride.ends_at > now)
        .order_by(RotationOverride.starts_at, RotationOverride.id)).scalars().all()
    return render_template("oncall/view.html", rotation=rotation, grid=grid, overrides=overrides,
                           previous=first - timedelta(days=days), following=first + timedelta(days=days),
                           can_manage=policy.can_manage(current_user), confirm=ConfirmForm())


def _render_form(form, rotation, status):
    return render_template("oncall/form.html", form=form, rotation=rotation, people=eligible_people()), status


@bp.route("/new", methods=["GET", "POST"])
def new():
    _manage()
    form = RotationForm()
    if request.method == "GET":
        form.starts_on.data = calendar.week_start(calendar.local_day(utcnow(), "Asia/Ho_Chi_Minh"))
    done = handle(form, lambda: services.create_rotation(current_user, form.service_data()),
                  _("Please correct the marked fields."))
    if done.ok:
        flash(_("The rotation was created."), "success")
        return redirect(url_for("oncall.view", rotation_id=done.value.id))
    return _render_form(form, None, done.status)


@bp.route("/<int:rotation_id>/edit", methods=["GET", "POST"])
def edit(rotation_id):
    _manage()
    rotation = services.get_rotation(rotation_id)
    form = RotationForm(obj=rotation)
    if request.method == "GET":
        form.fill_from(rotation)
    done = handle(form, lambda: services.update_rotation(current_user, rotation, form.service_data()),
                  _("Please correct the marked fields."))
    if done.ok:
        flash(_("The rotation was saved."), "success")
        return redirect(url_for("oncall.view", rotation_id=rotation.id))
    return _render_form(form, rotation, done.status)


@bp.post("/<int:rotation_id>/archive")
def archive(rotation_id):
    _manage()
    if ConfirmForm().validate_on_submit():
        services.set_rotation_active(current_user, services.get_rotation(rotation_id), False)
        flash(_("The rotation was archived: it pages nobody until restored."), "success")
    return redirect(url_for("oncall.view", rotation_id=rotation_id))


@bp.post("/<int:rotation_id>/restore")
def restore(rotation_id):
    _manage()
    if ConfirmForm().validate_on_submit():
        services.set_rotation_active(current_user, services.get_rotation(rotation_id), True)
        flash(_("The rotation was restored."), "success")
    return redirect(url_for("oncall.view", rotation_id=rotation_id))


@bp.route("/<int:rotation_id>/overrides", methods=["GET", "POST"])
def overrides(rotation_id):
    _manage()
    rotation = services.get_rotation(rotation_id)
    form = OverrideForm(rotation)
    done = handle(form, lambda: services.add_override(current_user, rotation, form.service_data()),
                  _("Please correct the marked fields."))
    if done.ok:
        flash(_("The override was added."), "success")
        return redirect(url_for("oncall.view", rotation_id=rotation.id, _anchor="overrides"))
    return render_template("oncall/override_form.html", form=form, rotation=rotation), done.status


@bp.post("/<int:rotation_id>/overrides/<int:override_id>/remove")
def remove_override(rotation_id, override_id):
    _manage()
    rotation = services.get_rotation(rotation_id)
    if ConfirmForm().validate_on_submit():
        services.remove_override(current_user, rotation, override_id)
        flash(_("The override was removed."), "success")
    return redirect(url_for("oncall.view", rotation_id=rotation.id, _anchor="overrides"))


# --- calendar feeds ----------------------------------------------------------------------------

def _feeds_page(new_url=None, status=200):
    return render_template("oncall/feeds.html", feeds=feeds.feeds_of(current_user), new_url=new_url,
                           confirm=ConfirmForm()), status


@bp.get("/feeds")
def my_feeds():
    policy.require(policy.can_have_feed(current_user), _("You may not make a calendar feed."))
    return _feeds_page()


@bp.post("/feeds")
def new_feed():
    """A feed of my shifts, or (rotation_id) of a rotation; the page shows its URL once."""
    policy.require(policy.can_have_feed(current_user), _("You may not make a calendar feed."))
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("oncall.my_feeds"))
    rotation_id = request.form.get("rotation_id")
    rotation = services.get_rotation(rotation_id) if rotation_id else None
    _feed, token = feeds.create_feed(current_user, rotation)
    return _feeds_page(url_for("oncall.feed", token=token, _external=True))


@bp.post("/feeds/<int:feed_id>/revoke")
def revoke_feed(feed_id):
    if ConfirmForm().validate_on_submit():
        feeds.revoke_feed(current_user, feed_id)
        flash(_("The calendar feed was revoked; its address no longer works."), "success")
    return redirect(url_for("oncall.my_feeds"))


@bp.get("/feed/<token>.ics")
def feed(token):
    """The iCalendar document of a feed. No login: calendar apps cannot log in; the random token
    in the URL is the credential. Unknown or revoked: 404, the same answer for both."""
    found = feeds.find_feed(token)
    if found is None:
        abort(404)
    now = utcnow()
    start, end = ical.window(now)
    owner = found.created_by
    with force_locale(owner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if found.rotation_id is not None:
            entries = resolve.shifts_of_rotation(found.rotation_id, start, end)
            body = ical.render(entries, found.rotation.name, now, with_person=True)
        else:
            entries = resolve.shifts_of_user(found.user_id, start, end)
            body = ical.render(entries, _("On call: %(person)s", person=found.user.full_name), now,
                               with_person=False)
    feeds.note_use(found, now)
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Content-Disposition"] = "inline; filename=oncall.ics"
    return response


@bp.app_context_processor
def _nav():
    signed_in = getattr(current_user, "is_authenticated", False)
    return {"can_read_oncall": bool(signed_in) and policy.can_read(current_user)}
