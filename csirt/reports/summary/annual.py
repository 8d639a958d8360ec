"""The annual report on information systems by level (DOMAIN.md §6, 2026 Form 08, unconfirmed):
the systems by level and agency, their four layers' state, the independent assessments done in the
data period and those due, and the period's incidents. Statuses and due dates come from the
compliance figures (`reports/compliance/figures.compute`, whose statuses follow
`systems/compliance.py`): nothing is recomputed here.

The data period runs from 15/12 of the year before to 14/12 of the year (the rules table's notes on
`annual_report.internal`; the rule's value is the due date, 20/12). The page lets any period be
chosen.
"""
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from sqlalchemy import func

from ...catalogue import gettext as _
from ...extensions import db
from ...incidents.models import Incident, incident_system
from ...systems import policy as systems_policy
from ...systems.models import LAYERS, LEVELS, Assessment, InformationSystem
from ..compliance import labels as compliance_labels
from ..compliance.figures import Filters
from ..compliance.figures import compute as compliance
from ..render import Table
from . import figures as form05
from .figures import Period, scoped_incidents

FIRST_DAY, LAST_DAY = (12, 15), (12, 14)  # the data period: 15/12 of the year before to 14/12


def data_period(year):
    return Period(date(year - 1, *FIRST_DAY), date(year, *LAST_DAY))


@dataclass
class LevelLine:
    level: int
    systems: int = 0
    all_valid: int = 0
    overdue: int = 0
    assessed: int = 0
    incidents: int = 0


@dataclass
class Annual:
    period: Period
    board: object  # the compliance Dashboard as of the period's last day
    levels: list  # LevelLine per level
    agencies: list  # (agency name, {level: systems})
    assessed: dict  # {system id: assessments done in the period}
    incidents: dict  # {system id: incidents of the period linked to it}
    form: object  # Form 05 figures of the period


def _assessments(user, period):
    query = (db.select(Assessment.system_id, func.count())
             .join(InformationSystem, InformationSystem.id == Assessment.system_id)
             .where(Assessment.performed_on >= period.first, Assessment.performed_on <= period.last)
             .group_by(Assessment.system_id))
    return dict(db.session.execute(systems_policy.visible_systems(user, query)).all())


def _links(user, period):
    """[(system id, incident id)]: the period's incidents and the systems they are linked to, both
    policies applied (the incident and the system must each be visible)."""
    query = (db.select(incident_system.c.system_id, incident_system.c.incident_id)
             .select_from(Incident).join(incident_system, incident_system.c.incident_id == Incident.id)
             .join(InformationSystem, InformationSystem.id == incident_system.c.system_id))
    query = systems_policy.visible_systems(user, scoped_incidents(user, query, period))
    return db.session.execute(query).all()


def compute(user, period):
    board = compliance(user, Filters(), day=period.last)
    assessed, links = _assessments(user, period), _links(user, period)
    incidents = {}
    for system_id, _incident_id in links:
        incidents[system_id] = incidents.get(system_id, 0) + 1
    level_of = {s.id: s.level for s in board.systems}
    by_level = {n: set() for n in LEVELS}  # an incident linked to two systems of a level counts once
    for system_id, incident_id in links:
        if system_id in level_of:
            by_level[level_of[system_id]].add(incident_id)
    levels = {n: LevelLine(n, incidents=len(by_level[n])) for n in LEVELS}
    agencies = {}
    for s in board.systems:
        line = levels[s.level]
        line.systems += 1
        line.all_valid += s.all_valid
        line.overdue += bool(s.assessment_overdue)
        line.assessed += bool(assessed.get(s.id))
        agencies.setdefault(s.agency_name, dict.fromkeys(LEVELS, 0))[s.level] += 1
    return Annual(period, board, list(levels.values()), sorted(agencies.items()), assessed, incidents,
                  form05.compute(user, period))


# --- the document: the same tables for .docx and .xlsx ---------------------------------------------

def title(period):
    return _("Annual report on information systems by level (%(first)s – %(last)s)",
             first=format_date(period.first, "dd/MM/yyyy"), last=format_date(period.last, "dd/MM/yyyy"))


def _day(value):
    return value.strftime("%d/%m/%Y") if value else ""


def level_table(report):
    header = [_("Security level"), _("Systems"), _("All four layers valid"), _("Assessed in the period"),
              _("Assessment overdue"), _("Incidents in the period")]
    rows = [[_("Level %(number)s", number=x.level), x.systems, x.all_valid, x.assessed, x.overdue, x.incidents]
            for x in report.levels]
    return header, rows


def agency_table(report):
    header = [_("Agency"), *(_("Level %(number)s", number=n) for n in LEVELS), _("Total")]
    rows = [[name, *(counts[n] for n in LEVELS), sum(counts.values())] for name, counts in report.agencies]
    return header, rows


def systems_table(report):
    header = [_("Agency"), _("Code"), _("Information system"), _("Security level"),
              *(_("Layer %(number)s: %(name)s", number=n, name=compliance_labels.layer_label(n)) for n in LAYERS),
              _("Last assessment"), _("Assessments in the period"), _("Next assessment due"),
              _("Assessment overdue"), _("Incidents in the period")]
    rows = [[s.agency_name, s.code, s.name, s.level, *(compliance_labels.status_label(v) for v in s.statuses),
             _day(s.last_assessed), report.assessed.get(s.id, 0), _day(s.assessment_due),
             _("Yes") if s.assessment_overdue else _("No"), report.incidents.get(s.id, 0)]
            for s in report.board.systems]
    return header, rows


def incidents_table(report):
    header = [_("Category"), _("Incidents")]
    rows = [[r.label, r.total] for r in report.form.rows] + [[_("Total"), report.form.totals.total]]
    return header, rows


def tables(report):
    """[(name, header, rows)]: the sheets of the workbook, the tables of the document."""
    return [(_("By level"), *level_table(report)), (_("By agency"), *agency_table(report)),
            (_("Systems"), *systems_table(report)), (_("Incidents"), *incidents_table(report))]


def sections(report, made_by, made_on):
    notes = [_("Data period: from %(first)s to %(last)s.", first=_day(report.period.first),
               last=_day(report.period.last)),
             _("Layer statuses and assessment due dates as of %(day)s, as on the compliance page.",
               day=_day(report.board.day)),
             _("Incidents are counted by their discovery time in the province's local time; rejected "
               "incidents are not counted."),
             _("Prepared by %(name)s on %(day)s", name=made_by, day=_day(made_on))]
    out = [(_("General information"), notes)]
    for name, header, rows in tables(report):
        out.append((name, [Table(header, rows)]))
    return out
