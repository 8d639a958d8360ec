"""Changing the rules table: edit a row, add a row, start a new version of a row.

Each function takes the acting user, checks the policy, validates (a value its unit can hold,
effective_to after effective_from, no two rows for the same key and level in force on the same
day), writes the audit entry and commits once. A stale form (another admin saved first) is
refused with Conflict, as is a concurrent save (the row's version column).
"""
import logging
import re
from datetime import date

from sqlalchemy.orm.exc import StaleDataError

from ..audit.services import diff, record, snapshot
from ..catalogue import gettext as _
from ..clock import utcnow
from ..errors import Conflict, ValidationError, invalid
from ..extensions import db
from . import keys, lookup, policy
from .models import UNITS, Rule
from .periods import MAX_AMOUNT, MIN_AMOUNT, parse_value

logger = logging.getLogger(__name__)

AUDITED = ("regime", "key", "level", "value", "unit", "legal_reference", "effective_from", "effective_to",
           "confirmed", "notes")
EDITABLE = ("value", "unit", "legal_reference", "effective_from", "effective_to", "confirmed", "notes")
REGIME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,19}")
LEGAL_REFERENCE_LENGTH = 300
NOTES_LENGTH = 5000


def _commit():
    try:
        db.session.commit()
        lookup.forget()  # new incidents read the edited rules at once
    except StaleDataError:
        db.session.rollback()
        raise Conflict(_("Someone else changed this rule; reload it and try again.")) from None


def _check_version(rule, expected_version):
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError(_("The form is missing its version; reload and try again.")) from None
    if expected != rule.version:
        raise Conflict(_("Someone else changed this rule; reload it and try again."))


def _value_message(unit):
    if unit == "date":
        return _("Enter a day of the year as MM-DD, for example 12-15.")
    return _("Enter a whole number from %(low)d to %(high)d.", low=MIN_AMOUNT[unit], high=MAX_AMOUNT[unit])


def _as_date(value):
    if isinstance(value, date) or value is None:
        return value
    text = str(value).strip()
    if not text:
        return None
    return date.fromisoformat(text)  # ValueError: the caller names the field


def _clean(data, creating):
    """The validated values of `data` ({field: value}); ValidationError naming each bad field."""
    errors, out = {}, {}
    if creating:
        regime = (data.get("regime") or "").strip()
        if not REGIME.fullmatch(regime):
            errors["regime"] = _("Enter the regime's name: up to 20 letters, digits, dots or dashes, e.g. 2026.")
        out["regime"] = regime
        key = data.get("key") or ""
        if key not in keys.ALL:
            errors["key"] = _("Not a rule this application knows.")
        out["key"] = key
        level = data.get("level")
        level = None if level in (None, "") else str(level).strip()
        if level is not None and level not in ("1", "2", "3", "4", "5"):
            errors["level"] = _("The level must be 1 to 5, or empty for every level.")
        out["level"] = int(level) if level is not None and "level" not in errors else None
    unit = data.get("unit") or ""
    if unit not in UNITS:
        errors["unit"] = _("Not a valid choice.")
    out["unit"] = unit
    value = (data.get("value") or "").strip()
    if unit in UNITS:
        try:
            parse_value(value, unit)
        except ValueError:
            errors["value"] = _value_message(unit)
    out["value"] = value
    reference = (data.get("legal_reference") or "").strip()
    if not reference:
        errors["legal_reference"] = _("Name the legal text this rule comes from.")
    elif len(reference) > LEGAL_REFERENCE_LENGTH:
        errors["legal_reference"] = _("At most %(n)d characters.", n=LEGAL_REFERENCE_LENGTH)
    out["legal_reference"] = reference
    for field in ("effective_from", "effective_to"):
        try:
            out[field] = _as_date(data.get(field))
        except ValueError:
            errors[field] = _("Not a valid date.")
    if out.get("effective_from") is None and "effective_from" not in errors:
        errors["effective_from"] = _("This field is required.")
    start, end = out.get("effective_from"), out.get("effective_to")
    if start and end and end <= start:
        errors["effective_to"] = _("The end date must be after the start date.")
    notes = (data.get("notes") or "").strip()
    if len(notes) > NOTES_LENGTH:
        errors["notes"] = _("At most %(n)d characters.", n=NOTES_LENGTH)
    out["notes"] = notes
    out["confirmed"] = bool(data.get("confirmed"))
    if errors:
        raise invalid(errors)
    return out


