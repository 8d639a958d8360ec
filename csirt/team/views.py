"""Team pages: the member directory, member pages, agencies; management for admins."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, or_

from ..catalogue import gettext as _
from ..errors import NotFound
from ..extensions import db
from ..forms import ConfirmForm, handle
from ..ids import as_id
from ..incidents import policy as incident_policy
from ..incidents.lifecycle import OPEN_STATUSES
from ..incidents.models import Incident
from . import services
from .forms import AgencyForm, ResetPasswordForm, UserForm, kind_label
from .labels import role_label
from .models import ROLES, Agency, User

bp = Blueprint("team", __name__, url_prefix="/team")


@bp.before_request
@login_required
def _require_login():
    return None


def _get(model, ident):
    ident = as_id(ident)
    obj = db.session.get(model, ident) if ident else None
    if obj is None:
        raise NotFound(model.__name__)
    return obj


def _user_form(form):
    agencies = db.session.execute(db.select(Agency).order_by(Agency.name)).scalars()
    form.agency_id.choices = [(str(a.id), a.name) for a in agencies]
    form.role.choices = [(r, role_label(r)) for r in ROLES]
    return form


@bp.get("/")
def members():
    q = (request.args.get("q") or "").strip()[:100]
    role = request.args.get("role") or ""
    agency = request.args.get("agency") or ""
    query = db.select(User).join(Agency).order_by(Agency.name, User.full_name)
    if q:
        # autoescape: "%" and "_" typed in the search box are searched literally
        query = query.where(or_(*(column.icontains(q, autoescape=True)
                                  for column in (User.full_name, User.username, User.skills, User.email))))
    if role in ROLES:
        query = query.where(User.role == role)
    if as_id(agency):
        query = query.where(User.agency_id == as_id(agency))
    users = db.session.execute(query).scalars().all()
    agencies = db.session.execute(db.select(Agency).order_by(Agency.name)).scalars().all()
    return render_template("team/members.html", users=users, agencies=agencies, q=q, role=role,
                           agency=agency, roles=ROLES)


@bp.get("/members/<int:user_id>")
def member(user_id):
    user = _get(User, user_id)
    return render_template("team/member.html", user=user, confirm=ConfirmForm(),
                           reset_form=ResetPasswordForm())


@bp.route("/members/new", methods=["GET", "POST"])
def new_member():
    services.require_admin(current_user)
    form = _user_form(UserForm())
    done = handle(form, lambda: services.create_user(current_user, form.service_data(), form.password.data or ""))
    if done.ok:
        flash(_("Member %(name)s was added.", name=done.value.full_name), "success")
        return redirect(url_for("team.member", user_id=done.value.id))
    return render_template("team/member_form.html", form=form, user=None), done.status


@bp.route("/members/<int:user_id>/edit", methods=["GET", "POST"])
def edit_member(user_id):
    services.require_admin(current_user)
    user = _get(User, user_id)
    form = _user_form(UserForm(obj=user))
    del form.password
    if request.method == "GET":
        form.agency_id.data = str(user.agency_id)
    done = handle(form, lambda: services.update_user(current_user, user, form.service_data()))
    if done.ok:
        flash(_("The member was saved."), "success")
        return redirect(url_for("team.member", user_id=user.id))
    return render_template("team/member_form.html", form=form, user=user), done.status


@bp.post("/members/<int:user_id>/<any(enable, disable):action>")
def set_active(user_id, action):
    services.require_admin(current_user)
    user = _get(User, user_id)
    if handle(ConfirmForm(), lambda: services.set_user_active(current_user, user, action == "enable"),
              redirecting=True).ok:
        flash(_("The member was enabled.") if action == "enable" else _("The member was disabled."), "success")
    return redirect(url_for("team.member", user_id=user.id))


@bp.post("/members/<int:user_id>/password")
def reset_password(user_id):
    services.require_admin(current_user)
    user = _get(User, user_id)
    form = ResetPasswordForm()
    if handle(form, lambda: services.reset_password(current_user, user, form.password.data),
              redirecting=True).ok:
        flash(_("The password was reset; the member's sessions were ended."), "success")
    return redirect(url_for("team.member", user_id=user.id))


@bp.get("/agencies")
def agencies():
    counts = dict(db.session.execute(db.select(User.agency_id, func.count(User.id)).group_by(User.agency_id)).all())
    open_query = incident_policy.visible_incidents(
        current_user, db.select(Incident.agency_id, func.count(Incident.id))
    ).where(Incident.status.in_(OPEN_STATUSES)).group_by(Incident.agency_id)
    open_counts = dict(db.session.execute(open_query).all())
    rows = db.session.execute(db.select(Agency).order_by(Agency.kind, Agency.name)).scalars().all()
    return render_template("team/agencies.html", agencies=rows, counts=counts, open_counts=open_counts,
                           kind_label=kind_label)


@bp.get("/agencies/<int:agency_id>")
def agency(agency_id):
    row = _get(Agency, agency_id)
    users = db.session.execute(db.select(User).where(User.agency_id == row.id).order_by(User.full_name)).scalars().all()
    return render_template("team/agency.html", agency=row, users=users, kind_label=kind_label)


@bp.route("/agencies/new", methods=["GET", "POST"])
def new_agency():
    services.require_admin(current_user)
    form = AgencyForm()
    form.kind.choices = [(k, str(kind_label(k))) for k, _v in form.kind.choices]
    done = handle(form, lambda: services.create_agency(current_user, form.service_data()))
    if done.ok:
        flash(_("The agency was added."), "success")
        return redirect(url_for("team.agency", agency_id=done.value.id))
    return render_template("team/agency_form.html", form=form, agency=None), done.status


@bp.route("/agencies/<int:agency_id>/edit", methods=["GET", "POST"])
def edit_agency(agency_id):
    services.require_admin(current_user)
    row = _get(Agency, agency_id)
    form = AgencyForm(obj=row)
    form.kind.choices = [(k, str(kind_label(k))) for k, _v in form.kind.choices]
    done = handle(form, lambda: services.update_agency(current_user, row, form.service_data()))
    if done.ok:
        flash(_("The agency was saved."), "success")
        return redirect(url_for("team.agency", agency_id=row.id))
    return render_template("team/agency_form.html", form=form, agency=row), done.status
