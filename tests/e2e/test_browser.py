"""The desk in a real browser, as a person uses it: log in, log an incident, write notes, upload
evidence, walk the lifecycle, switch language, use a phone, log out. Plus the documentation
screenshots (only with CSIRT_SCREENSHOTS=1)."""
import hashlib
import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale, gettext

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def tr(message, locale="vi", **values):
    """`message` as the app shows it in `locale` (the English text while the catalog lacks it)."""
    with force_locale(locale):
        return gettext(message, **values)


def local_now(app):
    return datetime.now(ZoneInfo(app.config["CSIRT_TIMEZONE"])).replace(tzinfo=None, second=0, microsecond=0)


def test_wrong_password_shows_an_error_then_the_right_one_logs_in(web, make):
    user = make.user("coordinator", full_name="Nguyễn Đức Thắng")
    web.go("/incidents")
    assert web.path.startswith("/login"), "a protected page sends a stranger to the login form"
    web.fill("#username", user.username)
    web.fill("#password", "not-the-password")
    web.submit("#login-submit")
    error = web.visible(".alert-danger")
    assert tr("Wrong user name or password, or too many attempts. Try again later.") in error.text
    assert web.path.startswith("/login")
    assert web.find("#password").get_attribute("value") == "", "a wrong password is not echoed back"
    web.login(user)
    assert web.path.startswith("/incidents")
    assert user.full_name in web.visible("#user-menu").text
    web.visible("#new-incident")


def test_log_an_incident_through_the_form(web, make):
    user = make.user("coordinator")
    web.login(user)
    web.submit("#new-incident")
    assert web.path == "/incidents/new"
    web.fill("#title", "Cổng thông tin bị thay đổi giao diện")
    web.fill("#description", "Trang chủ hiển thị **nội dung lạ** từ 07:40.")
    web.choose("#category", "defacement")
    web.choose("#severity", "serious")
    web.choose("#priority", "P1")
    discovered = local_now(web.server.app) - timedelta(hours=1)
    web.set_value("#discovered_at", discovered.strftime("%Y-%m-%dT%H:%M"))
    web.submit("#save-incident")

    reference = web.visible("#incident-reference").text.strip()
    year = local_now(web.server.app).year
    assert re.fullmatch(rf"LC-{year}-\d{{4}}", reference), reference
    assert web.text("#incident-title") == "Cổng thông tin bị thay đổi giao diện"
    assert tr("Incident %(ref)s was logged.", ref=reference) in web.text(".alert-success")
    assert web.find(".note-body strong").text == "nội dung lạ", "the description is rendered as Markdown"
    assert web.find("[data-status]").get_attribute("data-status") == "new"


def test_notes_render_markdown_and_never_run_html(web, make):
    user = make.user("responder")
    incident = make.incident(actor=user)
    web.login(user)
    web.go(f"/incidents/{incident.id}")

    web.fill("#body", "Đã **cô lập** máy chủ web-01")
    web.submit("#add-note")
    assert web.path.startswith(f"/incidents/{incident.id}")
    assert web.visible("#timeline .note-body strong").text == "cô lập"

    script = "<script>window.__xss=1</script>"
    image = '<img src=x onerror="window.__xss=1">'
    web.fill("#body", f"{script}\n\n{image}")
    web.submit("#add-note")
    web.driver.refresh()
    web.visible("#timeline")
    assert web.js("return typeof window.__xss") == "undefined"
    bodies = [e.text for e in web.all("#timeline .note-body")]
    assert script in bodies[-1] and image in bodies[-1], bodies
    assert not web.all("#timeline .note-body script, #timeline .note-body img")


def test_evidence_upload_shows_the_sha256_of_the_file(web, make, tmp_path):
    user = make.user("responder")
    incident = make.incident(actor=user)
    evidence = tmp_path / "access-web01.log"
    evidence.write_bytes("203.0.113.7 - - [23/Nov/2026:07:41] \"GET /wp-login.php\" 404\n".encode() * 50)
    expected = hashlib.sha256(evidence.read_bytes()).hexdigest()

    web.login(user)
    web.go(f"/incidents/{incident.id}")
    web.find("#file").send_keys(str(evidence))
    web.fill("#description", "Nhật ký truy cập máy chủ web")
    web.submit("#upload-evidence")

    item = web.visible("#evidence li")
    assert "access-web01.log" in item.text
    assert web.text("#evidence .hash") == f"SHA-256 {expected}"
    assert expected in web.text(".alert-success")