def _refuse_overlap(key, level, start, end, exclude=()):
    """ValidationError when another row for `key` and `level` is in force on a day of [start, end)."""
    query = db.select(Rule).where(
        Rule.key == key,
        Rule.level.is_(None) if level is None else Rule.level == level,
        db.or_(Rule.effective_to.is_(None), Rule.effective_to > start),
    )
    if end is not None:
        query = query.where(Rule.effective_from < end)
    ids = [i for i in exclude if i is not None]
    if ids:
        query = query.where(Rule.id.not_in(ids))
    other = db.session.execute(query.order_by(Rule.effective_from).limit(1)).scalar()
    if other is not None:
        until = other.effective_to.isoformat() if other.effective_to else _("open end")
        raise invalid({"effective_from": _(
            "These dates overlap rule #%(id)s (regime %(regime)s, %(start)s – %(end)s) for the same key and "
            "level: two rules cannot be in force on the same day.", id=other.id, regime=other.regime,
            start=other.effective_from.isoformat(), end=until)})


def _lock_key(key):
    """Hold the rows of `key` until commit (PostgreSQL), so two admins' overlapping changes to one
    key are checked one after the other."""
    db.session.execute(db.select(Rule.id).where(Rule.key == key).with_for_update()).all()


def update_rule(actor, rule, data, expected_version):
    """Correct a row in place (value, unit, reference, dates, confirmed, notes)."""
    policy.require(policy.can_edit(actor), _("Only administrators may change the rules."))
    _check_version(rule, expected_version)
    values = _clean(data, creating=False)
    _lock_key(rule.key)
    _refuse_overlap(rule.key, rule.level, values["effective_from"], values["effective_to"], exclude=[rule.id])
    before = snapshot(rule, AUDITED)
    for field in EDITABLE:
        setattr(rule, field, values[field])
    changed_before, changed_after = diff(before, snapshot(rule, AUDITED))
    if not changed_after:
        return rule
    rule.updated_at = utcnow()
    record(actor, "rule.update", rule, before=changed_before, after=changed_after)
    _commit()
    return rule


def create_rule(actor, data):
    """Add a row: a key for a regime, for every level or one level."""
    policy.require(policy.can_edit(actor), _("Only administrators may change the rules."))
    values = _clean(data, creating=True)
    _lock_key(values["key"])
    _refuse_overlap(values["key"], values["level"], values["effective_from"], values["effective_to"])
    rule = Rule(**values, updated_at=utcnow())
    db.session.add(rule)
    db.session.flush()
    record(actor, "rule.create", rule, after=snapshot(rule, AUDITED))
    _commit()
    return rule


def supersede_rule(actor, rule, data, expected_version):
    """A new version of `rule` from `data["effective_from"]`: the old row ends that day, the new one
    (same key and level; regime as given) starts it, and ends where the old one ended unless
    `data` says otherwise."""
    policy.require(policy.can_edit(actor), _("Only administrators may change the rules."))
    _check_version(rule, expected_version)
    values = _clean(dict(data, key=rule.key, level=rule.level), creating=True)
    start = values["effective_from"]
    if start <= rule.effective_from or (rule.effective_to is not None and start >= rule.effective_to):
        raise invalid({"effective_from": _(
            "The new version must start after %(start)s and before the old one ends.",
            start=rule.effective_from.isoformat())})
    if values["effective_to"] is None:
        values["effective_to"] = rule.effective_to
    _lock_key(rule.key)
    _refuse_overlap(rule.key, rule.level, start, values["effective_to"], exclude=[rule.id])
    old_end = rule.effective_to
    rule.effective_to = start
    rule.updated_at = utcnow()
    record(actor, "rule.supersede", rule, before={"effective_to": old_end}, after={"effective_to": start})
    new = Rule(**values, updated_at=utcnow())
    db.session.add(new)
    db.session.flush()
    record(actor, "rule.create", new, after=dict(snapshot(new, AUDITED), replaces=rule.id))
    _commit()
    return new


def list_rules():
    """Every row, by regime, key, level and start date (the list page)."""
    query = db.select(Rule).order_by(Rule.regime, Rule.key, Rule.level.is_(None).desc(), Rule.level,
                                     Rule.effective_from)
    return db.session.execute(query).scalars().all()
