"""The manager dashboard in the browser, on the demo province: every chart is drawn (a canvas
with pixels on it) beside its table, the tables hold the figures the server computes, a liaison's
dashboard holds their agency only, and the print view keeps charts and tables without the menu.
With CSIRT_SCREENSHOTS=1 it writes docs/screenshots/dashboard.png (Vietnamese) and
dashboard-en.png (English):
`CSIRT_SCREENSHOTS=1 .venv/bin/pytest tests/e2e/test_dashboard_browser.py -p no:cacheprovider`."""
import os

import pytest

from csirt.extensions import db
from csirt.incidents.lifecycle import OPEN_STATUSES
from csirt.incidents.models import Incident
from csirt.reports.manager import rollup
from csirt.team.models import User

from .conftest import DESKTOP
from .test_browser import SCREENSHOTS

MANAGER = "hoang.minh.tuan"
CHARTS = ("open", "times_month", "times_category", "per_agency", "compliance", "alerts")
# How many pixels of a canvas are not transparent (a drawn chart has thousands).
INKED = """const c = document.querySelector('canvas[data-chart="' + arguments[0] + '"]');
if (!c || !c.width || !c.height) { return 0; }
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) { n++; } } return n;"""


@pytest.fixture
def rolled(province):
    rollup.refresh()
    return province


def test_every_chart_is_drawn_beside_a_table_holding_the_figures(web, rolled):
    web.login(MANAGER, rolled)
    web.go("/dashboard")
    for key in CHARTS:
        assert web.js(INKED, key) > 500, f"chart {key} is blank"
        assert web.find(f"#table-{key}").is_displayed()
    open_count = db.session.execute(db.select(db.func.count()).select_from(Incident)
                                    .where(Incident.status.in_(OPEN_STATUSES))).scalar()
    assert web.find("#open-total").text == str(open_count)
    assert web.all("#table-open tbody tr")[-1].find_elements("css selector", "td")[-1].text == str(open_count)
    assert len(web.all("#table-times_month tbody tr")) == 12 and len(web.all("#table-alerts tbody tr")) == 30
    web.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not web.find("nav.navbar").is_displayed() and not web.find("#csv-open").is_displayed()
        assert web.find("#table-per_agency").is_displayed()
        assert web.js(INKED, "open") > 500
    finally:
        web.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_a_liaisons_dashboard_holds_their_agency_only(web, rolled):
    liaison = db.session.execute(db.select(User).where(User.role == "member", User.active)
                                 .order_by(User.id)).scalars().first()
    web.login(liaison.username, rolled)
    web.go("/dashboard")
    assert liaison.agency.name in web.find("#dashboard-scope").text
    agencies = {row.find_elements("css selector", "th")[0].text for row in web.all("#table-per_agency tbody tr")}
    assert agencies <= {liaison.agency.name, "Tổng cộng"}


def test_capture_dashboard_screenshots(web, rolled):
    if os.environ.get("CSIRT_SCREENSHOTS") != "1":
        pytest.skip("set CSIRT_SCREENSHOTS=1 to write docs/screenshots/dashboard*.png")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    web.login(MANAGER, rolled)
    for name, switch in (("dashboard.png", False), ("dashboard-en.png", True)):
        if switch:
            web.submit("#lang-switch")
        web.go("/dashboard")
        assert web.html_lang() == ("en" if switch else "vi")
        web.resize(DESKTOP[0], max(DESKTOP[1], web.js("return document.documentElement.scrollHeight")))
        web.js("window.dispatchEvent(new Event('resize'))")
        path = SCREENSHOTS / name
        assert web.driver.save_screenshot(str(path)), name
        assert path.stat().st_size > 10_000, f"{name} looks empty"
        web.resize(*DESKTOP)
