"""Form 05's figures (DOMAIN.md §5–6): for a period, per national category, how many incidents and how
each was handled (in-house, with domestic help, with foreign help, with the national coordinator's
help, or not stated yet). Counted by one GROUP BY statement scoped by the incidents policy.

Counting rules (stated on the page):
- an incident belongs to the period by its discovery time in the province's local time
  (`CSIRT_TIMEZONE`, Asia/Ho_Chi_Minh): from the first day's midnight to the midnight after the last
  day, both days included;
- rejected incidents (duplicates, false positives) are not counted;
- `IncidentFacts.handled_with` is read as recorded; an incident without an answer counts under
  "not stated", never guessed.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func

from ...catalogue import gettext as _
from ...clock import local_to_utc
from ...extensions import db
from ...ids import as_id
from ...incidents import policy
from ...incidents.duty_models import HANDLED_WITH, IncidentFacts
from ...incidents.models import Incident
from ...incidents.vocab import CATEGORIES
from ...systems.dates import parse_day

NOT_STATED = "not_stated"
COLUMNS = (*HANDLED_WITH, NOT_STATED)
NOT_COUNTED = ("rejected",)  # statuses left out of every count
MAX_DAYS = 3 * 366  # a longer period is refused (a typo such as 2062 for 2026)


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    def bounds(self):
        """[start, end) in naive UTC: local midnight of the first day to local midnight after the last."""
        return (local_to_utc(datetime.combine(self.first, time())),
                local_to_utc(datetime.combine(self.last + timedelta(days=1), time())))


def _day(text, name, errors):
    """A required YYYY-MM-DD day (exactly that form, as the API documents it) through the house
    date check (`systems.dates.parse_day`: the same messages and bounds)."""
    text = (text or "").strip()
    if text and len(text) != 10:
        errors[name] = _("Not a valid date (YYYY-MM-DD).")
        return None
    return parse_day(errors, name, text, required=True)


def read_period(args, first="from", last="to"):
    """(Period or None, {argument: message}) from the query string's `from` and `to` (YYYY-MM-DD)."""
    errors = {}
    start, end = _day(args.get(first), first, errors), _day(args.get(last), last, errors)
    if start and end:
        if start > end:
            errors[last] = _("The end of the period comes before its start.")
        elif (end - start).days > MAX_DAYS:
            errors[last] = _("A period covers at most three years.")
    return (Period(start, end) if not errors else None), errors


def read_agency(args, errors, name="agency"):
    """The agency id of the query string (None: all that the user sees); a bad one goes on `errors`."""
    text = (args.get(name) or "").strip()
    if not text:
        return None
    agency_id = as_id(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None
    if agency_id is None:
        errors[name] = _("Choose an agency from the list.")
    return agency_id


def half_years(year):
    """The presets: the first and second calendar half of `year`, and the whole year. The rules
    table holds Form 05's due dates (before 20 June, before 15 December), not its data period:
    the page says which dates it counts."""
    return {"h1": Period(date(year, 1, 1), date(year, 6, 30)),
            "h2": Period(date(year, 7, 1), date(year, 12, 31)),
            "year": Period(date(year, 1, 1), date(year, 12, 31))}


@dataclass
class CategoryRow:
    category: str
    total: int = 0
    handled: dict = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))

    @property
    def label(self):
        return str(CATEGORIES[self.category])


@dataclass
class Form05:
    period: Period
    agency_id: int | None
    rows: list  # CategoryRow, one per national category, in the form's order
    totals: CategoryRow

    def as_dict(self):
        def row(r):
            return {"category": r.category, "label": r.label, "total": r.total, "handled": dict(r.handled)}
        return {"period": {"from": self.period.first.isoformat(), "to": self.period.last.isoformat()},
                "agency": self.agency_id, "excluded_statuses": list(NOT_COUNTED),
                "categories": [row(r) for r in self.rows],
                "totals": {"total": self.totals.total, "handled": dict(self.totals.handled)}}


def scoped_incidents(user, query, period, agency_id=None, category=None):
    """`query` over incidents narrowed to the period (discovery, local days), the agency and the
    category asked, counted statuses only, and what `user` may see (the incidents policy)."""
    start, end = period.bounds()
    query = query.where(Incident.discovered_at >= start, Incident.discovered_at < end,
                        Incident.status.not_in(NOT_COUNTED))
    if agency_id is not None:
        query = query.where(Incident.agency_id == agency_id)
    if category is not None:
        query = query.where(Incident.category == category)
    return policy.visible_incidents(user, query)


def statement(user, period, agency_id=None):
    """The one statement: (category, handled_with, count) over the visible incidents of the period."""
    query = (db.select(Incident.category, IncidentFacts.handled_with, func.count().label("n"))
             .select_from(Incident)
             .outerjoin(IncidentFacts, IncidentFacts.incident_id == Incident.id))
    return (scoped_incidents(user, query, period, agency_id)
            .group_by(Incident.category, IncidentFacts.handled_with))


def tally(result, period, agency_id=None):
    """Form05 from the rows of `statement` (pure)."""
    rows = {c: CategoryRow(c) for c in CATEGORIES}
    totals = CategoryRow("")
    for category, handled_with, n in result:
        # the category column is a closed vocabulary; a key from an older vocabulary is "other"
        row = rows.get(category) or rows["other"]
        column = handled_with if handled_with in HANDLED_WITH else NOT_STATED
        for target in (row, totals):
            target.total += n
            target.handled[column] += n
    return Form05(period, agency_id, list(rows.values()), totals)


def compute(user, period, agency_id=None):
    """Form 05's figures for `user` (scoped), the period and, optionally, one agency."""
    return tally(db.session.execute(statement(user, period, agency_id)).all(), period, agency_id)


def damage_notes(user, period, agency_id=None, limit=200):
    """The damage estimates recorded on the period's visible incidents, [(reference, text)], to
    start the form's "estimated damage" text from."""
    query = (db.select(Incident.reference, IncidentFacts.damage_estimate)
             .join(IncidentFacts, IncidentFacts.incident_id == Incident.id)
             .where(IncidentFacts.damage_estimate != ""))
    query = scoped_incidents(user, query, period, agency_id).order_by(Incident.discovered_at, Incident.id)
    return [(ref, text) for ref, text in db.session.execute(query.limit(limit))]
