"""Independent assessments of a system (layer 3, DOMAIN.md §4) and their findings.

The next assessment falls due the rules table's interval for the system's level after the last
one, under the regime in force on the last one's date (`rules.lookup.due`, key
`assessment.interval`); a system never assessed is due at once. Layer 3 is not independent when
the organisation that inspects it (its current layer-3 provider, or the latest assessment's
assessor) is the system's current layer-2 provider (`compliance.independent`).
"""
import logging

from sqlalchemy.orm import selectinload

from ..audit.services import clean, record
from ..catalogue import gettext as _
from ..clock import utcnow
from ..errors import NotFound, ValidationError, invalid
from ..extensions import db
from ..ids import as_id
from ..rules import keys
from ..rules.lookup import due
from . import compliance, policy
from .dates import parse_day, today
from .layer_labels import FINDING_FIELDS
from .models import ASSESSMENT_KINDS, FINDING_SEVERITIES, Assessment, Finding, LayerRecord

logger = logging.getLogger(__name__)

FIELDS = ("performed_on", "assessor", "kind", "report_reference", "summary", "findings")
FINDING_KEYS = ("title", "severity", "remediation_owner", "due_on")
MAX_FINDINGS = 100
TEXT_LIMITS = {"assessor": 200, "report_reference": 200, "summary": 10000}
FINDING_LIMITS = {"title": 300, "remediation_owner": 200}


# --- validation ------------------------------------------------------------------------------

def _finding_values(index, raw, errors):
    """One finding's values; problems go to errors["findings"] as "Finding n: ..." lines."""
    problems = []
    if not isinstance(raw, dict):
        errors.setdefault("findings", []).append(_("Finding %(n)d: not a finding.", n=index + 1))
        return None
    unknown = sorted(k for k in raw if k not in FINDING_KEYS)
    if unknown:
        problems.append(_("%(fields)s cannot be set.", fields=", ".join(unknown)))
    out = {}
    for key, limit in FINDING_LIMITS.items():
        value = raw.get(key)
        value = "" if value is None else str(value).strip()
        if key == "title" and not value:
            problems.append(_("the title is required."))
        elif len(value) > limit:
            problems.append(_("%(field)s: at most %(n)d characters.", field=FINDING_FIELDS[key], n=limit))
        out[key] = value
    severity = (raw.get("severity") or "medium")
    if severity not in FINDING_SEVERITIES:
        problems.append(_("the severity must be low, medium, high or critical."))
    out["severity"] = severity
    due_errors = {}
    out["due_on"] = parse_day(due_errors, "due_on", raw.get("due_on"))
    if due_errors:
        problems.append(_("due date: %(message)s", message=due_errors["due_on"]))
    for problem in problems:
        errors.setdefault("findings", []).append(_("Finding %(n)d: %(problem)s", n=index + 1, problem=problem))
    return out


def assessment_values(data):
    """The checked values of a new assessment and its findings; `invalid(...)` naming the field."""
    data = dict(data or {})
    errors, out = {}, {}
    for key in data:
        if key not in FIELDS:
            errors[key] = _("This field cannot be set.")
    out["performed_on"] = parse_day(errors, "performed_on", data.get("performed_on"), required=True)
    if out["performed_on"] and out["performed_on"] > today():
        errors["performed_on"] = _("An assessment cannot be dated in the future.")
    for key, limit in TEXT_LIMITS.items():
        value = data.get(key)
        value = "" if value is None else str(value).strip()
        if key == "assessor" and not value:
            errors[key] = _("This field is required.")
        elif len(value) > limit:
            errors[key] = _("At most %(n)d characters.", n=limit)
        out[key] = value
    kind = data.get("kind") or "compliance"
    if kind not in ASSESSMENT_KINDS:
        errors["kind"] = _("Not a valid choice.")
    out["kind"] = kind
    findings = data.get("findings") or []
    if not isinstance(findings, (list, tuple)):
        errors["findings"] = [_("Findings must be a list.")]
        findings = []
    if len(findings) > MAX_FINDINGS:
        errors["findings"] = [_("At most %(n)d findings.", n=MAX_FINDINGS)]
        findings = []
    out["findings"] = [_finding_values(i, f, errors) for i, f in enumerate(findings)]
    if "findings" in errors and isinstance(errors["findings"], list):
        errors["findings"] = " ".join(str(m) for m in errors["findings"])
    if errors:
        raise invalid(errors)
    return out


# --- reading ---------------------------------------------------------------------------------

def assessments_of(actor, system):
    """The assessments of a visible `system`, latest first, with their findings."""
    if not policy.can_see_system(actor, system):
        raise NotFound("information_system")
    query = (db.select(Assessment).where(Assessment.system_id == system.id)
             .options(selectinload(Assessment.findings))
             .order_by(Assessment.performed_on.desc(), Assessment.id.desc()))
    return db.session.execute(query).scalars().all()


