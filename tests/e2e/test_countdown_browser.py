"""The regulatory clocks count down in a real browser: the incident page's countdown keeps counting
after the page was served (the script turns a clock the server showed as running into "overdue"
when its deadline passes in the browser's time), the deadlines page lists them, and recording the
report sent stops the clock. With CSIRT_SCREENSHOTS=1 it writes docs/screenshots/clocks.png."""
import os
import re
from datetime import datetime, timedelta

import pytest

from csirt import clock
from csirt.extensions import db
from csirt.incidents.models import IncidentClock

from .test_browser import SCREENSHOTS

pytestmark = pytest.mark.e2e
HANOI = timedelta(hours=7)


def _notice(incident):
    db.session.expire_all()
    return db.session.execute(db.select(IncidentClock).where(IncidentClock.incident_id == incident.id,
                                                             IncidentClock.key == "incident.notice")).scalar_one()


def test_a_running_clock_counts_down_and_a_recorded_report_stops_it(web, live_server, make):
    coordinator = make.user("coordinator", username="dieuphoi")
    real_now = clock.utcnow().replace(second=0, microsecond=0)
    incident = make.incident(coordinator, discovered_at=real_now - timedelta(hours=1) + HANOI, severity="serious",
                             title="Tấn công thay đổi giao diện Cổng thông tin điện tử tỉnh")
    web.login(coordinator)
    web.go(f"/incidents/{incident.id}")
    notice = web.find("#clock-incident\\.notice")
    # the 24-hour notice: 23 hours left, counted by the page's script in the reader's language
    assert re.search(r"còn 2[23] giờ \d+ phút", notice.text), notice.text
    assert notice.get_attribute("data-state") == "running"
    assert web.find("#clock-incident\\.report").get_attribute("data-state") == "running"
    if os.environ.get("CSIRT_SCREENSHOTS"):
        card = web.find("#clocks")
        web.js("arguments[0].scrollIntoView({block: 'start', behavior: 'instant'});", card)
        card.screenshot(str(SCREENSHOTS / "clocks.png"))
    web.click("#report-details summary")
    web.choose("#report-duty", "incident.notice")
    web.choose("#report-kind", "notice")
    web.set_value("#report-sent_at", (real_now + HANOI).strftime("%Y-%m-%dT%H:%M"))
    web.fill("#report-recipient", "Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao")
    web.fill("#report-reference", "25/BC-STTTT")
    web.submit("#record-report")
    assert web.find("#clock-incident\\.notice").get_attribute("data-state") == "met"
    assert "25/BC-STTTT" in web.text("#sent-reports")
    assert _notice(incident).stopped_at == real_now


def test_the_script_turns_a_clock_overdue_when_its_deadline_passes(web, live_server, make):
    # the server answers as if it were 1/9/2026 10:00 UTC: the notice (due 2/9 01:00) has 15 h left
    # for it; the browser lives in the real time, months later, where the deadline has passed
    clock.freeze(datetime(2026, 9, 1, 10, 0))
    coordinator = make.user("coordinator", username="dieuphoi2")
    incident = make.incident(coordinator, discovered_at=datetime(2026, 9, 1, 8, 0), severity="serious")
    web.login(coordinator)
    web.go("/deadlines")
    row = web.find(f"#deadline-{_notice(incident).id}")
    web.wait().until(lambda d: row.get_attribute("data-state") == "overdue")
    assert re.search(r"quá hạn \d+ ngày \d+ giờ", row.text), row.text
    assert "Quá hạn" in row.find_element("css selector", ".countdown-badge").text
    web.go(f"/incidents/{incident.id}")
    assert web.find("#clock-incident\\.notice").get_attribute("data-state") == "overdue"
