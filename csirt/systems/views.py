"""Pages of the inventory: information systems and servers. Thin: parse, call a service, render."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..catalogue import gettext as _
from ..errors import Conflict
from ..extensions import db
from ..forms import ConfirmForm, handle
from ..team.models import Agency
from . import conflicts, labels, panels, policy, services
from .forms import ServerForm, SystemForm
from .models import LEVELS, Server
from .summary import layer_context

bp = Blueprint("systems", __name__, url_prefix="/systems")

SYSTEM_FILTERS = ("agency", "level", "q", "archived")
SERVER_FILTERS = ("agency", "kind", "q", "archived")


@bp.before_request
@login_required
def _require_login():
    return None


def _render(template, status=200, **context):
    return render_template(template, labels=labels, **context), status


def _filters(names):
    """The list filters in the query string: only the known ones, as short text."""
    return {n: request.args.get(n, "", type=str).strip()[:100] for n in names}


def _agencies():
    rows = db.session.execute(db.select(Agency).order_by(Agency.name)).scalars().all()
    return policy.filterable_agencies(current_user, rows)


def _version():
    return request.form.get("version", type=str)


# --- information systems ---------------------------------------------------------------------

@bp.get("/")
def index():
    f = _filters(SYSTEM_FILTERS)
    systems = services.list_systems(current_user, {"agency_id": f["agency"], "level": f["level"], "q": f["q"],
                                                   "archived": f["archived"]})
    return _render("systems/index.html", systems=systems, f=f, agencies=_agencies(), levels=LEVELS,
                   can_create=policy.can_create_system(current_user))


@bp.route("/new", methods=["GET", "POST"])
def new():
    policy.require(policy.can_create_system(current_user), _("You may not record information systems."))
    form = SystemForm().fill(current_user)
    if request.method == "GET" and "owner_agency_id" in form:
        form.owner_agency_id.data = str(current_user.agency_id)
    done = handle(form, lambda: services.create_system(current_user, form.service_data()),
                  _("Please correct the marked fields."))
    if done.ok:
        flash(_("Information system %(code)s was recorded.", code=done.value.code), "success")
        return redirect(url_for("systems.view", system_id=done.value.id))
    return _render("systems/system_form.html", done.status, form=form, system=None)


@bp.get("/<int:system_id>")
def view(system_id):
    system = services.get_system(current_user, system_id)
    servers = [s for s in system.servers if policy.can_see_server(current_user, s)]
    return _render("systems/system.html", system=system, servers=servers, hidden_servers=len(system.servers)
                   - len(servers), panels=panels.collect("system", current_user, system), confirm_form=ConfirmForm(),
                   can_edit=policy.can_edit_system(current_user, system), **layer_context(system))


@bp.route("/<int:system_id>/edit", methods=["GET", "POST"])
def edit(system_id):
    system = services.get_system(current_user, system_id)
    policy.require(policy.can_edit_system(current_user, system), _("You may not edit this information system."))
    form = SystemForm().fill(current_user, system)
    if request.method == "GET":
        form.load(system)
    try:
        done = handle(form, lambda: services.update_system(current_user, system.id, form.service_data(),
                                                           form.version.data))
    except Conflict:
        return _conflict("systems/system_form.html", form, system, "system")
    if done.ok:
        flash(_("The information system was saved."), "success")
        return redirect(url_for("systems.view", system_id=system.id))
    return _render("systems/system_form.html", done.status, form=form, system=system)


def _conflict(template, form, obj, name):
    """Someone saved the record after this form was loaded: the form again, with what changed
    meanwhile and a "save anyway" that carries the current version."""
    db.session.rollback()
    try:
        base_version = int(form.version.data)
    except (TypeError, ValueError):
        base_version = obj.version
    changes = conflicts.changes_since(obj, base_version, form)
    form.version.data = obj.version
    flash(_("Someone else saved this record meanwhile; your changes are not saved yet."), "warning")
    return _render(template, 409, form=form, changes=changes, **{name: obj})


def _archive_action(action, obj_id, endpoint, key, done_message):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        action(current_user, obj_id, _version())
    except Conflict as err:
        db.session.rollback()
        flash(err.message, "danger")
    else:
        flash(done_message, "success")
    return redirect(url_for(endpoint, **{key: obj_id}))


@bp.post("/<int:system_id>/archive")
def archive(system_id):
    return _archive_action(services.archive_system, system_id, "systems.view", "system_id",
                           _("The information system was archived."))


@bp.post("/<int:system_id>/restore")
def restore(system_id):
    return _archive_action(services.restore_system, system_id, "systems.view", "system_id",
                           _("The information system was restored."))


# --- servers ---------------------------------------------------------------------------------

@bp.get("/servers")
def servers():
    f = _filters(SERVER_FILTERS)
    rows = services.list_servers(current_user, {"agency_id": f["agency"], "kind": f["kind"], "q": f["q"],
                                                "archived": f["archived"]})
    return _render("systems/servers.html", servers=rows, f=f, agencies=_agencies(),
                   can_create=policy.can_create_server(current_user),
                   can_see_system=lambda system: policy.can_see_system(current_user, system))


@bp.route("/servers/new", methods=["GET", "POST"])
def new_server():
    policy.require(policy.can_create_server(current_user), _("You may not record servers."))
    form = ServerForm().fill(current_user)
    if request.method == "GET" and "agency_id" in form:
        form.agency_id.data = str(current_user.agency_id)
    done = handle(form, lambda: services.create_server(current_user, form.service_data()),
                  _("Please correct the marked fields."))
    if done.ok:
        flash(_("Server %(name)s was recorded.", name=done.value.hostname), "success")
        return redirect(url_for("systems.server", server_id=done.value.id))
    return _render("systems/server_form.html", done.status, form=form, server=None)


@bp.get("/servers/<int:server_id>")
def server(server_id):
    item = services.get_server(current_user, server_id)
    host = item.host if item.host is not None and policy.can_see_server(current_user, item.host) else None
    guests = db.session.execute(policy.visible_servers(current_user).where(Server.host_id == item.id)
                                .order_by(Server.hostname)).scalars().all()
    systems = [s for s in item.systems if policy.can_see_system(current_user, s)]
    return _render("systems/server.html", server=item, host=host, guests=guests, systems=systems,
                   hidden_systems=len(item.systems) - len(systems), panels=panels.collect("server", current_user, item),
                   confirm_form=ConfirmForm(), can_edit=policy.can_edit_server(current_user, item))


@bp.route("/servers/<int:server_id>/edit", methods=["GET", "POST"])
def edit_server(server_id):
    item = services.get_server(current_user, server_id)
    policy.require(policy.can_edit_server(current_user, item), _("You may not edit this server."))
    form = ServerForm().fill(current_user, item)
    if request.method == "GET":
        form.load(item)
    try:
        done = handle(form, lambda: services.update_server(current_user, item.id, form.service_data(),
                                                           form.version.data))
    except Conflict:
        return _conflict("systems/server_form.html", form, item, "server")
    if done.ok:
        flash(_("The server was saved."), "success")
        return redirect(url_for("systems.server", server_id=item.id))
    return _render("systems/server_form.html", done.status, form=form, server=item)


@bp.post("/servers/<int:server_id>/archive")
def archive_server(server_id):
    return _archive_action(services.archive_server, server_id, "systems.server", "server_id",
                           _("The server was archived."))


@bp.post("/servers/<int:server_id>/restore")
def restore_server(server_id):
    return _archive_action(services.restore_server, server_id, "systems.server", "server_id",
                           _("The server was restored."))


from . import csv_views as _csv_views  # noqa: E402,F401  (CSV export and import: routes on this blueprint)
from . import layer_views  # noqa: E402,F401  (layers and assessments: routes on this blueprint)
