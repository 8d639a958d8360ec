"""The one lookup of the rules table: the row for (key, date, level) of the regime in force that
day, and the deadline it sets.

`pick` (which row wins) and `periods.add_period` (the arithmetic) are pure; `find`, `lookup`
and `due` read the table at each call (nothing is cached across requests, so an admin's edit
counts at once). A page that needs many deadlines loads a `RuleSet` once and asks it.

Dates: a `date` is a day of the province's calendar; a `datetime` is naive UTC (the app's
convention) and counts on the province's local day, so an incident discovered at 01:00 on
19/8/2026 in Hanoi (18:00 UTC on the 18th) falls under the 2026 regime.
"""
import time
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import format_date

from ..catalogue import gettext as _
from ..clock import utc_to_local
from ..errors import DomainError
from ..extensions import db
from .keys import label
from .models import Rule
from .periods import add_period


class RuleMissing(DomainError):
    """No row of the rules table is in force for (key, day, level): a gap in the data that an
    administrator fills on the rules pages; not a fault of the request."""

    status = 500

    def __init__(self, key, day, level=None):
        self.key, self.day, self.level = key, day, level
        names = {"rule": label(key), "key": key, "date": format_date(day, "dd/MM/yyyy"), "level": level}
        if level is None:
            message = _("No rule “%(rule)s” (%(key)s) is in force on %(date)s. An administrator can add it "
                        "on the Rules page.", **names)
        else:
            message = _("No rule “%(rule)s” (%(key)s) for level %(level)s is in force on %(date)s. An "
                        "administrator can add it on the Rules page.", **names)
        super().__init__(message, field="key")


def local_day(on):
    """The province's calendar day of `on` (a date as is; a naive UTC datetime converted)."""
    if isinstance(on, datetime):
        return utc_to_local(on).date()
    if isinstance(on, date):
        return on
    raise TypeError(f"a date or datetime is needed, not {type(on).__name__}")


# --- pure -----------------------------------------------------------------------------------

def in_force(rule, day):
    """Whether `rule` applies on `day`: effective_from <= day < effective_to (open when None)."""
    return rule.effective_from <= day and (rule.effective_to is None or day < rule.effective_to)


def pick(rules, key, day, level=None):
    """Among `rules`, the row for `key` in force on `day`: one for `level` if there is one, else
    one for every level (level None); None when neither. Should rows overlap (the services refuse
    it), the one that started last wins."""
    specific = generic = None
    for rule in sorted(rules, key=lambda r: r.effective_from):
        if rule.key != key or not in_force(rule, day):
            continue
        if rule.level is None:
            generic = rule
        elif level is not None and rule.level == level:
            specific = rule
    return specific or generic


class RuleSet:
    """Rows read once, asked many times (one request's worth of deadlines)."""

    def __init__(self, rules):
        self.rules = list(rules)

    def find(self, key, on, level=None):
        return pick(self.rules, key, local_day(on), level)

    def lookup(self, key, on, level=None):
        rule = self.find(key, on, level)
        if rule is None:
            raise RuleMissing(key, local_day(on), level)
        return rule

    def due(self, key, start, level=None, on=None):
        """The deadline `start` + the rule's period, under the regime in force on `on` (default:
        `start`; e.g. a closing report runs from the end of the response under the regime of the
        incident's discovery)."""
        rule = self.lookup(key, start if on is None else on, level)
        return add_period(start, rule.value, rule.unit)


# --- reading the table ----------------------------------------------------------------------

def load(keys=None):
    """A RuleSet of every row (or of `keys` only): the table is small (tens of rows)."""
    query = db.select(Rule)
    if keys is not None:
        query = query.where(Rule.key.in_(list(keys)))
    return RuleSet(db.session.execute(query).scalars().all())


@dataclass(frozen=True)
class RuleValues:
    """A rule's values, kept apart from the session (what `cached` holds between requests)."""
    id: int
    regime: str
    key: str
    level: object
    value: str
    unit: str
    effective_from: date
    effective_to: object
    applies_to: str


_cache = {}  # frozenset(keys) -> (monotonic time read, RuleSet of RuleValues)
CACHE_SECONDS = 30


def cached(keys):
    """A RuleSet of the rows of `keys` read at most CACHE_SECONDS ago by this process: for the hot
    path of opening an incident (its clocks), where one more SELECT per request counts. An edit
    through the rules pages clears it at once in the process that made it (`forget`); another
    process sees the edit within CACHE_SECONDS, and `clocks.sync` on the incident's next change
    applies it."""
    wanted = frozenset(keys)
    hit = _cache.get(wanted)
    now = time.monotonic()
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    rows = db.session.execute(db.select(Rule).where(Rule.key.in_(sorted(wanted)))).scalars().all()
    ruleset = RuleSet(RuleValues(r.id, r.regime, r.key, r.level, r.value, r.unit, r.effective_from,
                                 r.effective_to, r.applies_to) for r in rows)
    _cache[wanted] = (now, ruleset)
    return ruleset


def forget():
    """Drop what `cached` holds (after an edit of the rules, and between tests)."""
    _cache.clear()


def _rows_for(key, day):
    query = db.select(Rule).where(Rule.key == key, Rule.effective_from <= day,
                                  db.or_(Rule.effective_to.is_(None), Rule.effective_to > day))
    return db.session.execute(query).scalars().all()


def find(key, on, level=None):
    """The row for `key` in force on `on`, preferring one for `level`; None when there is none."""
    day = local_day(on)
    return pick(_rows_for(key, day), key, day, level)


def lookup(key, on, level=None):
    """The row for `key` in force on `on`, preferring one for `level`; RuleMissing when none."""
    day = local_day(on)
    rule = pick(_rows_for(key, day), key, day, level)
    if rule is None:
        raise RuleMissing(key, day, level)
    return rule


def due(key, start, level=None, on=None):
    """The deadline `start` + the period of the rule in force on `on` (default `start`):
    hours and days as timedelta, months as calendar months (end of month clamped), a day of the
    year as the next MM-DD on or after `start` (a date)."""
    rule = lookup(key, start if on is None else on, level)
    return add_period(start, rule.value, rule.unit)
