"""A playbook that pages the on-call rotation and escalates, for the escalation and
acknowledgement tests (the rotation and team come from conftest.py: `people`, `rotation`)."""
import textwrap
from datetime import timedelta

from csirt.alerts.canonical import Alert
from csirt.alerts.playbooks import registry

PAGING = """
id: paging
title: "Paging"
order: 10
match:
  all: ['source="alertmanager"']
group:
  by: [host, alertname]
  window: 1h
  on_resolved: note
incident:
  title: "{{ title }} on {{ host }}"
  category: other
  severity: {critical: serious, default: ordinary}
  priority: {critical: P1, default: P3}
  tlp: AMBER
  agency: CSIRT
actions:
  - assign: [{rotation: responders}, {role: coordinator}]
  - notify: {to: [assignee], channels: [email], on: [opened, joined, resolved]}
  - escalate:
      steps:
        - {after: 15m, to: [{rotation: responders, layer: secondary}], channels: [email]}
        - {after: 45m, to: [{role: manager}], channels: [email]}
      repeat: 1
"""


def write(app, folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "paging.yaml").write_text(textwrap.dedent(PAGING), encoding="utf-8")
    app.config["CSIRT_PLAYBOOKS_DIR"] = str(folder)
    loaded = registry.current(app)
    assert not loaded.errors, [str(e) for e in loaded.errors]
    return loaded


def page(at, severity="critical", status="firing", fingerprint="fp-1", host="portal-web01"):
    return Alert(source="alertmanager", severity=severity, status=status, title="PortalDown",
                 occurred_at=at, fingerprint=fingerprint, host=host, labels={"alertname": "PortalDown"},
                 description="probe failed", format="alertmanager")


def minutes(start, n):
    return start + timedelta(minutes=n)