def open_findings(assessments):
    """The findings not yet closed among `assessments`, earliest due first (no due date last)."""
    rows = [f for a in assessments for f in a.findings if f.closed_on is None]
    return sorted(rows, key=lambda f: (f.due_on is None, f.due_on, f.id))


def next_due(system, last):
    """(due date, overdue) of the system's next assessment after `last` (an Assessment or None).
    Never assessed: due today, and overdue. RuleMissing when the rules table has no interval for
    the level under the regime in force on the last assessment's date."""
    now = today()
    if last is None:
        return now, True
    when = due(keys.ASSESSMENT_INTERVAL, last.performed_on, system.level)
    return when, when < now


def non_independent(layer2, layer3, last_assessment):
    """True when the organisation inspecting layer 3 (the current layer-3 record's provider, or
    the latest assessment's assessor) is the current layer-2 provider. Records are the current
    ones (or None)."""
    if layer2 is None or not layer2.provider:
        return False
    inspectors = [layer3.provider if layer3 is not None else None,
                  last_assessment.assessor if last_assessment is not None else None]
    return any(name and not compliance.independent(name, layer2.provider) for name in inspectors)


def layer3_independent(system, on=None):
    """Whether layer 3 of `system` is independent of its layer-2 provider on `on` (default today)."""
    on = on or today()
    rows = db.session.execute(db.select(LayerRecord).where(LayerRecord.system_id == system.id,
                                                           LayerRecord.layer.in_((2, 3)))).scalars().all()
    layer2 = compliance.current([r for r in rows if r.layer == 2], on)
    layer3 = compliance.current([r for r in rows if r.layer == 3], on)
    last = db.session.execute(db.select(Assessment).where(Assessment.system_id == system.id)
                              .order_by(Assessment.performed_on.desc(), Assessment.id.desc()).limit(1)).scalar()
    return not non_independent(layer2, layer3, last)


# --- changing --------------------------------------------------------------------------------

def add_assessment(actor, system_id, data):
    """Record an assessment of the system with its findings, in one transaction."""
    system = policy.get_system(actor, system_id)
    policy.require(policy.can_edit_system(actor, system),
                   _("You may not record assessments of this information system."))
    if system.archived_at is not None:
        raise ValidationError(_("This information system is archived; restore it before editing it."))
    values = assessment_values(data)
    findings = values.pop("findings")
    item = Assessment(system_id=system.id, created_by_id=actor.id, created_at=utcnow(), **values)
    item.findings = [Finding(**f) for f in findings]
    db.session.add(item)
    db.session.flush()
    record(actor, "assessment.create", item, after={
        "system_id": system.id, **{k: values[k] for k in ("performed_on", "assessor", "kind", "report_reference")},
        "findings": [clean({"id": f.id, "title": f.title, "severity": f.severity, "due_on": f.due_on})
                     for f in item.findings],
    })
    db.session.commit()
    return item


def get_finding(actor, finding_id, system_id=None):
    finding_id = as_id(finding_id)
    finding = db.session.get(Finding, finding_id) if finding_id is not None else None
    if finding is None:
        raise NotFound("finding")
    system = finding.assessment.system
    if (system_id is not None and system.id != as_id(system_id)) or not policy.can_see_system(actor, system):
        raise NotFound("finding")
    return finding


def close_finding(actor, finding_id, closed_on=None, system_id=None):
    """Mark a finding remedied on `closed_on` (default today): not before its assessment, not in
    the future, and only once."""
    finding = get_finding(actor, finding_id, system_id)
    system = finding.assessment.system
    policy.require(policy.can_edit_system(actor, system),
                   _("You may not close findings of this information system."))
    if system.archived_at is not None:
        raise ValidationError(_("This information system is archived; restore it before editing it."))
    if finding.closed_on is not None:
        raise invalid({"closed_on": _("This finding is already closed.")})
    errors = {}
    day = parse_day(errors, "closed_on", closed_on) if closed_on not in (None, "") else today()
    if day is not None and day > today():
        errors["closed_on"] = _("Cannot be in the future.")
    elif day is not None and day < finding.assessment.performed_on:
        errors["closed_on"] = _("Cannot be before the assessment (%(date)s).",
                                date=finding.assessment.performed_on.strftime("%d/%m/%Y"))
    if errors:
        raise invalid(errors)
    finding.closed_on = day
    record(actor, "assessment.finding_close", finding, before={"closed_on": None},
           after={"system_id": system.id, "assessment_id": finding.assessment_id, "closed_on": day})
    db.session.commit()
    return finding
