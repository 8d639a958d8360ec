"""The scheduled checks of the servers in a real browser, on the demo province: a coordinator
configures a portal check of a demo server through the form, runs it now, and after the
scheduler's tick sees its state and result on the server's "Controls" panel and its history; a
target outside the networks checks may reach is refused with a translated message and nothing is
saved; the compliance dashboard shows how many servers the checks verified. With
CSIRT_SCREENSHOTS=1 it writes docs/screenshots/checks.png and server-controls.png (Vietnamese):
`CSIRT_SCREENSHOTS=1 .venv/bin/pytest tests/e2e/test_checks_browser.py -p no:cacheprovider`."""
import os

import pytest
from flask_babel import force_locale, gettext

from csirt.checks import display, runner
from csirt.checks.models import CheckConfig, CheckResult, ServerCheck
from csirt.clock import utcnow
from csirt.extensions import db
from csirt.systems.models import Server

from .conftest import DESKTOP
from .test_browser import SCREENSHOTS

pytestmark = pytest.mark.e2e

COORDINATOR = "nguyen.duc.thang"  # csirt/demo/data.py: the team's coordinator
PORTAL_NAME = "Cổng các sở, ngành – sức khỏe"
RAW_REASONS = ("not_allowed", "wrong_status", "connect_failed", "no_report", "stale_report", "old_signatures")


def tr(message, locale="vi", **values):
    with force_locale(locale):
        return gettext(message, **values)


def _server(hostname):
    return db.session.execute(db.select(Server).where(Server.hostname == hostname)).scalar_one()


def _items(*kinds):
    """The ids of the active work items of `kinds` (the scheduler's rows)."""
    return list(db.session.execute(db.select(ServerCheck.id).where(
        ServerCheck.active.is_(True), ServerCheck.kind.in_(kinds))).scalars())


def _tick(item_ids):
    """The scheduler's tick, run here on these work items only: the demo's firewall scans and its
    portal on 127.0.0.1:5000 would make the test slow and depend on this machine."""
    report = runner.tick(only=item_ids)
    db.session.expire_all()
    return report


def _assert_no_raw_reasons(text):
    for reason in RAW_REASONS:
        assert reason not in text, f"raw reason code {reason!r} shown to the user"