def test_lifecycle_from_new_to_closed_needs_a_closing_note(web, make):
    user = make.user("coordinator")
    incident = make.incident(actor=user)
    web.login(user)
    web.go(f"/incidents/{incident.id}")
    for target in ("triaged", "contained", "eradicated", "recovered"):
        web.submit(f"#to-{target}")
        assert web.find("h1 + div [data-status]").get_attribute("data-status") == target

    web.submit("#to-closed")
    assert tr("This field is required.") in web.visible("#status-form .invalid-feedback").text
    assert "is-invalid" in web.find("#status-note").get_attribute("class")
    assert web.find("[data-status]").get_attribute("data-status") == "recovered"

    web.fill("#status-note", "Đã khôi phục từ bản sao lưu; bài học: **vá CMS** hằng tháng.")
    web.submit("#to-closed")
    assert web.find("[data-status]").get_attribute("data-status") == "closed"
    assert not web.all("#to-closed")
    web.visible("#to-triaged")  # a closed incident can only be reopened
    assert "vá CMS" in web.text("#timeline")


def test_language_switch_between_vietnamese_and_english(web, make):
    user = make.user("coordinator")
    web.go("/login")
    assert web.html_lang() == "vi", "Vietnamese is the default"
    assert web.text("#lang-switch") == "English"
    vi_login = tr("Log in")
    if vi_login != "Log in":  # the Vietnamese catalog has it: the page must show it
        assert vi_login in web.text("h1") + web.text("#login-submit")

    web.submit("#lang-switch")
    assert web.html_lang() == "en"
    assert web.text("#lang-switch") == "Tiếng Việt"
    assert web.text("#login-submit") == "Log in"

    web.login(user)  # the choice survives logging in
    assert web.html_lang() == "en"
    assert "Incidents" in web.text("h1")
    web.submit("#lang-switch")
    assert web.html_lang() == "vi"
    assert web.path.startswith("/incidents"), "switching language stays on the page"
    assert web.text("h1").startswith(tr("Incidents"))


def test_phone_layout_has_a_working_menu_toggler(web, make):
    user = make.user("coordinator")
    web.resize(*PHONE)
    web.login(user)
    incident = make.incident(actor=user)
    web.go(f"/incidents/{incident.id}")
    toggler = web.visible(".navbar-toggler")
    menu = web.find("#nav")
    assert not menu.is_displayed(), "the menu is folded on a phone"
    toggler.click()
    web.wait().until(lambda d: menu.is_displayed() and "show" in menu.get_attribute("class")
                     and "collapsing" not in menu.get_attribute("class"))
    web.click("#nav-people")  # the groups open in place inside the unfolded menu
    assert web.find("#nav a[href='/team/']").is_displayed()
    web.visible("#user-menu")
    overflow = web.js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"


def test_logout_then_back_or_reload_lands_on_login(web, make):
    user = make.user("coordinator")
    incident = make.incident(actor=user)
    web.login(user)
    web.go(f"/incidents/{incident.id}")
    web.click("#user-menu")
    web.visible("#logout")
    web.submit("#logout")
    assert web.path.startswith("/login")
    assert tr("You have logged out.") in web.text(".alert-info")

    web.driver.back()
    web.wait().until(lambda d: "/login" in d.current_url)
    assert incident.title not in web.text()
    web.go(f"/incidents/{incident.id}")
    assert web.path.startswith("/login")
    web.driver.refresh()
    web.find("#login-submit")
    assert web.path.startswith("/login")


# --- documentation screenshots ------------------------------------------------------------

