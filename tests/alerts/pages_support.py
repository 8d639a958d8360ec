"""Shared by the alert and playbook page tests: the playbooks of intake_support plus one for
alerts reported by hand, a small world of users and agencies, and alerts stored through the intake."""
from types import SimpleNamespace

import pytest

from csirt.alerts import intake

from .intake_support import PLAYBOOKS, alert, write_playbooks

MANUAL = """
id: manual-report
title: {vi: "Báo cáo thủ công", en: "Reported by hand"}
order: 40
match:
  all: ['source="manual"']
incident:
  title: "{{ title }}"
  category: malware
  severity: {critical: serious, default: ordinary}
  priority: P3
  tlp: AMBER
  agency: host
actions:
  - tasks:
      - key: look
        title: {vi: "Xem xét báo cáo", en: "Look at the report"}
        detail: {vi: "Gọi **người báo**", en: "Call **the reporter**"}
        required: true
"""

BOOKS = {**PLAYBOOKS, "manual.yaml": MANUAL}


@pytest.fixture
def books(app, tmp_path):
    return write_playbooks(app, tmp_path / "playbooks", BOOKS)


@pytest.fixture
def people(app, make, inventory):
    """The team (in the CSIRT unit), a manager, the PORTAL liaison and another agency's liaison."""
    unit = make.agency(code="CSIRT", name="Đơn vị chuyên trách", kind="dedicated_unit")
    other = make.agency(code="OTHER", name="Sở Y tế")
    users = {role: make.user(role, agency_obj=unit, username=role, full_name=f"Cán bộ {role}")
             for role in ("admin", "manager", "coordinator", "responder")}
    users["member_own"] = make.user("member", agency_obj=inventory["agency"], username="member.own")
    users["member_other"] = make.user("member", agency_obj=other, username="member.other")
    return SimpleNamespace(unit=unit, other=other, users=users, **inventory)


def store(actor, *alerts):
    """Store canonical alerts through the intake; their Outcomes."""
    return intake.ingest(actor, list(alerts), via="test")


__all__ = ["BOOKS", "alert", "books", "people", "store", "write_playbooks"]
