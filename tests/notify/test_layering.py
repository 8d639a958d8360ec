"""The outbox sits below alerts, incidents and on-call (ARCHITECTURE.md): they enqueue, it
imports none of them; and the pure decision reaches no database."""
from pathlib import Path

import pytest

from tests.test_structure import PACKAGE, _imports, _targets

NOTIFY = sorted((PACKAGE / "notify").rglob("*.py"))


@pytest.mark.parametrize("path", NOTIFY, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_notify_imports_no_alerts_incidents_or_oncall(path):
    bad = [t for t in _targets(path) if t.startswith(("csirt.alerts", "csirt.incidents", "csirt.oncall"))]
    assert not bad, f"{path.relative_to(PACKAGE.parent)} imports {bad}"


def test_the_decision_is_pure():
    path = PACKAGE / "notify" / "decide.py"
    assert not [t for t in _targets(path) if t.startswith("csirt")]
    assert not [m for m, _n in _imports(path) if m.startswith(("sqlalchemy", "flask"))]


def test_every_event_has_a_vietnamese_and_an_english_template():
    folder = Path(PACKAGE / "notify" / "messages")
    vi = {p.name for p in (folder / "vi").glob("*.j2")}
    en = {p.name for p in (folder / "en").glob("*.j2")}
    assert vi == en and {"generic.j2", "incident.opened.j2", "escalation.step.j2"} <= vi