def test_a_coordinator_configures_a_portal_check_runs_it_and_sees_the_result(web, province, live_server):
    server = _server("dc-web-02")
    url = live_server("/healthz")
    web.login(COORDINATOR, province)
    assert web.html_lang() == "vi"

    # the menu entry: the demo's configurations (a firewall check of each server, and more)
    web.click("#nav-systems")
    web.submit("#nav-checks")
    assert web.path == "/checks/"
    assert tr("Checks") in web.text("h1")
    assert f'Tường lửa {server.hostname}' in web.text("#checks-table")
    demo_checks = db.session.execute(db.select(db.func.count(CheckConfig.id))).scalar()
    assert demo_checks >= 17 and len(web.all("#checks-table tbody tr[data-config]")) == demo_checks

    # configure a portal check of dc-web-02: this desk's own health URL
    web.submit("#new-check")
    web.submit("#kind-portal")
    assert web.text("#check-kind") == tr("Portal availability")
    assert "127.0.0.0/8" in web.text("#check-form")  # the networks checks may reach are stated
    web.fill("#name", PORTAL_NAME)
    web.choose("#scope", "group")  # a group: the agency and level, not the server
    assert web.find("#agency_id").is_displayed() and not web.find("#server_id").is_displayed()
    web.choose("#scope", "server")
    assert web.find("#server_id").is_displayed() and not web.find("#agency_id").is_displayed()
    web.choose("#server_id", str(server.id))
    web.fill("#url", url)
    web.fill("#interval_seconds", "300")
    web.fill("#timeout_seconds", "10")
    web.submit("#save-check")
    config = db.session.execute(db.select(CheckConfig).where(CheckConfig.name == PORTAL_NAME)).scalar_one()
    assert web.path == f"/checks/{config.id}"
    assert tr("The check %(name)s was saved.", name=PORTAL_NAME) in web.text(".alert-success")
    assert config.params == {"url": url, "expect_status": 200, "max_latency_ms": 3000}
    assert (config.kind, config.server_id, config.interval_seconds, config.timeout_seconds) == (
        "portal", server.id, 300, 10)
    item = db.session.execute(db.select(ServerCheck).where(ServerCheck.config_id == config.id)).scalar_one()
    row = f'#check-items tr[data-item="{item.id}"]'
    assert server.hostname in web.text(row)
    assert web.find(f"{row} [data-state]").get_attribute("data-state") == "never"
    assert web.text(f"{row} [data-state]") == tr("Not run yet")
    assert url in web.text("#check-params")

    # it is in the list, one server not run yet
    web.go("/checks/")
    listed = f'#checks-table tr[data-config="{config.id}"]'
    assert PORTAL_NAME in web.text(listed) and tr("Portal availability") in web.text(listed)
    assert web.text(f'{listed} [data-count="never"]') == "1"

    # run it now: due at the scheduler's next tick, which runs it
    web.go(f"/checks/{config.id}")
    web.submit(f"{row} button[type=submit]")
    assert web.path == f"/checks/{config.id}"
    assert tr("The check will run at the scheduler's next tick.") in web.text(".alert-success")
    db.session.expire_all()
    assert db.session.get(ServerCheck, item.id).next_run_at <= utcnow()
    report = _tick([item.id])
    assert report.claimed == 1 and [s.result.status for s in report.stored] == ["pass"]
    result = db.session.execute(db.select(CheckResult).where(CheckResult.server_check_id == item.id)).scalar_one()
    assert result.details["status"] == 200 and result.details["reason"] == "ok"
    with force_locale("vi"):
        summary = display.result_summary(result)
    with force_locale("en"):
        assert summary.startswith("HTTP 200") and summary != display.result_summary(result)  # translated

    # the server's page: the Controls panel with the state badge and the sentence
    web.go(f"/systems/servers/{server.id}")
    panel = web.find("#server-checks")
    assert tr("Controls") in web.text("#server-checks-title")
    entry = f'#server-checks li[data-item="{item.id}"]'
    assert web.find(f"{entry} [data-state]").get_attribute("data-state") == "pass"
    assert web.text(f"{entry} [data-state]") == tr("Passing")
    assert PORTAL_NAME in web.text(entry) and summary in web.text(entry)
    assert tr("Portal availability") in web.text(entry)
    assert "text-bg-success" in web.find(f"{entry} .badge").get_attribute("class")
    # the demo's firewall, agent and antivirus checks of the server are there too, not run yet
    states = {e.get_attribute("data-state") for e in web.all("#server-checks li [data-state]")}
    assert states == {"pass", "never"} and len(web.all("#server-checks li[data-item]")) == 4
    _assert_no_raw_reasons(panel.text)

    # its history: the current state and the result, flagged as a change
    web.submit("#server-checks-history")
    assert web.path == f"/systems/servers/{server.id}/checks"
    assert tr("Checks of %(name)s", name=server.hostname) in web.text("h1")
    current = f'#server-check-items tr[data-item="{item.id}"]'
    assert web.find(f"{current} [data-state]").get_attribute("data-state") == "pass"
    assert summary in web.text(current)
    line = f'#check-history tr[data-result="{result.id}"]'
    assert len(web.all("#check-history tbody tr[data-result]")) == 1
    assert PORTAL_NAME in web.text(line) and summary in web.text(line)
    assert web.text(f"{line} [data-state]") == tr("Passing")
    assert tr("changed") in web.text(line)
    _assert_no_raw_reasons(web.text())


def test_a_url_outside_the_allowed_networks_is_refused_and_nothing_saved(web, make):
    coordinator = make.user("coordinator", full_name="Trần Quốc Khánh")
    server = Server(hostname="dc-web-01", agency_id=coordinator.agency_id, addresses=["127.0.10.12"],
                    kind="virtual")
    db.session.add(server)
    db.session.commit()
    web.login(coordinator)
    web.click("#nav-systems")
    web.submit("#nav-checks")
    assert tr("No checks are configured yet.") in web.text("#checks-table")
    web.submit("#new-check")
    web.submit("#kind-portal")
    web.fill("#name", "Cổng thông tin tỉnh")
    web.choose("#server_id", str(server.id))
    web.fill("#url", "http://10.0.0.1/")
    web.submit("#save-check")

    assert web.path == "/checks/new?kind=portal"  # the form again, with what was typed
    assert web.find("#name").get_attribute("value") == "Cổng thông tin tỉnh"
    assert web.find("#url").get_attribute("value") == "http://10.0.0.1/"
    assert "is-invalid" in web.find("#url").get_attribute("class")
    message = tr('"%(value)s" is outside the networks the checks may reach (%(networks)s).',
                 value="10.0.0.1", networks="127.0.0.0/8, ::1/128")
    assert message != tr('"%(value)s" is outside the networks the checks may reach (%(networks)s).', "en",
                         value="10.0.0.1", networks="127.0.0.0/8, ::1/128")  # really translated
    feedback = web.visible("#url ~ .invalid-feedback")
    assert feedback.text == message
    assert web.all(".alert-danger") and tr("Please correct the marked fields.") in web.text(".alert-danger")
    _assert_no_raw_reasons(web.text())
    assert db.session.execute(db.select(db.func.count(CheckConfig.id))).scalar() == 0
    assert db.session.execute(db.select(db.func.count(ServerCheck.id))).scalar() == 0
    web.go("/checks/")
    assert tr("No checks are configured yet.") in web.text("#checks-table")


