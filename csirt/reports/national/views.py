"""The national forms of an incident: GET/POST /incidents/<id>/reports/<form03|form04> (the form
filled with what csirt knows, the answers saved), GET .../<form>.<docx|pdf>?lang=vi|en (the
download, audited as "incident.national_report"). Whoever may see the incident may read and
download; whoever may edit it may save (policy.py)."""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ...audit.services import record
from ...catalogue import gettext as _
from ...clock import utcnow
from ...errors import Conflict, Forbidden, invalid
from ...extensions import db
from ...forms import handle
from ...incidents import facts as facts_service
from . import document, export, forms, policy, webform
from . import facts as known_facts

bp = Blueprint("national", __name__)
FORM_SLUGS = "any(form03, form04)"


@bp.before_request
@login_required
def _require_login():
    return None


def _page(form, incident, web, row, known, status=200):
    return render_template(
        "national/form.html", form=form, incident=incident, web=web, row=row, known=known,
        can_edit=policy.can_edit(current_user, incident), subject=forms.email_subject(form, incident),
        official=known_facts.is_official(incident), languages=document.LANGUAGES,
        other=[f for f in forms.FORMS.values() if f is not form]), status


@bp.route(f"/incidents/<int:incident_id>/reports/<{FORM_SLUGS}:slug>", methods=["GET", "POST"])
def form_page(incident_id, slug):
    incident = policy.get_incident(current_user, incident_id)
    form = forms.FORMS[slug]
    row = facts_service.facts_for(incident)
    if request.method == "POST" and not policy.can_edit(current_user, incident):
        raise Forbidden(_("You may not edit this incident."))
    known = known_facts.known(incident, utcnow())
    web = webform.web_form(form, forms.values(form, known, row), row.version)
    try:
        done = handle(web, lambda: facts_service.save(
            current_user, incident, forms.changes(form, webform.submitted(form, web), known), web.version.data,
            single_line=forms.one_line_keys(form)), _("Please correct the marked fields."))
    except Conflict as err:
        db.session.rollback()
        flash(err.message, "danger")
        return _page(form, incident, web, facts_service.facts_for(incident), known, 409)
    if done.ok:
        flash(_("The answers were saved."), "success")
        return redirect(url_for("national.form_page", incident_id=incident.id, slug=slug))
    return _page(form, incident, web, row, known, done.status)


@bp.get(f"/incidents/<int:incident_id>/reports/<{FORM_SLUGS}:slug>.<any(docx, pdf):fmt>")
def download(incident_id, slug, fmt):
    incident = policy.get_incident(current_user, incident_id)
    lang = request.args.get("lang", "vi")
    if lang not in document.LANGUAGES:
        raise invalid({"lang": _("Choose one of: %(langs)s.", langs=", ".join(document.LANGUAGES))})
    form = forms.FORMS[slug]
    body, mimetype, filename = export.file_bytes(form, incident, fmt, lang)
    record(current_user, "incident.national_report", incident, after={"form": form.number, "format": fmt,
                                                                      "lang": lang})
    db.session.commit()  # the audit entry of the download, alone in its transaction
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "X-Content-Type-Options": "nosniff"})
