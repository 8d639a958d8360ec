"""The compliance dashboard in the browser, on the demo province: the print view hides the menu
and the controls; with CSIRT_SCREENSHOTS=1 it writes docs/screenshots/compliance.png (Vietnamese)
and compliance-en.png (English):
`CSIRT_SCREENSHOTS=1 .venv/bin/pytest tests/e2e/test_compliance_page.py -p no:cacheprovider`."""
import os

import pytest

from .conftest import DESKTOP
from .test_browser import SCREENSHOTS

MANAGER = "hoang.minh.tuan"


def test_the_demo_dashboard_shows_every_state_and_prints_without_the_menu(web, province):
    web.login(MANAGER, province)
    web.go("/compliance")
    statuses = {e.get_attribute("data-status") for e in web.all("#compliance-matrix [data-status]")}
    assert statuses == {"valid", "expiring", "expired", "missing"}
    assert web.all('#compliance-matrix tr[data-system="LGSP"] [data-flag="not-independent"]')
    assert len(web.all("#compliance-trend tbody tr")) == 7  # six snapshots and this month
    web.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not web.find("nav.navbar").is_displayed()
        assert not web.find("#compliance-filters").is_displayed()
        assert web.find("#compliance-matrix").is_displayed()
    finally:
        web.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_capture_compliance_screenshots(web, province):
    if os.environ.get("CSIRT_SCREENSHOTS") != "1":
        pytest.skip("set CSIRT_SCREENSHOTS=1 to write docs/screenshots/compliance*.png")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    web.login(MANAGER, province)
    for name, switch in (("compliance.png", False), ("compliance-en.png", True)):
        if switch:
            web.submit("#lang-switch")
        web.go("/compliance")
        assert web.html_lang() == ("en" if switch else "vi")
        web.resize(DESKTOP[0], max(DESKTOP[1], web.js("return document.documentElement.scrollHeight")))
        path = SCREENSHOTS / name
        assert web.driver.save_screenshot(str(path)), name
        assert path.stat().st_size > 10_000, f"{name} looks empty"
        web.resize(*DESKTOP)
