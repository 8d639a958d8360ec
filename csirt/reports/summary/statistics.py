"""The statistics export: the incidents of a period (discovery, local days), optionally one agency
and one category, with their main fields, as CSV (UTF-8 with a BOM, like the incident list's
export) or XLSX. Scoped by the incidents policy; rejected incidents are not counted, as in Form 05."""
from sqlalchemy import func

from ...catalogue import gettext as _
from ...clock import utc_to_local
from ...csvfile import CHUNK, chunks
from ...extensions import db
from ...incidents.duty_models import IncidentFacts
from ...incidents.models import Incident
from ...incidents.vocab import CATEGORIES, SEVERITIES, STATUSES, SUB_TYPES, label
from ...team.models import Agency
from .figures import scoped_incidents
from .labels import handled_label
from .xlsx import workbook

MAX_ROWS = 100_000  # one export; a period with more incidents is refused: asked in parts
BATCH = 1000  # rows read from the database at a time


def read_category(args, errors, name="category"):
    text = (args.get(name) or "").strip()
    if not text:
        return None
    if text not in CATEGORIES:
        errors[name] = _("Not a valid choice.")
        return None
    return text


def header():
    return [_("Reference"), _("Title"), _("Category"), _("Sub-type"), _("Severity"), _("Status"),
            _("Affected agency"), _("Discovered at (local time)"), _("Closed at (local time)"),
            _("How it was handled"), _("Estimated damage")]


def _local(moment):
    return utc_to_local(moment).strftime("%Y-%m-%d %H:%M") if moment is not None else ""


def _filtered(user, query, period, agency_id, category):
    return scoped_incidents(user, query, period, agency_id, category)


def count(user, period, agency_id=None, category=None):
    """How many incidents the export would list."""
    query = db.select(func.count()).select_from(Incident)
    return db.session.execute(_filtered(user, query, period, agency_id, category)).scalar() or 0


def too_many(total):
    """The message refusing an export of `total` rows, or None when it may be made."""
    if total <= MAX_ROWS:
        return None
    return _("The period holds %(total)d incidents; one export holds at most %(max)d. Choose a shorter "
             "period, one agency or one category, and export it in parts.", total=total, max=MAX_ROWS)


def rows(user, period, agency_id=None, category=None):
    """The export's rows, oldest discovery first, read `BATCH` at a time (a generator)."""
    query = (db.select(Incident.reference, Incident.title, Incident.category, Incident.sub_type,
                       Incident.severity, Incident.status, Agency.name, Incident.discovered_at,
                       Incident.closed_at, IncidentFacts.handled_with, IncidentFacts.damage_estimate)
             .select_from(Incident).join(Agency, Agency.id == Incident.agency_id)
             .outerjoin(IncidentFacts, IncidentFacts.incident_id == Incident.id))
    query = _filtered(user, query, period, agency_id, category).order_by(Incident.discovered_at, Incident.id)
    result = db.session.execute(query.limit(MAX_ROWS).execution_options(yield_per=BATCH))
    for r in result:
        yield [r.reference, r.title, label(CATEGORIES, r.category),
               label(SUB_TYPES, r.sub_type) if r.sub_type else "", label(SEVERITIES, r.severity),
               label(STATUSES, r.status), r.name, _local(r.discovered_at), _local(r.closed_at),
               handled_label(r.handled_with or "not_stated"), r.damage_estimate or ""]


def as_csv(values, chunk=CHUNK):
    """The CSV of `values` (an iterable of rows) as a generator of text chunks."""
    yield from chunks(header(), values, chunk)


def as_xlsx(values):
    return workbook([(_("Incidents"), header(), values)])
