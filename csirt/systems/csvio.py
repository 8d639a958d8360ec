"""The CSV form of the inventory: its columns, its cells, reading an uploaded file and writing
the export. Pure of the database except `export_*`, which read through the policy filters.

One file per record type, a header row of stable column names (`SYSTEM_COLUMNS`,
`SERVER_COLUMNS`), UTF-8 with a BOM so that Excel shows Vietnamese correctly. Lists are joined
with "; ", dates are ISO, an agency is named by its code, a linked server by its host name and a
linked system by its code, a baseline by its canonical text. A cell that a spreadsheet would run
as a formula gets a leading apostrophe on export, which the import removes again (`escape_cell`
and `unescape_cell` are exact inverses, so export then import gives the same text).
"""
import codecs
import csv
import io
from dataclasses import dataclass

from ..catalogue import gettext as _
from ..extensions import db
from ..team.models import Agency
from . import policy
from .models import InformationSystem, Server, system_server

SYSTEM_COLUMNS = ("code", "name", "level", "owner_agency", "operator", "purpose", "description",
                  "information_kind", "served", "classification_notes", "level_decision", "level_decision_date",
                  "level_approver", "domains", "public_addresses", "hosting", "servers", "archived_at")
SERVER_COLUMNS = ("hostname", "agency", "addresses", "kind", "host", "operating_system", "role", "data_centre",
                  "rack", "baseline_ports", "antivirus_expected", "agent_expected", "systems", "archived_at")
# The columns a file must have: the record's key and what a new record cannot do without. The
# others may be left out: a new record then takes its default, an existing one keeps its value.
SYSTEM_REQUIRED = ("code", "name", "level", "owner_agency")
SERVER_REQUIRED = ("hostname", "agency", "addresses", "kind")
KINDS = {"systems": (SYSTEM_COLUMNS, SYSTEM_REQUIRED), "servers": (SERVER_COLUMNS, SERVER_REQUIRED)}

LIST_SEPARATOR = "; "
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 20000
MAX_CELL = 20000  # characters; above every column's own limit


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an uploaded file: its line as a spreadsheet numbers it (the header
    is line 1), the column (None for the whole line or file) and the translated reason."""
    line: int
    column: str | None
    reason: str

    def __str__(self):
        if self.column:
            return _("line %(line)d: %(field)s: %(reason)s", line=self.line, field=self.column, reason=self.reason)
        return _("line %(line)d: %(reason)s", line=self.line, reason=self.reason)


class CsvError(Exception):
    """The file cannot be read at all (encoding, header, size); `problems` say why."""

    def __init__(self, problems):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = list(problems)


# --- cells ----------------------------------------------------------------------------------

def _formula_like(text):
    """Whether `text`, without its leading apostrophes, starts like a formula."""
    first = text.lstrip("'")[:1]
    return first != "" and first in FORMULA_START


def escape_cell(value):
    """The text of a cell as written: a formula-like text gets a leading apostrophe, and so does
    a text that already starts with apostrophes before a formula character (so that the import,
    which removes exactly one, gives back the original)."""
    text = "" if value is None else str(value)
    if text[:1] in FORMULA_START or (text[:1] == "'" and _formula_like(text)):
        return "'" + text
    return text


def unescape_cell(text):
    """The inverse of `escape_cell`."""
    if text[:1] == "'" and _formula_like(text):
        return text[1:]
    return text


def join_list(items):
    return LIST_SEPARATOR.join(items or ())


def split_list(text):
    """The items of a list cell: separated by ";" (commas too, since no item may hold one), blanks
    dropped."""
    return [item.strip() for item in text.replace(",", ";").split(";") if item.strip()]


def iso_moment(value):
    """A naive UTC datetime as ISO 8601 with a Z (seconds kept, so the import gives it back)."""
    return "" if value is None else value.isoformat() + "Z"


# --- reading --------------------------------------------------------------------------------

def decode(raw):
    """The text of an uploaded file: UTF-8, with or without a BOM. Anything else (UTF-16, a
    Windows code page) is refused with the line where it stops being UTF-8."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise CsvError([Problem(line, None, _(
            'The file is not UTF-8 text. In Excel choose "Save as" and the type "CSV UTF-8 (Comma delimited)".'))]) \
            from None


