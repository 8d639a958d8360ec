"""What the router decides for one alert: plain data, no database (see routing.py).

The executor (executor.py) applies it; the "try an alert" page and `csirt playbooks test` show it;
replay compares two of them.
"""
from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True)
class Verdict:
    """Why one playbook did or did not take the alert: `matched`, and when not, `reason`
    (the first condition that failed, in words, e.g. 'source is "wazuh", not "alertmanager"')."""

    playbook: str
    matched: bool
    reason: str = ""


@dataclass(frozen=True)
class Decision:
    """`playbook` is the compiled playbook whose incident the alert opens or joins (the first that
    matched) or None when none matched; `extra` are the later matching playbooks reached through
    `continue: true`, whose actions are added after the primary's. `group_key` is a stable text
    (a hex digest) of the playbook id and the group's values, or None when the playbook does not
    group; `window` and `on_resolved` come from its `group`. `verdicts` are filled only when the
    router was asked to explain (every playbook tried, in order)."""

    playbook: object = None
    extra: tuple = ()
    group_key: str = None
    window: timedelta = None
    on_resolved: str = "note"
    verdicts: tuple = field(default_factory=tuple)

    @property
    def matched(self):
        return self.playbook is not None

    @property
    def playbooks(self):
        """Every playbook whose actions apply, primary first."""
        return (self.playbook, *self.extra) if self.playbook is not None else ()

    def actions(self):
        """(playbook, action) pairs in the order they run."""
        return [(book, action) for book in self.playbooks for action in book.actions]