def _seed_province(make):
    """A small believable province: agencies, a team, 12 incidents in every state, one rich one."""
    import io

    from csirt import clock
    from csirt.incidents import evidence as evidence_service
    from csirt.incidents import services, tasks

    csirt = make.agency(code="CSIRT", name="Trung tâm CNTT&TT (đơn vị chuyên trách ATTT)", kind="dedicated_unit")
    agencies = [make.agency(code=c, name=n, kind=k) for c, n, k in (
        ("STC", "Sở Tài chính", "department"), ("SYT", "Sở Y tế", "department"),
        ("SGDDT", "Sở Giáo dục và Đào tạo", "department"), ("SAPA", "UBND thị xã Sa Pa", "district"),
        ("VNPT", "VNPT Lào Cai", "partner"))]
    people = {}
    for username, name, role, agency, title, phone in (
            ("hoang.minh.tuan", "Hoàng Minh Tuấn", "manager", csirt, "Giám đốc Trung tâm", "0912 345 101"),
            ("nguyen.duc.thang", "Nguyễn Đức Thắng", "coordinator", csirt, "Điều phối ứng cứu", "0912 345 102"),
            ("do.van.hung", "Đỗ Văn Hùng", "responder", csirt, "Kỹ sư an toàn thông tin", "0912 345 103"),
            ("pham.thi.lan", "Phạm Thị Lan", "responder", csirt, "Chuyên viên phân tích mã độc", "0912 345 104"),
            ("tran.quoc.bao", "Trần Quốc Bảo", "admin", csirt, "Quản trị hệ thống", "0912 345 105"),
            ("le.thi.thu.trang", "Lê Thị Thu Trang", "member", agencies[0], "Đầu mối ứng cứu sự cố", "0214 3840 210"),
            ("vu.van.nam", "Vũ Văn Nam", "member", agencies[1], "Đầu mối ứng cứu sự cố", "0214 3840 320"),
            ("ly.a.sang", "Lý A Sáng", "member", agencies[3], "Đầu mối ứng cứu sự cố", "0214 3871 100"),
            ("ngo.thanh.tung", "Ngô Thanh Tùng", "responder", agencies[4], "Kỹ sư mạng", "0886 123 456")):
        people[username] = make.user(role, agency_obj=agency, username=username, full_name=name, title=title,
                                     phone=phone, email=f"{username}@laocai.example")
    coord = people["nguyen.duc.thang"]
    hung, lan = people["do.van.hung"], people["pham.thi.lan"]

    now = clock.utcnow()
    plan = [  # title, category, sub_type, severity, priority, tlp, agency, assignee, final status, days ago
        ("Thư lừa đảo giả mạo Kho bạc gửi tới kế toán", "spoofing", "phishing", "ordinary", "P3", "AMBER",
         agencies[0], hung, "new", 0.2),
        ("Mã độc mã hoá dữ liệu trên máy trạm phòng Kế hoạch", "ransomware", "", "serious", "P1", "RED",
         agencies[1], lan, "contained", 1),
        ("Cổng thông tin Sở Giáo dục bị thay đổi giao diện", "defacement", "web_shell", "serious", "P1", "AMBER",
         agencies[2], hung, "eradicated", 2),
        ("Dò quét mật khẩu SSH vào máy chủ thư điện tử", "unauthorized_access", "brute_force", "ordinary", "P2",
         "GREEN", csirt, lan, "triaged", 3),
        ("Tấn công từ chối dịch vụ vào cổng dịch vụ công", "dos", "", "serious", "P2", "AMBER", csirt, hung,
         "recovered", 5),
        ("Lộ danh sách hồ sơ bệnh nhân trên mạng xã hội", "data_theft", "data_leak", "serious", "P1",
         "AMBER+STRICT", agencies[1], lan, "triaged", 6),
        ("Máy tính nhiễm botnet kết nối tới máy chủ điều khiển", "malware", "botnet", "ordinary", "P3", "GREEN",
         agencies[3], None, "new", 7),
        ("Khai thác lỗ hổng trên hệ thống một cửa điện tử", "unauthorized_access", "vulnerability_exploit",
         "serious", "P2", "AMBER", agencies[3], hung, "closed", 9),
        ("Phần mềm đào tiền ảo trên máy chủ ảo", "malware", "cryptomining", "ordinary", "P4", "CLEAR",
         agencies[4], lan, "closed", 12),
        ("Mất máy tính xách tay chứa tài liệu nội bộ", "other", "lost_device", "ordinary", "P3", "AMBER",
         agencies[0], None, "rejected", 14),
        ("Cấu hình sai tường lửa mở cổng quản trị ra Internet", "other", "misconfiguration", "ordinary", "P3",
         "GREEN", agencies[4], hung, "closed", 18),
        ("Xoá dữ liệu trên máy chủ lưu trữ dùng chung", "destruction", "", "serious", "P2", "AMBER", csirt, lan,
         "new", 0.05),
    ]
    path = ["triaged", "contained", "eradicated", "recovered", "closed"]
    rich = None
    try:
        for title, category, sub, sev, prio, tlp, agency, assignee, final, days in sorted(plan, key=lambda p: -p[-1]):
            start = now - timedelta(days=days)
            clock.freeze(start)
            incident = make.incident(actor=coord, agency_obj=agency, title=title, category=category,
                                     sub_type=sub, severity=sev, priority=prio, tlp=tlp,
                                     discovered_at=start - timedelta(hours=3),
                                     assignee_id=assignee.id if assignee else None,
                                     description="Phát hiện qua cảnh báo của **SOC tỉnh**; đang xác minh phạm vi.")
            steps = ["rejected"] if final == "rejected" else path[:path.index(final) + 1] if final != "new" else []
            for n, target in enumerate(steps, 1):
                clock.freeze(start + timedelta(hours=2 * n))
                note = {"closed": "Đã khắc phục, hệ thống hoạt động bình thường. Bài học: vá định kỳ.",
                        "contained": "Đã cô lập máy bị ảnh hưởng khỏi mạng."}.get(target, "")
                services.change_status(coord, incident, target, note,
                                       "duplicate" if target == "rejected" else None)
            if title.startswith("Cổng thông tin"):
                rich = incident
        at = now - timedelta(days=2)  # the rich incident's own history, after its status steps

        def step(hours):
            clock.freeze(at + timedelta(hours=hours))

        step(7)
        services.add_note(hung, rich, "Phát hiện tệp **shell.php** trong thư mục `uploads/`; đã sao lưu "
                                      "nhật ký truy cập và chặn IP 203.0.113.7.", "action")
        step(7.5)
        t1 = tasks.add_task(coord, rich, "Thu thập nhật ký máy chủ web", hung.id, None)
        tasks.add_task(coord, rich, "Rà soát toàn bộ mã nguồn tìm web shell khác", lan.id,
                       now + timedelta(days=1))
        tasks.add_task(coord, rich, "Báo cáo sự cố theo mẫu 05 gửi Cục ATTT", coord.id, now + timedelta(days=2))
        step(9)
        tasks.set_task_done(hung, rich, t1.id)
        evidence_service.add_evidence(hung, rich, io.BytesIO(b"203.0.113.7 GET /uploads/shell.php 200\n" * 40),
                                      "access.log", "Nhật ký truy cập Apache", "text/plain")
        evidence_service.add_evidence(hung, rich, io.BytesIO(b"<?php system($_GET['c']); ?>\n"),
                                      "shell.php.txt", "Tệp web shell (đã vô hiệu hoá)", "text/plain")
        step(10)
        services.add_note(coord, rich, "Đã gửi thông báo tới Sở Giáo dục; yêu cầu **đổi toàn bộ mật khẩu** "
                                       "quản trị CMS.", "note")
    finally:
        clock.freeze(None)
    return coord, rich