def _delimiter(text):
    """"," unless the header line is separated by ";" or tabs (Excel uses ";" where the decimal
    mark is a comma, as in Vietnamese settings)."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_rows(raw, kind):
    """(columns, [(line, {column: text})], problems) of an uploaded file of `kind` ("systems" or
    "servers"). Raises CsvError when the file cannot be read or its header is wrong; the problems
    of single rows (too many cells) come back with the rows that could be read."""
    allowed, required = KINDS[kind]
    text = decode(raw)
    if not text.strip():
        raise CsvError([Problem(1, None, _("The file is empty."))])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=False)
    rows, problems = [], []
    try:
        header = next(reader)
        columns = [unescape_cell(c).strip().lower() for c in header]
        _check_header(columns, allowed, required)
        for line, cells in enumerate(reader, start=2):
            if line - 1 > MAX_ROWS:
                raise CsvError([Problem(line, None, _("At most %(n)d rows per file.", n=MAX_ROWS))])
            if not any(c.strip() for c in cells):
                continue  # an empty line, as spreadsheets leave at the end
            if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns):]):
                problems.append(Problem(line, None, _("This line has more cells than the header has columns.")))
                continue
            cells = (cells + [""] * len(columns))[:len(columns)]
            long = [col for col, cell in zip(columns, cells, strict=True) if len(cell) > MAX_CELL]
            if long:
                problems.append(Problem(line, long[0], _("At most %(n)d characters.", n=MAX_CELL)))
                continue
            rows.append((line, {col: unescape_cell(cell) for col, cell in zip(columns, cells, strict=True)}))
    except csv.Error:
        raise CsvError([Problem(reader.line_num or 1, None, _("The file is not valid CSV."))]) from None
    return columns, rows, problems


def _check_header(columns, allowed, required):
    problems = []
    missing = [c for c in required if c not in columns]
    if missing:
        problems.append(Problem(1, None, _("Required columns are missing: %(columns)s.", columns=", ".join(missing))))
    unknown = [c for c in columns if c not in allowed]
    if unknown:
        problems.append(Problem(1, None, _("Unknown columns: %(columns)s. The columns are: %(known)s.",
                                           columns=", ".join(c[:40] or '""' for c in unknown[:10]),
                                           known=", ".join(allowed))))
    repeated = sorted({c for c in columns if columns.count(c) > 1 and c in allowed})
    if repeated:
        problems.append(Problem(1, None, _("Columns given twice: %(columns)s.", columns=", ".join(repeated))))
    if problems:
        raise CsvError(problems)


# --- writing --------------------------------------------------------------------------------

def write(columns, rows):
    """The bytes of a CSV file: a BOM, the header, one line per row, every cell escaped."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([escape_cell(row.get(c)) for c in columns])
    return buffer.getvalue().encode("utf-8")


def _names(pairs_query):
    """{record id: [linked names]} from a SELECT of (id, name) pairs."""
    out = {}
    for ident, name in db.session.execute(pairs_query):
        out.setdefault(ident, []).append(name)
    return {k: sorted(v) for k, v in out.items()}


def system_rows(user):
    """Every information system `user` may see (archived ones too), as CSV rows, by code; the
    servers named are those `user` may see."""
    systems = db.session.execute(policy.visible_systems(user).order_by(InformationSystem.code)).scalars().all()
    links = _names(policy.visible_servers(user, db.select(system_server.c.system_id, Server.hostname)
                                                .join(Server, Server.id == system_server.c.server_id)))
    for s in systems:
        yield {"code": s.code, "name": s.name, "level": str(s.level), "owner_agency": s.owner_agency.code,
               "operator": s.operator, "purpose": s.purpose, "description": s.description,
               "information_kind": s.information_kind, "served": s.served,
               "classification_notes": s.classification_notes, "level_decision": s.level_decision,
               "level_decision_date": s.level_decision_date.isoformat() if s.level_decision_date else "",
               "level_approver": s.level_approver, "domains": join_list(s.domains),
               "public_addresses": join_list(s.public_addresses), "hosting": s.hosting,
               "servers": join_list(links.get(s.id)), "archived_at": iso_moment(s.archived_at)}


def server_rows(user):
    """Every server `user` may see (archived ones too), as CSV rows, by host name; the host and
    the systems named are those `user` may see."""
    servers = db.session.execute(policy.visible_servers(user).order_by(Server.hostname)).scalars().all()
    hostnames = {s.id: s.hostname for s in servers}
    links = _names(policy.visible_systems(user, db.select(system_server.c.server_id, InformationSystem.code)
                                                .join(InformationSystem,
                                                      InformationSystem.id == system_server.c.system_id)))
    for s in servers:
        yield {"hostname": s.hostname, "agency": s.agency.code, "addresses": join_list(s.addresses), "kind": s.kind,
               "host": hostnames.get(s.host_id, ""), "operating_system": s.operating_system, "role": s.role,
               "data_centre": s.data_centre, "rack": s.rack, "baseline_ports": s.baseline_ports,
               "antivirus_expected": s.antivirus_expected, "agent_expected": s.agent_expected,
               "systems": join_list(links.get(s.id)), "archived_at": iso_moment(s.archived_at)}


def export(user, kind):
    """The CSV bytes of every `kind` record `user` may see."""
    if kind == "systems":
        return write(SYSTEM_COLUMNS, system_rows(user))
    return write(SERVER_COLUMNS, server_rows(user))


def agencies_by_code():
    return {a.code.upper(): a for a in db.session.execute(db.select(Agency)).scalars()}
