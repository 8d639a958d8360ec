"""The report facts of an incident (`IncidentFacts`): read them, and save what a person answered.

The national forms (csirt/reports/national) fill every field csirt knows from the incident and
its systems; what it cannot know is asked once and kept here: four typed columns (beyond the
operator's capacity, affecting national security, how it was handled, estimated damage) and
`answers`, a {field key: text} dict of the other answers and of the known values someone chose to
word differently. Saving writes one timeline entry and one audit entry, then brings the
incident's regulatory clocks in line (two of the flags decide which duties apply).
"""
import logging
import re

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from ..audit.services import record
from ..clock import utcnow
from ..errors import Conflict, invalid
from ..extensions import db
from . import clocks, policy
from .duty_models import HANDLED_WITH, IncidentFacts
from .services import append_timeline, touch

logger = logging.getLogger(__name__)

FLAGS = ("beyond_capacity", "national_security")
COLUMNS = FLAGS + ("handled_with", "damage_estimate")
ANSWER_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
ANSWER_LIMIT = 5000  # characters of one answer
ANSWERS_MAX = 100  # answers kept per incident


def facts_for(incident):
    """The incident's facts: its saved row, or a new unsaved one (version 0, nothing answered)
    that is not added to the session."""
    row = db.session.get(IncidentFacts, incident.id)
    if row is not None:
        return row
    return IncidentFacts(incident_id=incident.id, beyond_capacity=False, national_security=False,
                         handled_with=None, damage_estimate="", answers={}, version=0)


def _text(value, field, errors):
    if not isinstance(value, str):
        errors[field] = _("Not a valid value.")
        return None
    value = value.strip()
    if len(value) > ANSWER_LIMIT:
        errors[field] = _("At most %(n)d characters.", n=ANSWER_LIMIT)
    elif "\x00" in value:  # PostgreSQL cannot store NUL in text
        errors[field] = _("Contains a character that is not allowed.")
    return value


def clean(changes):
    """`changes` checked: {column: value} for the typed columns it names, and "answers":
    {key: text, or None to forget the answer}. Raises the house ValidationError (`invalid`)."""
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
        cleaned[key] = None if value is None else _text(value, key, errors)
    if "answers" in changes:
        out["answers"] = cleaned
    if errors:
        raise invalid(errors)
    return out


def _state(row):
    return {**{c: getattr(row, c) for c in COLUMNS}, **{f"answers.{k}": v for k, v in (row.answers or {}).items()}}


def save(actor, incident, changes, expected_version=None):
    """Save `changes` (see `clean`) to the incident's facts, refusing a stale `expected_version`
    (the version the form was loaded with; 0 when nothing was saved yet). Returns the row; an
    unchanged form writes nothing."""
    policy.require(policy.can_work(actor, incident), _("You may not edit this incident."))
    values = clean(changes)
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
    if len(answers) > ANSWERS_MAX:
        raise invalid({"answers": _("Too many answers.")})
    before = _state(row)
    after = {**{c: values.get(c, getattr(row, c)) for c in COLUMNS},
             **{f"answers.{k}": v for k, v in answers.items()}}
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if not changed:
        return row
    if row.version == 0:  # the first save: a new row
        row = IncidentFacts(incident_id=incident.id, incident=incident)
        db.session.add(row)
    for key in COLUMNS:
        setattr(row, key, after[key])
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