def test_the_compliance_dashboard_shows_what_the_checks_verified_on_the_demo(web, province):
    web.login(COORDINATOR, province)
    web.go("/compliance")
    # right after loading nothing has run yet: every expected server is "never checked"
    for control, expected in (("firewall", 15), ("antivirus", 13), ("agent", 14)):
        row = f'#compliance-controls tr[data-control="{control}"]'
        assert web.find(f"{row} [data-share]").get_attribute("data-share") == "0.0", control
        assert tr("%(verified)s of %(expected)s servers", verified=0, expected=expected) in web.text(row)
        assert len(web.all(f'{row} [data-list="never"] a')) == expected, control

    # the scheduler's tick judges the demo heartbeats (the firewall scans are left for later)
    report = _tick(_items("agent", "antivirus"))
    assert report.claimed == 2 * 15
    web.go("/compliance")
    agent = '#compliance-controls tr[data-control="agent"]'
    assert web.find(f"{agent} [data-share]").get_attribute("data-share") == "85.7"
    assert tr("%(verified)s of %(expected)s servers", verified=12, expected=14) in web.text(agent)
    assert [a.text for a in web.all(f'{agent} [data-list="failing"] a')] == ["dc-bak-01", "dc-igate-02"]
    assert not web.all(f'{agent} [data-list="never"]')
    antivirus = '#compliance-controls tr[data-control="antivirus"]'
    assert web.find(f"{antivirus} [data-share]").get_attribute("data-share") == "69.2"
    assert tr("%(verified)s of %(expected)s servers", verified=9, expected=13) in web.text(antivirus)
    assert sorted(a.text for a in web.all(f'{antivirus} [data-list="failing"] a')) == [
        "dc-app-02", "dc-bak-01", "dc-igate-02", "dc-web-02"]
    firewall = '#compliance-controls tr[data-control="firewall"]'
    assert len(web.all(f'{firewall} [data-list="never"] a')) == 15
    assert tr("Never checked") in web.text(firewall)
    coverage = web.text("#server-coverage")
    assert "85" in coverage and "69" in coverage
    assert tr("Controls verified: not checked yet") not in coverage
    # a failing server's link opens its page, where the Controls panel says why
    server = _server("dc-web-02")
    web.submit(f'{antivirus} [data-list="failing"] a[href$="/servers/{server.id}"]')
    assert web.path == f"/systems/servers/{server.id}"
    failing = [e.text for e in web.all('#server-checks li:has([data-state="fail"])')]
    assert len(failing) == 1 and tr("Failing") in failing[0] and tr("Antivirus") in failing[0]
    assert tr("%(product)s signatures are %(days)s days old.", product=server.antivirus_expected,
              days="21") in failing[0]
    _assert_no_raw_reasons(web.text("#server-checks"))


@pytest.mark.skipif(os.environ.get("CSIRT_SCREENSHOTS") != "1",
                    reason="set CSIRT_SCREENSHOTS=1 to write docs/screenshots/checks.png and server-controls.png")
def test_capture_checks_screenshots(web, province):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _tick(_items("agent", "antivirus", "firewall"))
    web.login(COORDINATOR, province)

    def shot(name):
        assert web.html_lang() == "vi"
        web.resize(DESKTOP[0], max(DESKTOP[1], web.js("return document.documentElement.scrollHeight")))
        path = SCREENSHOTS / name
        assert web.driver.save_screenshot(str(path)), name
        assert path.stat().st_size > 10_000, f"{name} looks empty"
        web.resize(*DESKTOP)

    web.go("/checks/")
    shot("checks.png")
    web.go(f"/systems/servers/{_server('dc-web-02').id}")
    web.find("#server-checks")
    shot("server-controls.png")
