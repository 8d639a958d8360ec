"""The on-call pages in a real browser: a coordinator sees who is on call now, opens the rotation's
calendar (today's row and today's person highlighted), adds an override through the form and sees
it cut today's shift. Plus screenshots (only with CSIRT_SCREENSHOTS_DIR set)."""
import os
from datetime import date, datetime
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext

from csirt.clock import freeze
from csirt.oncall import services

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 12, 8, 3, 0)  # Tuesday 8 December 2026, 10:00 in Hà Nội


def tr(message, locale="vi", **values):
    with force_locale(locale):
        return gettext(message, **values)


def _team(make):
    freeze(NOW)
    unit = make.agency(code="CSIRT", name="Đơn vị chuyên trách ATTT tỉnh", kind="dedicated_unit")
    coordinator = make.user("coordinator", agency_obj=unit, username="lan", full_name="Nguyễn Thị Lan")
    people = [make.user("responder", agency_obj=unit, username=u, full_name=n) for u, n in (
        ("minh", "Trần Văn Minh"), ("hoa", "Lê Thị Hoa"), ("tuan", "Phạm Anh Tuấn"))]
    rotation = services.create_rotation(coordinator, {
        "key": "responders", "name": "Trực ứng cứu", "time_zone": "Asia/Ho_Chi_Minh", "handover_time": "08:00",
        "shift_kind": "daily", "starts_on": date(2026, 12, 7), "description": "Trực 24/7 của đội.",
        "layers": [{"name": "primary", "members": [p.id for p in people]},
                   {"name": "secondary", "members": [coordinator.id]}]})
    return coordinator, people, rotation


def test_a_coordinator_sees_who_is_on_call_and_covers_todays_shift_with_an_override(web, make):
    coordinator, (minh, hoa, tuan), rotation = _team(make)
    web.login(coordinator)
    web.click("#nav-oncall")
    web.find("#rotations")
    assert web.path == "/oncall/"
    assert web.text('#rotations tr[data-rotation="responders"] [data-layer="primary"]').endswith(hoa.full_name)

    web.submit('#rotations tr[data-rotation="responders"] a')
    assert web.text("#rotation-name") == "Trực ứng cứu"
    assert len(web.all("#calendar tbody tr")) == 28
    today = web.find("#calendar tr#today")
    assert today.get_attribute("data-day") == "2026-12-08"
    # today's row stands out from the others, and today's person in it
    other = web.find('#calendar tr[data-day="2026-12-09"]')
    colour = "return getComputedStyle(arguments[0].querySelector('th')).backgroundColor"
    assert web.js(colour, today) != web.js(colour, other)
    now_piece = web.find('#calendar tr#today td[data-layer="primary"] .shift-now')
    assert hoa.full_name in now_piece.text and tr("on call now") in now_piece.text
    assert web.js("return getComputedStyle(arguments[0]).fontWeight", now_piece) in ("600", "700")
    # the first day: nobody before the first hand-over at 08:00; then a hand-over each morning
    assert web.text('#calendar tr[data-day="2026-12-07"] td[data-layer="primary"]') == f"08:00 → {minh.full_name}"
    assert web.text('#calendar tr[data-day="2026-12-09"] td[data-layer="primary"]').split("\n") == [
        f"{hoa.full_name} → 08:00", f"08:00 → {tuan.full_name}"]

    web.submit("#override-new")
    web.choose("#layer", "1")
    web.choose("#user", "tuan")
    web.set_value("#starts_at", "2026-12-08T09:00")
    web.set_value("#ends_at", "2026-12-08T13:00")
    web.choose("#reason", "leave")
    web.fill("#note", "Hoa đi khám bệnh")
    web.submit("#override-form button[type=submit]")
    assert web.path.startswith(f"/oncall/{rotation.id}")
    cell = web.text('#calendar tr#today td[data-layer="primary"]')
    assert tuan.full_name in cell and tr("override") in cell
    assert tuan.full_name in web.text('#calendar tr#today .shift-now')  # 10:00: Tuấn covers now
    assert "Hoa đi khám bệnh" in web.text('#overrides + .table-responsive')


def test_capture_oncall_screenshots(web, make):
    """Writes oncall.png, oncall-calendar.png and oncall-calendar-phone.png into
    $CSIRT_SCREENSHOTS_DIR: `CSIRT_SCREENSHOTS_DIR=/tmp/shots .venv/bin/pytest tests/e2e -k oncall_screenshots`."""
    folder = os.environ.get("CSIRT_SCREENSHOTS_DIR")
    if not folder:
        pytest.skip("set CSIRT_SCREENSHOTS_DIR to write the on-call pages' screenshots")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    coordinator, people, rotation = _team(make)
    services.add_override(coordinator, rotation, {"layer": 1, "user": people[0].id, "reason": "swap",
                                                  "starts_at": datetime(2026, 12, 10, 1),
                                                  "ends_at": datetime(2026, 12, 10, 9)})
    web.login(coordinator)
    for path, name in (("/oncall/", "oncall.png"), (f"/oncall/{rotation.id}", "oncall-calendar.png"),
                       (f"/oncall/{rotation.id}/edit", "oncall-form.png"), ("/oncall/feeds", "oncall-feeds.png")):
        web.go(path)
        height = web.js("return document.documentElement.scrollHeight")
        web.resize(DESKTOP[0], min(height, 3000))
        assert web.driver.save_screenshot(str(folder / name)), name
        web.resize(*DESKTOP)
    web.resize(*PHONE)
    web.go(f"/oncall/{rotation.id}")
    assert web.driver.save_screenshot(str(folder / "oncall-calendar-phone.png"))


def test_oncall_pages_have_no_axe_violations(web, make):
    from .test_accessibility import Audit

    coordinator, people, rotation = _team(make)
    services.add_override(coordinator, rotation, {"layer": 1, "user": people[2].id, "reason": "leave",
                                                  "starts_at": datetime(2026, 12, 9, 2),
                                                  "ends_at": datetime(2026, 12, 9, 6), "note": "Khám bệnh"})
    audit = Audit(web, "vi 1366")
    web.login(coordinator)
    for name, path, css in (("rotations", "/oncall/", "#rotations"),
                            ("calendar", f"/oncall/{rotation.id}", "#calendar"),
                            ("rotation form", f"/oncall/{rotation.id}/edit", "#rotation-form"),
                            ("new rotation", "/oncall/new", "#rotation-form"),
                            ("override form", f"/oncall/{rotation.id}/overrides", "#override-form"),
                            ("calendar feeds", "/oncall/feeds", "#feeds")):
        web.go(path)
        audit.check(name, css)
    web.submit("#feed-new")
    audit.check("calendar feeds, new address shown", "#new-feed-url")
    web.resize(*PHONE)
    web.go(f"/oncall/{rotation.id}")
    audit.label = "vi 390"
    audit.check("calendar on a phone", "#calendar")
    audit.assert_clean()
