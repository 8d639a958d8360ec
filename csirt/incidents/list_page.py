"""The incident list's table and what it shows beside it.

- `table_rows` reshapes the list's SELECT to the values the table shows (plain rows, no ORM
  objects: six a row with the agency and people), and `table` formats every cell once, here
  (a badge, a label translated once per page, a date), so the template only writes them: Jinja
  macros and lookups per cell cost a 25-row page more than its SQL.
- The red marks of each row (overdue tasks, reports past their deadline) are counted in the
  same SELECT, and `filter_choices` reads both lists of the filters in one statement: every
  statement is a round trip and its own compile and result handling, about 0.3–0.5 ms.
"""
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import bindparam, func, literal_column, union_all
from sqlalchemy.orm import aliased

from ..clock import utcnow
from ..extensions import db
from ..team.models import Agency, User
from ..templating import url_pattern, when
from . import display, listing, policy, vocab
from .models import Incident, IncidentClock, Task

_AGENCY, _WORKER = 0, 1


def filter_choices(user):
    """(agencies `user` may filter by, people work can be assigned to): rows of (id, name) and
    pairs of (id as text, name), each sorted by name."""
    agencies = db.select(literal_column(str(_AGENCY)).label("kind"), Agency.id, Agency.name.label("name"))
    workers = (db.select(literal_column(str(_WORKER)), User.id, User.full_name)
               .where(User.active, User.role.in_(policy.WORKERS)))
    rows = db.session.execute(union_all(agencies, workers)
                              .order_by(literal_column("kind"), literal_column("name"))).all()
    return (policy.filterable_agencies(user, [row for row in rows if row.kind == _AGENCY]),
            [(str(row.id), row.name) for row in rows if row.kind == _WORKER])


_ASSIGNEE = aliased(User, name="assignee")
_MARKED_TLP = ("RED", "AMBER+STRICT")  # shown beside the title


def page(user, lq, now=None):
    """One page of the list (`listing.page`) in the rows of `table_rows`."""
    return listing.page(user, lq, rows=table_rows, bound={"marks_at": now or utcnow()})


def table_rows(query):
    """The list's SELECT (`listing.page`'s `rows`) as a SELECT of what the table shows, with
    each row's overdue open tasks and running report clocks past their due time at `marks_at`
    (counted for the rows of the page only)."""
    now = bindparam("marks_at", type_=db.DateTime)
    overdue_tasks = (db.select(func.count(Task.id))
                     .where(Task.incident_id == Incident.id, Task.done_at.is_(None), Task.due_at < now)
                     .correlate(Incident).scalar_subquery())
    late_reports = (db.select(func.count(IncidentClock.id))
                    .where(IncidentClock.incident_id == Incident.id, IncidentClock.stopped_at.is_(None),
                           IncidentClock.due_at <= now)
                    .correlate(Incident).scalar_subquery())
    return (query.with_only_columns(
                Incident.id, Incident.reference, Incident.title, Incident.tlp, Incident.status, Incident.severity,
                Incident.priority, Incident.category, Incident.created_at, Incident.updated_at,
                Incident.discovered_at, Agency.name.label("agency_name"), _ASSIGNEE.full_name.label("assignee_name"),
                overdue_tasks.label("overdue_tasks"), late_reports.label("late_reports"))
            .join_from(Incident, Agency, Incident.agency_id == Agency.id)
            .outerjoin_from(Incident, _ASSIGNEE, Incident.assignee_id == _ASSIGNEE.id))


@dataclass(slots=True)
class Row:
    id: int
    url: str
    reference: str
    title: str
    tlp: Markup | None
    status: Markup
    severity: Markup
    priority: str
    category: str
    agency: str
    assignee: str
    date: str
    overdue_tasks: int
    late_reports: int


def table(rows, date_column):
    """The cells of each row of `table_rows`; `date_column` is the date shown (the sort's)."""
    badges = display.Badges()
    view_url = url_pattern("incidents.view", "incident_id")
    return [Row(id=r.id, url=view_url(r.id), reference=r.reference, title=r.title,
                tlp=badges.tlp(r.tlp) if r.tlp in _MARKED_TLP else None, status=badges.status(r.status),
                severity=badges.severity(r.severity), priority=r.priority,
                category=badges.label(vocab.CATEGORIES, r.category), agency=r.agency_name,
                assignee=r.assignee_name or "—", date=when(getattr(r, date_column)),
                overdue_tasks=r.overdue_tasks, late_reports=r.late_reports)
            for r in rows]
