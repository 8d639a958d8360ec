"""My notifications and the outbox in a real browser: a responder adds a Telegram chat, is refused
a webhook into a private network with the Vietnamese message, sets quiet hours; a coordinator sees
a dead notification's error in the outbox and retries it. Screenshots with CSIRT_SCREENSHOTS_DIR."""
import os
from pathlib import Path

import pytest

from csirt.extensions import db
from csirt.notify.models import ContactMethod, Notification

pytestmark = pytest.mark.e2e


def _shot(web, name):
    folder = os.environ.get("CSIRT_SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        assert web.driver.save_screenshot(str(Path(folder) / name)), name


def test_a_responder_sets_up_notifications_and_a_coordinator_retries_a_dead_one(web, make):
    unit = make.agency(code="CSIRT", name="Đơn vị chuyên trách ATTT tỉnh", kind="dedicated_unit")
    responder = make.user("responder", agency_obj=unit, full_name="Trần Văn Minh", email="minh@laocai.gov.vn")
    web.login(responder)
    web.go("/notifications")
    assert web.html_lang() == "vi"
    web.choose("#channel", "telegram")
    web.fill("#address", "-1001234567")
    web.submit("#add-method")
    assert "-1001234567" in web.text("#methods")

    web.choose("#channel", "webhook")
    web.fill("#address", "http://192.168.1.10/hook")
    web.submit("#add-method")
    assert "mạng nội bộ" in web.text("body")
    db.session.expire_all()
    assert [m.channel for m in db.session.execute(db.select(ContactMethod)).scalars()] == ["telegram"]

    web.fill("#quiet_start", "22:00")
    web.fill("#quiet_end", "06:00")
    web.submit("#save-quiet")
    assert web.find("#quiet_start").get_attribute("value") == "22:00"
    _shot(web, "notify-me.png")

    dead = Notification(event="incident.opened", user_id=responder.id, channel="email", address="minh@laocai.gov.vn",
                        locale="vi", context={"reference": "LC-2026-0042"}, status="dead", attempts=8,
                        last_error="SMTPRecipientsRefused: 550 mailbox unavailable")
    db.session.add(dead)
    db.session.commit()
    coordinator = make.user("coordinator", agency_obj=unit, full_name="Nguyễn Thị Lan")
    web.driver.delete_all_cookies()
    web.login(coordinator)
    web.go("/notifications/outbox")
    row = web.find('#outbox tr[data-status="dead"]')
    assert "550 mailbox unavailable" in row.text
    _shot(web, "notify-outbox.png")
    web.submit('#outbox tr[data-status="dead"] button')
    db.session.expire_all()
    assert db.session.get(Notification, dead.id).status == "pending"
