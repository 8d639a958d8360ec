"""A national form as a downloadable file: .docx (`docx.py`) or PDF (the print template through
`pdf.render`), in Vietnamese (the default) or English."""
from flask import render_template
from flask_babel import force_locale

from ...clock import utcnow
from . import document, docx, pdf

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORMATS = {"docx": DOCX, "pdf": "application/pdf"}


def filled(form, incident, lang, now=None):
    with force_locale(lang):
        return document.build(form, incident, now or utcnow(), lang)


def render_html(filled_form):
    """The print HTML of a filled form (what the PDF is made from)."""
    with force_locale(filled_form.lang):
        return render_template("national/form_pdf.html", doc=filled_form)


def file_bytes(form, incident, fmt, lang):
    """(bytes, mimetype, filename) of `form` filled for `incident` as `fmt` in `lang`."""
    doc = filled(form, incident, lang)
    body = docx.form_document(doc) if fmt == "docx" else pdf.render(render_html(doc))
    filename = f"mau-{form.number}-{incident.reference}-{lang}.{fmt}"
    return body, FORMATS[fmt], filename
