"""CSV for spreadsheets, the one way the app writes it: UTF-8 with a BOM (so spreadsheet programs
read the Vietnamese), every cell safe from formula injection, produced in chunks so a long export
can stream. (The inventory's CSV, which is read back by its import, escapes its own way:
`systems/csvio.py`.)"""
import csv
import io

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 32768


def safe_cell(value):
    """Neutralise spreadsheet formulas (CSV injection) by prefixing a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def chunks(header, rows, size=CHUNK):
    """The CSV of `header` and `rows` (any iterable of lists; [] writes an empty line) as text
    chunks of about `size` characters, the first starting with the BOM."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(c) for c in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
        if buffer.tell() > size:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def text(header, rows):
    """The whole CSV as one string (small exports)."""
    return "".join(chunks(header, rows))
