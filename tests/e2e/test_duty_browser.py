"""The responder's page ("Đang trực") in a real browser: the on-call responder sees the incident
an alert gave them, waiting for acknowledgement and escalating, and their shift; one click
acknowledges it, it leaves the list, and the incident page says who acknowledged."""
import os
from datetime import timedelta
from pathlib import Path

import pytest

from csirt.alerts import intake
from csirt.clock import utc_to_local, utcnow
from csirt.extensions import db
from csirt.incidents.models import Incident
from csirt.oncall import services as oncall_services
from tests.oncall.escalation_support import page, write

from .conftest import DESKTOP

pytestmark = pytest.mark.e2e


def _team(make):
    unit = make.agency(code="CSIRT", name="Đơn vị chuyên trách ATTT tỉnh", kind="dedicated_unit")
    coordinator = make.user("coordinator", agency_obj=unit, full_name="Nguyễn Thị Lan", email="lan@so-tt.example")
    responder = make.user("responder", agency_obj=unit, full_name="Trần Văn Minh", email="minh@so-tt.example")
    backup = make.user("coordinator", agency_obj=unit, full_name="Lê Văn Hòa", email="hoa@so-tt.example")
    make.user("manager", agency_obj=unit, full_name="Phạm Lãnh Đạo", email="ld@so-tt.example")
    oncall_services.create_rotation(coordinator, {
        "key": "responders", "name": "Trực ứng cứu", "description": "", "time_zone": "Asia/Ho_Chi_Minh",
        "handover_time": "08:00", "shift_kind": "weekly", "shift_hours": None, "active": True,
        "starts_on": utc_to_local(utcnow()).date() - timedelta(days=1),
        "layers": [{"name": "primary", "members": [responder.id]}, {"name": "secondary", "members": [backup.id]}]})
    return responder


def test_the_on_call_responder_acknowledges_from_the_duty_page(web, make, live_server, tmp_path):
    responder = _team(make)
    write(live_server.app, tmp_path / "playbooks")
    [outcome] = intake.ingest(responder, [page(utcnow())])
    incident = db.session.get(Incident, outcome.incident_id)
    assert incident.assignee_id == responder.id

    web.login(responder)
    web.go(f"/incidents/{incident.id}")
    assert web.find("#acknowledge") and web.find("#escalation-next")
    _shot(web, "incident-unacknowledged.png")
    web.go("/duty")
    assert web.find(f'#awaiting [data-incident="{incident.reference}"]')
    assert web.find(f'#escalating [data-incident="{incident.reference}"]')
    assert "Trực ứng cứu" in web.text("#my-shifts")
    assert web.find("#my-shifts .list-group-item-success")  # the shift going on now
    assert "Trần Văn Minh" in web.text("#on-call-now")
    _shot(web, "duty.png")

    web.submit(f'#awaiting [data-incident="{incident.reference}"] form')
    assert web.path == "/duty"
    assert not web.all(f'#awaiting [data-incident="{incident.reference}"]')
    assert not web.all(f'#escalating [data-incident="{incident.reference}"]')
    web.go(f"/incidents/{incident.id}")
    assert "Trần Văn Minh" in web.text("#ack-state")
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).acknowledged_by_id == responder.id


def _shot(web, name):
    folder = os.environ.get("CSIRT_SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        web.resize(DESKTOP[0], max(DESKTOP[1], web.js("return document.documentElement.scrollHeight")))
        web.driver.save_screenshot(str(Path(folder) / name))
        web.resize(*DESKTOP)