def test_capture_screenshots(web, make):
    """Writes docs/screenshots/*.png (login, incidents, incidents-phone, team, incident, incident-phone):
    `CSIRT_SCREENSHOTS=1 .venv/bin/pytest tests/e2e -k screenshot -p no:cacheprovider` (SQLite)."""
    if os.environ.get("CSIRT_SCREENSHOTS") != "1":
        pytest.skip("set CSIRT_SCREENSHOTS=1 to write docs/screenshots/*.png")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    user, rich = _seed_province(make)

    def shot(name):
        web.js("document.activeElement && document.activeElement.blur && document.activeElement.blur()")
        path = SCREENSHOTS / name
        assert web.driver.save_screenshot(str(path)), name
        assert path.stat().st_size > 10_000, f"{name} looks empty"

    web.resize(*DESKTOP)
    web.go("/login")
    shot("login.png")
    web.login(user)
    web.go("/incidents")
    assert len(web.all(".table-incidents tbody tr")) == 12
    shot("incidents.png")
    web.resize(*PHONE)  # the list on a phone: filters folded behind their button, language switch on the bar
    web.go("/incidents?status=open")
    web.visible("#filters-toggle")
    shot("incidents-phone.png")
    web.resize(*DESKTOP)
    web.go("/team/")
    shot("team.png")
    web.go(f"/incidents/{rich.id}")
    web.visible("#evidence .hash")
    # the whole incident page (timeline, tasks and evidence do not fit in 900 px): 1366 wide, full height
    web.resize(DESKTOP[0], max(DESKTOP[1], web.js("return document.documentElement.scrollHeight")))
    shot("incident.png")
    web.resize(*PHONE)
    web.go(f"/incidents/{rich.id}")
    shot("incident-phone.png")
    web.resize(*DESKTOP)
