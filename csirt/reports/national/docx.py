"""A filled national form (`document.Filled`) as a .docx, with python-docx: the national heading
(agency on the left, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM / Độc lập - Tự do - Hạnh phúc" on the
right), the form number and title, the e-mail subject, then one two-column table per section.
Text is set in Times New Roman (the font of Vietnamese administrative documents, with every
Vietnamese glyph) for the Latin, east-asian and complex-script runs alike."""
import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from ..render import set_font
from ..textsafe import clean


def new_document():
    """An empty A4 document with 2 cm margins (3 cm on the left, for binding) in Times New Roman."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = section.right_margin = Cm(2)
    section.left_margin = Cm(3)
    for name in ("Normal", "Title", "Heading 1", "Heading 2"):
        set_font(document.styles[name])
    set_font(document.styles["Normal"], 12)
    return document


def paragraph(document_or_cell, text, bold=False, italic=False, size=None, align=None):
    """A paragraph of `text` (lines kept) in a document or a table cell."""
    p = document_or_cell.add_paragraph()
    lines = clean(text).split("\n")
    for i, line in enumerate(lines):
        run = p.add_run(line)
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = Pt(size)
        if i < len(lines) - 1:
            run.add_break()
    if align == "center":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif align == "right":
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return p


def title(document, text, size=14):
    return paragraph(document, text, bold=True, size=size, align="center")


def field_table(document, rows):
    """A two-column table of (label, value) rows, labels in bold."""
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, value in rows:
        left, right = table.add_row().cells
        left.width, right.width = Cm(6), Cm(10)
        left.text = right.text = ""
        left.paragraphs[0].add_run(clean(label)).bold = True
        _cell_text(right, value)
    return table


def _cell_text(cell, value):
    lines = clean(value).split("\n")
    p = cell.paragraphs[0]
    for i, line in enumerate(lines):
        if i:
            p = cell.add_paragraph()
        p.add_run(line)


def _heading(document, filled):
    """The national heading: a borderless two-column table."""
    table = document.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    left.width, right.width = Cm(7), Cm(9)
    left.text = right.text = ""
    left.paragraphs[0].add_run(clean(filled.agency).upper()).bold = True
    left.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    right.paragraphs[0].add_run(clean(filled.country)).bold = True
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    motto = right.add_paragraph()
    motto.add_run(clean(filled.motto)).bold = True
    motto.alignment = WD_ALIGN_PARAGRAPH.CENTER


def form_document(filled):
    """The .docx (bytes) of a filled national form."""
    document = new_document()
    _heading(document, filled)
    paragraph(document, filled.number, bold=True, align="right")
    if filled.subject:
        paragraph(document, filled.subject, bold=True)
    paragraph(document, filled.reference, italic=True)
    if filled.own_layout:
        paragraph(document, filled.own_layout, italic=True)
    title(document, filled.title)
    for heading, rows in filled.sections:
        paragraph(document, heading, bold=True)
        field_table(document, rows)
    paragraph(document, filled.place_date, italic=True, align="right")
    paragraph(document, filled.signature, bold=True, align="right")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
