"""The report facts of an incident (`IncidentFacts`): read them, and save what a person answered.

The national forms (csirt/reports/national) fill every field csirt knows from the incident and
its systems; what it cannot know is asked once and kept here: four typed columns (beyond the
operator's capacity, affecting national security, how it was handled, estimated damage) and
`answers`, a {field key: text} dict of the other answers and of the known values someone chose to
word differently. Saving writes one timeline entry and one audit entry, then brings the
incident's regulatory clocks in line (two of the flags decide which duties apply).

The two flags' columns hold False until someone answers (the clocks read them so), so which of
them were answered is kept in `answers["_answered"]` (`answered(row)`): an unanswered question is
shown as such, not as "No". Answers hold no control character (the reports made from them are
XML), and none at all, not even a newline, in a one-line answer (`single_line`).
"""
import logging
import re

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from ..audit.services import record
from ..catalogue import gettext as _
from ..clock import utcnow
from ..errors import Conflict, invalid
from ..extensions import db
from ..fields import text
from . import clocks, policy
from .duty_models import HANDLED_WITH, IncidentFacts
from .services import append_timeline, touch

logger = logging.getLogger(__name__)

FLAGS = ("beyond_capacity", "national_security")
COLUMNS = FLAGS + ("handled_with", "damage_estimate")
ANSWER_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
ANSWER_LIMIT = 5000  # characters of one answer
ANSWERS_MAX = 100  # answers kept per incident
ANSWERED = "_answered"  # answers[ANSWERED]: the FLAGS answered (a key no answer can have, see ANSWER_KEY)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters but \t, \n and \r


def facts_for(incident):
    """The incident's facts: its saved row, or a new unsaved one (version 0, nothing answered)
    that is not added to the session."""
    row = db.session.get(IncidentFacts, incident.id)
    if row is not None:
        return row
    return IncidentFacts(incident_id=incident.id, beyond_capacity=False, national_security=False,
                         handled_with=None, damage_estimate="", answers={}, version=0)


def answered(row):
    """The flags (`FLAGS`) someone answered, yes or no. The columns hold False until then as well,
    so the answer is remembered in `answers[ANSWERED]`; a True flag was answered in any case."""
    marked = (row.answers or {}).get(ANSWERED) or []
    return {f for f in FLAGS if f in marked or getattr(row, f)}


def _text(value, field, errors, single_line=False):
    """An answer's text, stripped: at most ANSWER_LIMIT characters, no control character (the
    documents made from it are XML: only tab, line feed and carriage return have a place there,
    and none in a one-line answer; PostgreSQL cannot store NUL)."""
    if not isinstance(value, str):
        errors[field] = _("Not a valid value.")
        return None
    value = text(errors, field, value, ANSWER_LIMIT, single_line=single_line)
    if field not in errors and CONTROL.search(value):
        errors[field] = _("Contains a character that is not allowed.")
    return value


def clean(changes, single_line=()):
    """`changes` checked: {column: value} for the typed columns it names, and "answers":
    {key: text, or None to forget the answer}; the answers named in `single_line` are one-line
    answers. Raises the house ValidationError (`invalid`)."""
    errors, out = {}, {}
    for key in changes:
        if key not in COLUMNS and key != "answers":
            errors[key] = _("Unknown field.")
    for key in FLAGS:
        if key in changes:
            if not isinstance(changes[key], bool):
                errors[key] = _("Not a valid choice.")
            out[key] = changes[key]
    if "handled_with" in changes:
        value = changes["handled_with"] or None
        if value is not None and value not in HANDLED_WITH:
            errors["handled_with"] = _("Not a valid choice.")
        out["handled_with"] = value
    if "damage_estimate" in changes:
        out["damage_estimate"] = _text(changes["damage_estimate"], "damage_estimate", errors)
    answers = changes.get("answers") or {}
    if not isinstance(answers, dict):
        errors["answers"] = _("Not a valid value.")
        answers = {}
    cleaned = {}
    for key, value in answers.items():
        if not isinstance(key, str) or not ANSWER_KEY.fullmatch(key):
            errors[str(key)[:40]] = _("Unknown field.")
            continue
        cleaned[key] = None if value is None else _text(value, key, errors, key in single_line)
    if "answers" in changes:
        out["answers"] = cleaned
    if errors:
        raise invalid(errors)
    return out


def _state(columns, answers, marked):
    """What the timeline and the audit compare: the columns (a flag not answered: None) and the
    answers (the marker left out: it shows as the flag going from None to a value)."""
    state = {c: (None if c in FLAGS and c not in marked else columns[c]) for c in COLUMNS}
    state.update({f"answers.{k}": v for k, v in answers.items() if k != ANSWERED})
    return state


def save(actor, incident, changes, expected_version=None, single_line=()):
    """Save `changes` (see `clean`) to the incident's facts, refusing a stale `expected_version`
    (the version the form was loaded with; 0 when nothing was saved yet). Returns the row; an
    unchanged form writes nothing. A flag given (True or False) is marked answered."""
    policy.require(policy.can_work(actor, incident), _("You may not edit this incident."))
    values = clean(changes, single_line)
    row = facts_for(incident)
    if expected_version is not None:
        try:
            expected = int(expected_version)
        except (TypeError, ValueError):
            raise invalid({"version": _("The form is missing its version; reload and try again.")}) from None
        if expected != row.version:
            raise Conflict(_("Someone else saved these answers; reload the page and try again."))
    answers = dict(row.answers or {})
    for key, value in values.pop("answers", {}).items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    was = answered(row)
    marked = was | {f for f in FLAGS if f in values}
    answers.pop(ANSWERED, None)
    if len(answers) > ANSWERS_MAX:
        raise invalid({"answers": _("Too many answers.")})
    if marked:
        answers[ANSWERED] = sorted(marked)
    before = _state({c: getattr(row, c) for c in COLUMNS}, row.answers or {}, was)
    columns = {c: values.get(c, getattr(row, c)) for c in COLUMNS}
    after = _state(columns, answers, marked)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if not changed:
        return row
    if row.version == 0:  # the first save: a new row
        row = IncidentFacts(incident_id=incident.id, incident=incident)
        db.session.add(row)
    for key in COLUMNS:
        setattr(row, key, columns[key])
    row.answers = answers
    flag_modified(row, "answers")
    row.updated_at = utcnow()
    row.updated_by_id = actor.id
    touch(incident)
    append_timeline(incident, actor, "facts", data={"fields": changed})
    record(actor, "incident.facts", incident, before={k: before.get(k) for k in changed},
           after={k: after.get(k) for k in changed})
    clocks.sync(incident)
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise Conflict(_("Someone else saved these answers; reload the page and try again.")) from None
    logger.info("report facts of %s saved by %s: %s", incident.reference, actor.username, ", ".join(changed))
    return row
