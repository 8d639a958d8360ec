"""Alerts and playbooks in a real browser: a coordinator tries an Alertmanager alert in the
"try an alert" box and sees the playbook that takes it with its steps; then the same alert arrives
for real, opens the playbook's incident, and the coordinator ticks a step of its checklist.
Plus screenshots of the pages (only with CSIRT_SCREENSHOTS_DIR set)."""
import json
import os
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext

from csirt.alerts import intake
from csirt.alerts.models import Alert as AlertRow
from csirt.alerts.normalise import parse
from csirt.clock import utcnow
from csirt.extensions import db
from csirt.incidents.models import Incident, Task
from csirt.systems import services as system_services

from .conftest import DESKTOP

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[1] / "alerts" / "fixtures"


def tr(message, locale="vi", **values):
    with force_locale(locale):
        return gettext(message, **values)


def _firing_payload():
    """The Alertmanager webhook of the fixtures, its firing alert only."""
    payload = json.loads((FIXTURES / "alertmanager_firing.json").read_text(encoding="utf-8"))
    payload["alerts"] = [a for a in payload["alerts"] if a["status"] == "firing"]
    return payload


def _province(make):
    """The portal's agency, server and system, and a coordinator and a responder of the unit."""
    unit = make.agency(code="CSIRT", name="Đơn vị chuyên trách ATTT tỉnh", kind="dedicated_unit")
    owner = make.agency(code="VPUB", name="Văn phòng UBND tỉnh")
    coordinator = make.user("coordinator", agency_obj=unit, full_name="Nguyễn Thị Lan")
    make.user("responder", agency_obj=unit, full_name="Trần Văn Minh")
    server = system_services.create_server(coordinator, {"hostname": "portal.laocai.example",
                                                         "addresses": "10.20.0.10", "kind": "virtual",
                                                         "agency_id": owner.id})
    system_services.create_system(coordinator, {"code": "CTTDT", "name": "Cổng thông tin điện tử tỉnh", "level": 3,
                                                 "owner_agency_id": owner.id, "server_ids": [server.id]})
    return coordinator


def test_a_coordinator_tries_an_alertmanager_alert_then_ticks_a_step_of_the_incident_it_opened(web, make):
    coordinator = _province(make)
    web.login(coordinator)
    web.go("/playbooks")
    assert web.find("html").get_attribute("lang") == "vi"
    assert web.find('#playbooks tr[data-playbook="portal-outage"]')

    web.fill("#payload", json.dumps(_firing_payload(), ensure_ascii=False))
    web.choose("#format", "auto")
    web.submit("#try-submit")
    assert web.path == "/playbooks/try"
    plan = web.find('.try-plan[data-playbook="portal-outage"]')
    assert plan.get_attribute("data-outcome") == "open"
    text = web.text('.try-plan[data-playbook="portal-outage"]')
    assert "Cổng thông tin không truy cập được" in text  # the playbook's title, in Vietnamese
    assert "Không truy cập được portal.laocai.example" in text  # the incident's title, rendered
    assert "Văn phòng UBND tỉnh" in text  # the host's owner agency
    steps = web.all('.try-plan[data-playbook="portal-outage"] .step')
    assert len(steps) >= 2
    assert "Xác nhận gián đoạn và nguyên nhân" in steps[0].text
    assert tr("Nothing was stored.") in web.text("#try-summary")
    assert db.session.execute(db.select(db.func.count(AlertRow.id))).scalar() == 0
    assert db.session.execute(db.select(db.func.count(Incident.id))).scalar() == 0

    # the same alert now arrives for real
    outcome, = intake.ingest(coordinator, parse("alertmanager", _firing_payload(), utcnow()), via="test")
    assert outcome.status == "opened"
    incident = db.session.get(Incident, outcome.incident_id)
    assert incident.playbook_id == "portal-outage"
    first = db.session.execute(
        db.select(Task).where(Task.incident_id == incident.id).order_by(Task.id)).scalars().first()

    web.go(f"/alerts/{outcome.alert_id}")
    assert incident.reference in web.text("#alert-incident")
    assert web.find('#alert-route .verdict[data-playbook="portal-outage"]').get_attribute("data-matched") == "yes"

    web.go(f"/incidents/{incident.id}")
    assert web.text(f"#task-{first.id}").startswith("☐")
    web.submit(f"#task-{first.id} button[type=submit]")
    assert web.text(f"#task-{first.id}").startswith("☑")
    assert web.find(f"#task-{first.id} .task-done")
    db.session.expire_all()
    assert db.session.get(Task, first.id).done_at is not None


def test_capture_alert_screenshots(web, make, live_server):
    """Writes alerts.png, alert.png, playbooks.png, playbook.png and try.png into
    $CSIRT_SCREENSHOTS_DIR: `CSIRT_SCREENSHOTS_DIR=/tmp/shots .venv/bin/pytest tests/e2e -k alert_screenshots`."""
    folder = os.environ.get("CSIRT_SCREENSHOTS_DIR")
    if not folder:
        pytest.skip("set CSIRT_SCREENSHOTS_DIR to write the alert pages' screenshots")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    coordinator = _province(make)
    first, *_rest = intake.ingest(coordinator, parse("alertmanager", json.loads(
        (FIXTURES / "alertmanager_firing.json").read_text(encoding="utf-8")), utcnow()), via="test")
    for name in ("wazuh_web_attack.json", "wazuh_syscheck.json"):
        intake.ingest(coordinator, parse("wazuh", json.loads((FIXTURES / name).read_text(encoding="utf-8")),
                                         utcnow()), via="test")
    intake.ingest(coordinator, parse("generic", json.loads((FIXTURES / "generic_batch.json").read_text(
        encoding="utf-8")), utcnow()), via="test")

    def shot(name, full=False):
        web.js("document.activeElement && document.activeElement.blur && document.activeElement.blur()")
        if full:
            web.resize(DESKTOP[0], max(DESKTOP[1], web.js("return document.documentElement.scrollHeight")))
        assert web.driver.save_screenshot(str(folder / name)), name
        web.resize(*DESKTOP)

    web.login(coordinator)
    web.go("/alerts")
    shot("alerts.png")
    web.go(f"/alerts/{first.alert_id}")
    web.js("document.querySelector('#alert-raw details').open = true")
    shot("alert.png", full=True)
    web.go("/playbooks")
    shot("playbooks.png", full=True)
    web.go("/playbooks/web-defacement")
    web.js("document.querySelectorAll('#playbook-steps details')[0].open = true")
    shot("playbook.png", full=True)
    web.go("/playbooks")
    wazuh = json.loads((FIXTURES / "wazuh_syscheck.json").read_text(encoding="utf-8"))
    wazuh["agent"] = {"id": "007", "name": "portal", "ip": "10.20.0.10"}  # the portal's server: not yet grouped
    web.set_value("#payload", json.dumps(wazuh, ensure_ascii=False, indent=2))
    web.submit("#try-submit")
    web.find(".try-plan")
    shot("try.png", full=True)
