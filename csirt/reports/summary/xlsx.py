"""Workbooks for download: the only module of the summary reports that imports openpyxl (as
`render.py` is for .docx). A sheet is (name, header, rows); cells are written as values, never as
formulas (text starting with "=" stays text), without the control characters XML cannot hold
(`textsafe.clean`). Written in openpyxl's write-only mode, row by row, so `rows` may be a generator
of any length: the memory used does not grow with it."""
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..textsafe import clean

MAX_WIDTH = 60
MIN_WIDTH = 12  # a column's width when the rows are streamed (not measured)


def _title(name):
    """A sheet title Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("-" if ch in "[]:*?/\\" else ch for ch in str(name)).strip() or "Sheet"
    return cleaned[:31]


def _value(sheet, value):
    """A cell value to append: text cleaned, and text that looks like a formula kept as text."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = clean(value)
        if value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = TYPE_STRING  # never read as a formula
            return cell
    return value


def _widths(header, rows):
    """Column widths: measured when `rows` is a list, else from the header alone."""
    widths = [max(len(str(h)), MIN_WIDTH if not isinstance(rows, list) else 0) for h in header]
    if isinstance(rows, list):
        for values in rows:
            for column, value in enumerate(values[:len(widths)]):
                widths[column] = max(widths[column], min(len(str("" if value is None else value)), MAX_WIDTH))
    return [min(w + 2, MAX_WIDTH) for w in widths]


def workbook(sheets):
    """An .xlsx file (bytes) with one worksheet per (name, header, rows); `rows` is a list or any
    iterable of row lists (read once)."""
    book = Workbook(write_only=True)
    for name, header, rows in sheets:
        sheet = book.create_sheet(_title(name))
        for column, width in enumerate(_widths(header, rows), start=1):
            sheet.column_dimensions[get_column_letter(column)].width = width
        sheet.freeze_panes = "A2"
        heading = []
        for value in header:
            cell = WriteOnlyCell(sheet, value=clean(str(value)))
            cell.font = Font(bold=True)
            heading.append(cell)
        sheet.append(heading)
        for values in rows:
            sheet.append([_value(sheet, v) for v in values])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
