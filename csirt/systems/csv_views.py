"""CSV export and import pages of the inventory (routes on the `systems` blueprint)."""
from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from ..audit.services import record
from ..catalogue import gettext as _
from ..catalogue import lazy_gettext as _l
from ..extensions import db
from . import csvio, policy
from .csv_import import KIND_LABELS, ImportRefused, import_files
from .views import bp

DEFAULT_MAX_BYTES = 5 * 1024 * 1024  # per file; CSIRT_IMPORT_MAX_BYTES overrides


class ImportForm(FlaskForm):
    systems_file = FileField(_l("Information systems (CSV)"))
    servers_file = FileField(_l("Servers (CSV)"))


def _export(kind, filename, action, object_type):
    body = csvio.export(current_user, kind)
    record(current_user, action, object_type=object_type, object_id="*")
    db.session.commit()
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename={filename}", "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store"})


@bp.get("/export.csv")
def export_systems():
    return _export("systems", "information-systems.csv", "system.export", "information_system")


@bp.get("/servers/export.csv")
def export_servers():
    return _export("servers", "servers.csv", "server.export", "server")


def max_bytes():
    return current_app.config.get("CSIRT_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def _read(upload, limit):
    """The uploaded file's bytes (None when no file was chosen); too large -> None, False."""
    if upload is None or not upload.filename:
        return None, True
    data = upload.stream.read(limit + 1)
    return data, len(data) <= limit


def _allowed():
    return policy.can_create_system(current_user) or policy.can_create_server(current_user)


@bp.route("/import", methods=["GET", "POST"])
def import_csv():
    policy.require(_allowed(), _("You may not import information systems or servers."))
    form = ImportForm()
    problems, status = [], 200
    if form.validate_on_submit():
        limit = max_bytes()
        files, too_large = {}, []
        for kind, field in (("systems", "systems_file"), ("servers", "servers_file")):
            data, ok = _read(request.files.get(field), limit)
            if not ok:
                too_large.append(kind)
            files[kind] = data
        if too_large:
            problems = [(k, _("The file is larger than %(n)d MB.", n=max(1, limit // (1024 * 1024))))
                        for k in too_large]
            status = 413
        else:
            try:
                summary = import_files(current_user, files)
            except ImportRefused as err:
                problems = [(k, str(p)) for k, p in err.problems]
                status = 400
            else:
                flash(_("Import done: information systems created %(sc)d, updated %(su)d; "
                        "servers created %(vc)d, updated %(vu)d.",
                        sc=summary.created["systems"], su=summary.updated["systems"],
                        vc=summary.created["servers"], vu=summary.updated["servers"]), "success")
                return redirect(url_for("systems.import_csv"))
        flash(_("Nothing was imported: correct the lines below and try again."), "danger")
    elif request.method == "POST":
        status = 400
        flash(_("The form expired or was not sent from this site; reload and try again."), "danger")
    grouped = {}
    for kind, text in problems:
        grouped.setdefault(kind, []).append(text)
    return render_template("systems/import.html", form=form, problems=grouped, kind_labels={
        "systems": str(KIND_LABELS["systems"]), "servers": str(KIND_LABELS["servers"])},
        max_mb=max(1, max_bytes() // (1024 * 1024)), systems_columns=csvio.SYSTEM_COLUMNS,
        servers_columns=csvio.SERVER_COLUMNS, systems_required=csvio.SYSTEM_REQUIRED,
        servers_required=csvio.SERVER_REQUIRED), status
