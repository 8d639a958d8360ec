"""Pages of the scheduled checks: the configurations, one configuration with its servers' work
items, the form, and a server's history of results. Thin: parse, call a service, render."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import contains_eager

from ..catalogue import gettext as _
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..forms import ConfirmForm, handle
from ..systems import policy as systems_policy
from ..systems.models import Server
from . import display, panels, policy, services, validation
from .forms import HELP, LABELS, ConfigForm
from .models import KINDS, STATES, CheckConfig, CheckResult, ServerCheck

bp = Blueprint("checks", __name__)
HISTORY_PAGE = 50


@bp.before_request
@login_required
def _require_login():
    return None


def _render(template, status=200, **context):
    return render_template(template, display=display, kinds=KINDS, **context), status


def _form_page(form, config, kind, status):
    return _render("checks/form.html", status, form=form, config=config, kind=kind, form_help=HELP,
                   networks=validation.networks_text())


def _version():
    return request.form.get("version", type=str)


def _state_counts(user, config_ids):
    """{config_id: {state: n}} of the active work items `user` may see."""
    if not config_ids:
        return {}
    query = policy.visible_items(user, db.select(ServerCheck.config_id, ServerCheck.state,
                                                 db.func.count(ServerCheck.id))).where(
        ServerCheck.config_id.in_(config_ids), ServerCheck.active).group_by(ServerCheck.config_id, ServerCheck.state)
    counts = {}
    for config_id, state, n in db.session.execute(query):
        counts.setdefault(config_id, {})[state] = n
    return counts


@bp.get("/checks/")
def index():
    kind = request.args.get("kind", "", type=str)
    kind = kind if kind in KINDS else ""
    query = policy.visible_configs(current_user)
    if kind:
        query = query.where(CheckConfig.kind == kind)
    configs = db.session.execute(query.order_by(CheckConfig.kind, CheckConfig.name, CheckConfig.id)
                                 .limit(1000)).scalars().all()
    return _render("checks/index.html", configs=configs, kind=kind, states=STATES,
                   counts=_state_counts(current_user, [c.id for c in configs]),
                   can_configure=policy.can_configure(current_user))


@bp.route("/checks/new", methods=["GET", "POST"])
def new():
    policy.require(policy.can_configure(current_user), _("You may not configure checks."))
    kind = request.args.get("kind", "", type=str)
    server_id = request.args.get("server", "", type=str)
    server_id = server_id if server_id.isdigit() and len(server_id) <= 10 else ""
    if kind not in KINDS:
        return _render("checks/choose_kind.html", server_id=server_id or None)
    form = ConfigForm().fill(current_user, kind)
    if request.method == "GET":
        form.defaults()
        if server_id:
            form.server_id.data, form.scope.data = server_id, "server"
    done = handle(form, lambda: services.create_config(current_user, form.service_data()),
                  _("Please correct the marked fields."))
    if done.ok:
        flash(_("The check %(name)s was saved.", name=done.value.name), "success")
        return redirect(url_for("checks.view", config_id=done.value.id))
    return _form_page(form, None, kind, done.status)


@bp.get("/checks/<int:config_id>")
def view(config_id):
    config = services.get_config(current_user, config_id)
    items = db.session.execute(policy.visible_items(current_user).join(Server, Server.id == ServerCheck.server_id)
                               .options(contains_eager(ServerCheck.server))
                               .where(ServerCheck.config_id == config.id)
                               .order_by(ServerCheck.active.desc(), Server.hostname)).scalars().all()
    server = config.server if config.server is not None and systems_policy.can_see_server(
        current_user, config.server) else None
    return _render("checks/view.html", config=config, items=items, server=server, confirm_form=ConfirmForm(),
                   param_labels=LABELS, show_params=policy.can_see_params(current_user, config),
                   can_configure=policy.can_configure(current_user), can_run=policy.can_run(current_user))


@bp.route("/checks/<int:config_id>/edit", methods=["GET", "POST"])
def edit(config_id):
    config = services.get_config(current_user, config_id)
    policy.require(policy.can_configure(current_user), _("You may not configure checks."))
    form = ConfigForm().fill(current_user, config.kind, config)
    if request.method == "GET":
        form.load(config)
    try:
        done = handle(form, lambda: services.update_config(current_user, config.id, form.service_data(),
                                                           form.version.data))
    except Conflict as err:
        db.session.rollback()
        flash(err.message, "danger")
        return _form_page(form, config, config.kind, 409)
    if done.ok:
        flash(_("The check was saved."), "success")
        return redirect(url_for("checks.view", config_id=config.id))
    return _form_page(form, config, config.kind, done.status)


def _post_action(action, done_message, config_id):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        action()
    except (Conflict, ValidationError) as err:
        db.session.rollback()
        flash(err.message, "danger")
    else:
        flash(done_message, "success")
    return redirect(url_for("checks.view", config_id=config_id))


@bp.post("/checks/<int:config_id>/enable")
def enable(config_id):
    return _post_action(lambda: services.set_enabled(current_user, config_id, True, _version()),
                        _("The check is enabled."), config_id)


@bp.post("/checks/<int:config_id>/disable")
def disable(config_id):
    return _post_action(lambda: services.set_enabled(current_user, config_id, False, _version()),
                        _("The check is disabled."), config_id)


@bp.post("/checks/<int:config_id>/delete")
def delete(config_id):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.delete_config(current_user, config_id, _version())
    except (Conflict, ValidationError) as err:
        db.session.rollback()
        flash(err.message, "danger")
        return redirect(url_for("checks.view", config_id=config_id))
    flash(_("The check was deleted."), "success")
    return redirect(url_for("checks.index"))


@bp.post("/checks/items/<int:item_id>/run")
def run_now(item_id):
    """Make one work item due now; back to the server's page or the configuration's."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        item = services.run_now(current_user, item_id)
    except ValidationError as err:  # the item no longer applies: say so where the user came from
        db.session.rollback()
        flash(err.message, "danger")
        item = policy.get_item(current_user, item_id)
    else:
        flash(_("The check will run at the scheduler's next tick."), "success")
    if request.form.get("back") == "server":
        return redirect(url_for("systems.server", server_id=item.server_id))
    return redirect(url_for("checks.view", config_id=item.config_id))


@bp.get("/systems/servers/<int:server_id>/checks")
def server_history(server_id):
    """The server's results, newest first, a page at a time (keyset on the result id)."""
    server = systems_policy.get_server(current_user, server_id)
    kind = request.args.get("kind", "", type=str)
    kind = kind if kind in KINDS else ""
    before = request.args.get("before", "", type=str)
    query = policy.visible_results(current_user).where(CheckResult.server_id == server.id)
    if kind:
        query = query.where(CheckResult.kind == kind)
    if before.isdigit() and len(before) <= 10:
        query = query.where(CheckResult.id < int(before))
    results = db.session.execute(query.order_by(CheckResult.id.desc()).limit(HISTORY_PAGE + 1)).scalars().all()
    more = len(results) > HISTORY_PAGE
    results = results[:HISTORY_PAGE]
    item_ids = {r.server_check_id for r in results}
    names = dict(db.session.execute(db.select(ServerCheck.id, CheckConfig.name).join(
        CheckConfig, CheckConfig.id == ServerCheck.config_id).where(ServerCheck.id.in_(item_ids or [0]))).all())
    return _render("checks/history.html", server=server, rows=panels.item_rows(current_user, server.id),
                   results=results, names=names, kind=kind,
                   next_before=results[-1].id if more and results else None,
                   confirm_form=ConfirmForm(), can_run=policy.can_run(current_user),
                   sees_scans=policy.sees_scans(current_user))
