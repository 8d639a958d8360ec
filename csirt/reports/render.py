"""Documents for download. The document libraries are imported here and, for the layouts this
plain one cannot give, beside it: `national/docx.py` (the national forms, on this module's fonts),
`national/pdf.py` (WeasyPrint) and `summary/xlsx.py` (openpyxl). The rest of the app builds plain
data (titles, sections, blocks) and asks for bytes.

`docx_document(title, sections)`: sections is a list of (heading, blocks); a block is
- a string: a paragraph;
- a list of (label, value) pairs: a two-column table;
- a `Table(header, rows)`: a table with a header row.
Text is set in Times New Roman (it has the Vietnamese glyphs), for the Latin, east-asian and
complex-script runs alike, so Word does not substitute a font without them.
"""
import io
from typing import NamedTuple

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from .textsafe import clean

FONT = "Times New Roman"


class Table(NamedTuple):
    header: list
    rows: list


def set_font(style, size=None):
    """Set `style` in FONT for the Latin, east-asian and complex-script runs alike (and `size`)."""
    style.font.name = FONT
    if size:
        style.font.size = Pt(size)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)


def _text(value):
    return clean(value)


def _table(document, header, rows, bold_first_column=False):
    columns = len(header) if header else max((len(r) for r in rows), default=1)
    table = document.add_table(rows=0, cols=columns)
    table.style = "Table Grid"
    if header:
        cells = table.add_row().cells
        for cell, value in zip(cells, header, strict=False):
            cell.text = ""
            cell.paragraphs[0].add_run(_text(value)).bold = True
    for row in rows:
        cells = table.add_row().cells
        for i, (cell, value) in enumerate(zip(cells, row, strict=False)):
            cell.text = ""
            cell.paragraphs[0].add_run(_text(value)).bold = bold_first_column and i == 0
    document.add_paragraph()


def docx_document(title, sections):
    """A .docx file (bytes) with `title` and its `sections` (see the module's docstring)."""
    document = Document()
    for name in ("Normal", "Title", "Heading 1", "Heading 2"):
        set_font(document.styles[name])
    set_font(document.styles["Normal"], 12)
    document.add_heading(_text(title), level=0)
    for heading, blocks in sections:
        document.add_heading(_text(heading), level=1)
        for block in blocks:
            if isinstance(block, Table):
                _table(document, block.header, block.rows)
            elif isinstance(block, list):
                _table(document, None, block, bold_first_column=True)
            else:
                document.add_paragraph(_text(block))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
