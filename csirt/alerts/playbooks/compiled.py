"""The compiled playbook: frozen objects the router and the executor read (contract with
matchers/routing and the executor). Nothing here reads a file or the database."""
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from jinja2 import TemplateError

from .templates import OUTPUT_MAX, render

logger = logging.getLogger(__name__)

ACTIONS = ("assign", "tasks", "clocks", "note", "link_affected", "notify", "escalate")
CANDIDATE_KINDS = ("person", "role", "rotation")
TARGET_KINDS = ("assignee", "agency_contact", "person", "role", "rotation")
CHANNELS = ("email", "telegram", "webhook")
NOTIFY_ON = ("opened", "joined", "resolved")
ON_RESOLVED = ("note", "close")


@dataclass(frozen=True)
class Text:
    """A text in both languages; a plain YAML string gives the same text in both."""

    vi: str
    en: str

    def get(self, locale):
        """The text in `locale` ("vi", "en", "en_GB", a Locale...), else in the other language."""
        if str(locale or "").lower().startswith("en"):
            return self.en or self.vi
        return self.vi or self.en


@dataclass(frozen=True)
class TemplateText:
    """A Text whose two strings are Jinja templates, compiled once in the sandbox
    (templates.ENVIRONMENT). Undefined names render empty."""

    source: Text
    _vi: object = field(repr=False, compare=False, default=None)
    _en: object = field(repr=False, compare=False, default=None)

    def render(self, locale, variables):
        """The text in `locale` with `variables` (templates.variables(alert, context)), cut at
        OUTPUT_MAX characters. It never raises: a template that fails at run time (the load
        already rendered it once) is logged and its source text is returned instead."""
        english = str(locale or "").lower().startswith("en")
        template = (self._en or self._vi) if english else (self._vi or self._en)
        try:
            return render(template, variables)
        except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as err:
            logger.warning("playbook template failed: %s", err)
            return self.source.get(locale)[:OUTPUT_MAX]


@dataclass(frozen=True)
class Candidate:
    kind: str    # person | role | rotation
    value: str
    layer: str | None = None  # rotation only: a layer's name; None = its first layer


@dataclass(frozen=True)
class Target:
    kind: str    # assignee | agency_contact | person | role | rotation
    value: str | None = None
    layer: str | None = None  # rotation only: a layer's name; None = its first layer


@dataclass(frozen=True)
class Step:
    key: str
    title: Text
    detail: Text
    owner_role: str | None
    due: timedelta | None
    required: bool


@dataclass(frozen=True)
class Notify:
    to: tuple
    channels: tuple
    on: tuple = ("opened",)


@dataclass(frozen=True)
class Escalation:
    after: timedelta
    to: tuple
    channels: tuple


@dataclass(frozen=True)
class EscalationPolicy:
    """The `escalate` action: its steps, each `after` counted from the start, run in order; then,
    `repeat` more times, the whole sequence again, each round starting when the previous one's last
    step fired. Iterating over it gives the steps."""

    steps: tuple
    repeat: int = 0
    name: str | None = None      # a named policy (escalation/<name>.yaml), None when written inline
    version: str = ""            # the named policy's file hash

    def __iter__(self):
        return iter(self.steps)

    def __len__(self):
        return len(self.steps)


@dataclass(frozen=True)
class Action:
    """One item of `actions`: `name` from ACTIONS; `value` by name: assign → (Candidate, ...),
    tasks → (Step, ...), clocks → (rule key, ...), note → TemplateText, link_affected → bool,
    notify → Notify, escalate → EscalationPolicy."""

    name: str
    value: object


@dataclass(frozen=True)
class Graded:
    """A value that may depend on the alert's severity: `by_severity` maps a canonical severity
    to a value, `default` answers the others. Read-only by convention (a dict in a frozen class)."""

    default: str
    by_severity: dict = field(default_factory=dict)

    def pick(self, alert_severity):
        return self.by_severity.get(alert_severity, self.default)


@dataclass(frozen=True)
class Group:
    by: tuple
    window: timedelta
    on_resolved: str = "note"


@dataclass(frozen=True)
class IncidentSpec:
    title: TemplateText
    description: TemplateText | None
    category: str
    sub_type: str
    severity: Graded
    priority: Graded
    tlp: str
    agency: str   # "host" or an agency code


@dataclass(frozen=True, eq=False)
class Playbook:
    """One compiled playbook. Compared by identity (eq=False) so it can be a dict key; `match` is
    what matchers.compile_match returned; `version` is the SHA-256 of the file's bytes and `spec`
    the validated YAML mapping (for the readable view)."""

    id: str
    title: Text
    description: Text
    order: int
    cont: bool
    enabled: bool
    match: object
    group: Group | None
    incident: IncidentSpec
    actions: tuple
    path: str
    version: str
    spec: dict = field(repr=False)


@dataclass(frozen=True)
class LoadError:
    """Why (part of) a file could not be loaded: `line` is 1-based, None when no line applies."""

    path: str
    line: int | None
    message: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class LoadFailed(Exception):
    """Raised inside the loader with every error of one file; the registry turns it into a list."""

    def __init__(self, errors):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = tuple(errors)


@dataclass(frozen=True, eq=False)
class PlaybookSet:
    """The playbooks in force (enabled ones, sorted by (order, id)), the errors of the files left
    out, a version (SHA-256 over the sorted (file name, file version) pairs of the folder) and the
    router's index (`routing.Routes`)."""

    playbooks: tuple
    errors: tuple
    version: str
    routes: object = field(default=None, repr=False)
    _by_id: dict = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "_by_id", {book.id: book for book in self.playbooks})

    def get(self, playbook_id):
        """The playbook in force with this id, or None."""
        return self._by_id.get(playbook_id)
