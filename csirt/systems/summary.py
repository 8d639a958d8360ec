"""One system's four layers at a glance: each layer's current record, status, history and flags,
the next assessment and the open findings. Reads the system's records once (`load`); the rest
(`summarise`) is pure, so it is tested with plain objects.

Flags: layer 3 "not independent" (`assessments.non_independent`), "verification overdue" when the
current record's next verification date has passed, and on layer 2 the state of the monitoring
agents on the system's servers, from the scheduled agent checks (`agents_state`; None, shown as
"not checked", when no agent check applies to them).
"""
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy.orm import selectinload

from ..catalogue import gettext as _
from ..extensions import db
from ..rules.lookup import RuleMissing
from . import assessments as assessment_rules
from . import compliance, layer_labels
from .dates import today, window_days
from .layer_labels import layer_name, status_badge, status_label
from .models import LAYERS, Assessment, LayerRecord


@dataclass
class LayerRow:
    layer: int
    name: str
    current: object  # the LayerRecord in force, or None
    status: str
    history: list  # every record of the layer, latest start first (the current one included)
    evidence_count: int = 0  # files of the current record
    non_independent: bool = False
    verification_overdue: bool = False
    agents: object = None  # layer 2 only: `agents_state(system)`; None = not checked

    @property
    def status_label(self):
        return status_label(self.status)

    @property
    def badge(self):
        return status_badge(self.status)


@dataclass
class Summary:
    system: object
    today: object
    layers: list
    assessments: list
    next_assessment_due: object = None  # a date, or None when the rules table has no interval
    assessment_overdue: bool = False
    rule_problem: str = ""  # why the next assessment date is unknown
    open_findings: list = field(default_factory=list)

    @property
    def last_assessment(self):
        return self.assessments[0] if self.assessments else None

    @property
    def non_independent(self):
        return any(row.non_independent for row in self.layers)


@dataclass
class AgentsState:
    """The monitoring agents of a system's servers: how many answer, and the silent ones."""

    alive: int
    total: int
    silent: list  # hostnames of the servers whose agent is failing, stale or never checked

    def __str__(self):
        text = _("%(alive)s of %(total)s agents alive", alive=self.alive, total=self.total)
        if self.silent:
            text += "; " + _("silent: %(names)s", names=", ".join(self.silent))
        return text


AGENTS_PROVIDER = "csirt_agents_state"  # app.extensions key: the checks register theirs (checks/panels.py)


def agents_state(system):
    """The live state of the monitoring agents on the system's servers (layer 2), an AgentsState,
    from whoever provides it: the scheduled checks register a provider at start-up (the inventory
    does not import the checks). None ("not checked") without one, or when no agent check applies
    to the system's servers."""
    provider = current_app.extensions.get(AGENTS_PROVIDER)
    return provider(system) if provider is not None else None


def agents_label(state):
    """What the page shows for `agents_state(...)`."""
    if state is None:
        return _("not checked")
    return str(state)


def load(system):
    """The system's layer records (with their evidence) and assessments (with their findings)."""
    records = db.session.execute(
        db.select(LayerRecord).where(LayerRecord.system_id == system.id)
        .options(selectinload(LayerRecord.evidence))).scalars().all()
    done = db.session.execute(
        db.select(Assessment).where(Assessment.system_id == system.id)
        .options(selectinload(Assessment.findings))
        .order_by(Assessment.performed_on.desc(), Assessment.id.desc())).scalars().all()
    return records, done


def summarise(system, records, done, on, window, next_due=None):
    """The summary of `system` on day `on` from its `records` and assessments `done` (latest first).
    `next_due(system, last)` gives (due, overdue) of the next assessment (default: the rules table)."""
    next_due = next_due or assessment_rules.next_due
    rows = []
    for layer in LAYERS:
        mine = sorted((r for r in records if r.layer == layer),
                      key=lambda r: (r.valid_from, r.id or 0), reverse=True)
        current = compliance.current(mine, on)
        status = (compliance.status_of(current.valid_from, current.valid_to, on, window)
                  if current is not None else compliance.MISSING)
        rows.append(LayerRow(
            layer=layer, name=layer_name(layer), current=current, status=status, history=mine,
            evidence_count=len(current.evidence) if current is not None else 0,
            verification_overdue=bool(current is not None and current.next_due and current.next_due < on),
            agents=None))
    last = done[0] if done else None
    rows[2].non_independent = assessment_rules.non_independent(rows[1].current, rows[2].current, last)
    summary = Summary(system=system, today=on, layers=rows, assessments=list(done),
                      open_findings=assessment_rules.open_findings(done))
    try:
        summary.next_assessment_due, summary.assessment_overdue = next_due(system, last)
    except RuleMissing as err:
        summary.rule_problem = err.message
        summary.assessment_overdue = last is None
    return summary


def system_summary(system):
    """The summary of `system` today (the caller has checked that the user may see it)."""
    records, done = load(system)
    summary = summarise(system, records, done, today(), window_days())
    summary.layers[1].agents = agents_state(system)
    return summary


def layer_context(system):
    """What the system page's layers section (`systems/_layers.html`) reads."""
    return {"layer_summary": system_summary(system), "layer_labels": layer_labels, "agents_label": agents_label}
