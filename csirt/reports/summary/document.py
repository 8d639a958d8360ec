"""Form 05 as a document: its title, its sections (for `render.docx_document`) and the same
content for the printable HTML the PDF is made from. Pure: the figures and the texts come in."""
from flask_babel import format_date

from ...catalogue import gettext as _
from ..render import Table
from ..textsafe import newlines
from .figures import COLUMNS
from .labels import handled_label

TEXT_FIELDS = ("damage", "support", "recommendations")  # the free answers typed on the page
CUT = "…"  # marks a prefill cut to the form's limit


def damage_prefill(notes, limit):
    """The damage box's starting text from [(reference, text)]: one line per note, cut to `limit`
    characters (the form's own limit, so the page downloads as it comes) and then ending in "…"."""
    text = newlines("\n".join(f"{ref}: {note}" for ref, note in notes))
    if len(text) <= limit:
        return text
    return text[:limit - len(CUT)].rstrip() + CUT


def title():
    return _("Summary report on incident response (Form 05)")


def header():
    return [_("No."), _("Category"), _("Incidents"), *(handled_label(c) for c in COLUMNS)]


def table_rows(form):
    rows = [[i, r.label, r.total, *(r.handled[c] for c in COLUMNS)] for i, r in enumerate(form.rows, start=1)]
    rows.append(["", _("Total"), form.totals.total, *(form.totals.handled[c] for c in COLUMNS)])
    return rows


def text_labels():
    return {"damage": _("Estimated damage"), "support": _("Supporting organisations"),
            "recommendations": _("Recommendations")}


def period_line(period):
    return _("Period: from %(first)s to %(last)s", first=format_date(period.first, "dd/MM/yyyy"),
             last=format_date(period.last, "dd/MM/yyyy"))


def scope_line(agency_name):
    return _("Agency: %(name)s", name=agency_name) if agency_name else _("Agencies: all in scope")


def rule_lines():
    return [_("Incidents are counted by their discovery time in the province's local time; rejected "
              "incidents are not counted."),
            _("\"Not stated yet\": incidents whose way of handling has not been recorded.")]


def sections(form, agency_name, texts, made_by, made_on):
    """[(heading, blocks)] for `render.docx_document`."""
    labels = text_labels()
    first = [period_line(form.period), scope_line(agency_name),
             _("Prepared by %(name)s on %(day)s", name=made_by, day=format_date(made_on, "dd/MM/yyyy"))]
    out = [(_("General information"), first),
           (_("Incidents by category and by how they were handled"),
            [Table(header(), table_rows(form)), *rule_lines()])]
    for key in TEXT_FIELDS:
        text = (texts.get(key) or "").strip()
        out.append((labels[key], text.splitlines() or ["—"]))
    return out
