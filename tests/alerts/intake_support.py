"""Shared by the intake, executor and alert API tests: small playbooks written into a temporary
folder (CSIRT_PLAYBOOKS_DIR points at it), canonical alerts, and an inventory to look hosts up in."""
import textwrap
from datetime import datetime

import pytest

from csirt import clock
from csirt.alerts.canonical import Alert

NOW = datetime(2026, 12, 3, 8, 0, 0)

WEB = """
id: web-attack
title: {vi: "Tấn công web", en: "Web attack"}
order: 10
match:
  all: ['source="wazuh"']
group:
  by: [host, labels.rule_id]
  window: 1h
  on_resolved: note
incident:
  title: {vi: "Tấn công web vào {{ host }}", en: "Web attack on {{ host }}"}
  description: "{{ description }} ({{ system }})"
  category: malware
  severity: {critical: serious, default: ordinary}
  priority: {critical: P1, default: P3}
  tlp: AMBER
  agency: host
actions:
  - assign: [{rotation: primary}, {role: responder}]
  - tasks:
      - key: isolate
        title: {vi: "Cô lập máy chủ", en: "Isolate the server"}
        detail: {vi: "Ngắt **mạng**", en: "Cut the **network**"}
        owner_role: responder
        due: 1h
        required: true
      - key: check
        title: "Kiểm tra nhật ký"
        due: 1d
  - clocks: [incident.notice, incident.report]
  - note: "Cảnh báo {{ severity }} từ {{ source }}"
  - link_affected: true
  - notify: {to: [assignee, {role: manager}], channels: [email, telegram], on: [opened, resolved]}
  - escalate:
      - {after: 15m, to: [{rotation: secondary}], channels: [telegram]}
"""

UPTIME = """
id: uptime
title: "Uptime"
order: 20
match:
  all: ['source="alertmanager"']
group:
  by: [host, alertname]
  window: 6h
  on_resolved: close
incident:
  title: "{{ host }} không truy cập được"
  category: dos
  severity: ordinary
  priority: P2
  tlp: GREEN
  agency: PORTAL
actions:
  - assign: [{person: ops-lead}, {role: coordinator}]
  - tasks:
      - key: look
        title: "Xem xét"
"""

SINGLE = """
id: single
title: "Mỗi cảnh báo một sự cố"
order: 30
match:
  all: ['source="generic-tool"']
incident:
  title: "{{ title }}"
  category: malware
  severity: ordinary
  priority: P3
  tlp: AMBER
  agency: host
actions:
  - note: "Một cảnh báo: {{ title }}"
"""

PLAYBOOKS = {"web.yaml": WEB, "uptime.yaml": UPTIME, "single.yaml": SINGLE}


def write_playbooks(app, folder, books=None):
    """Write `books` ({file name: YAML}) into `folder` and make it the app's playbooks."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (books or PLAYBOOKS).items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    app.config["CSIRT_PLAYBOOKS_DIR"] = str(folder)
    from csirt.alerts.playbooks import registry

    loaded = registry.current(app)
    assert not loaded.errors, [str(e) for e in loaded.errors]
    return loaded


def alert(**kw):
    """A canonical alert (a Wazuh-like firing alert unless told otherwise)."""
    values = dict(source="wazuh", severity="high", status="firing", title="Web shell upload",
                  occurred_at=NOW, fingerprint="fp-1", host="portal-web01",
                  labels={"rule_id": "31106"}, description="POST /upload.php", format="wazuh")
    values.update(kw)
    return Alert(**values)


@pytest.fixture
def playbooks(app, tmp_path):
    return write_playbooks(app, tmp_path / "playbooks")


@pytest.fixture
def frozen():
    clock.freeze(NOW)
    yield NOW
    clock.freeze(None)


@pytest.fixture
def inventory(make, db):
    """Agency PORTAL owning server portal-web01 (two addresses) and system CONG-DVC (level 3)."""
    from csirt.systems import services

    owner = make.agency(code="PORTAL")
    admin = make.user("admin", agency_obj=owner)
    server = services.create_server(admin, {"hostname": "portal-web01", "addresses": "10.0.0.5, 2001:db8::5",
                                            "kind": "virtual", "agency_id": owner.id})
    other = services.create_server(admin, {"hostname": "mail01", "addresses": "10.0.0.9", "kind": "virtual",
                                           "agency_id": owner.id})
    system = services.create_system(admin, {"code": "CONG-DVC", "name": "Cổng dịch vụ công", "level": 3,
                                            "owner_agency_id": owner.id, "server_ids": [server.id]})
    return {"agency": owner, "server": server, "system": system, "admin": admin, "mail": other}
