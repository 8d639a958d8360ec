"""Login, logout, own account: password and API tokens."""
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..catalogue import gettext as _
from ..errors import NotFound
from ..extensions import db
from ..forms import ConfirmForm, handle
from ..i18n import _safe_next
from ..ids import as_id
from ..team.models import User
from . import services
from . import tokens as token_service
from .forms import LoginForm, PasswordForm, TokenForm
from .models import ApiToken

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("incidents.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data, request.remote_addr)
        except services.LoginFailed as err:
            flash(err.message, "danger")
            return render_template("auth/login.html", form=form), 401
        lang = session.get("lang")
        session.clear()  # a new session id at login
        if lang:
            session["lang"] = lang
        session[services.SESSION_KEY] = services.start_session(
            user, request.remote_addr, request.headers.get("User-Agent"))
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    services.end_session(current_user)
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    done = handle(form, lambda: services.change_password(current_user, form.current_password.data,
                                                         form.new_password.data))
    if done.ok:
        flash(_("Your password was changed; your other sessions were ended."), "success")
        return redirect(url_for("team.member", user_id=current_user.id))
    return render_template("auth/password.html", form=form), done.status


@bp.post("/team/members/<int:user_id>/unlock")
@login_required
def unlock_member(user_id):
    """Admins: clear the member's failed-login counters (the button on the member page)."""
    user = db.session.get(User, as_id(user_id)) if as_id(user_id) else None
    if user is None:
        raise NotFound("user")
    if handle(ConfirmForm(), lambda: services.unlock_user(current_user, user), redirecting=True).ok:
        flash(_("The failed login attempts of %(name)s were cleared; they can log in again.",
                name=user.full_name), "success")
    return redirect(url_for("team.member", user_id=user.id))


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = TokenForm()
    done = handle(form, lambda: token_service.create_token(current_user, current_user, form.name.data,
                                                           form.scopes.data, form.days.data))
    new_token = done.value[1] if done.ok else None
    rows = db.session.execute(db.select(ApiToken).where(ApiToken.user_id == current_user.id)
                              .order_by(ApiToken.id.desc())).scalars().all()
    return render_template("auth/tokens.html", form=form, tokens=rows, new_token=new_token,
                           confirm=ConfirmForm())


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id):
    form = ConfirmForm()
    if form.validate_on_submit():
        token_service.revoke_token(current_user, token_id)
        flash(_("The token was revoked."), "success")
    return redirect(url_for("auth.tokens"))
