"""The level dossier: GET /systems/<id>/dossier (printable page) and /systems/<id>/dossier.docx
(the same content as a Word file, audited as "system.dossier"). Whoever may see the system may
read its dossier: `services.get_system` applies the systems policy (NotFound otherwise)."""
from flask import Blueprint, Response, render_template
from flask_login import current_user, login_required

from ...audit.services import record
from ...extensions import db
from ...systems import policy, services
from ...systems.dates import today
from ...systems.summary import system_summary
from .. import render
from . import facts

bp = Blueprint("dossier", __name__)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _dossier(system_id):
    system = services.get_system(current_user, system_id)
    servers = [s for s in system.servers if policy.can_see_server(current_user, s)]
    made_by = getattr(current_user, "full_name", "") or current_user.username
    content = facts.sections(system, servers, len(system.servers) - len(servers), system_summary(system),
                             today(), made_by)
    return system, facts.title(system), content


@bp.get("/systems/<int:system_id>/dossier")
@login_required
def page(system_id):
    system, title, sections = _dossier(system_id)
    return render_template("dossier/system.html", system=system, title=title, sections=sections)


@bp.get("/systems/<int:system_id>/dossier.docx")
@login_required
def docx(system_id):
    system, title, sections = _dossier(system_id)
    body = render.docx_document(title, sections)
    record(current_user, "system.dossier", system, after={"format": "docx"})
    db.session.commit()  # the audit entry of the download, alone in its transaction
    filename = f"ho-so-cap-do-{system.code}.docx"
    return Response(body, mimetype=DOCX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
