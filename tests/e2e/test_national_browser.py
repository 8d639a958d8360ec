"""Form 03 in the browser: from the incident's page to the form, prefilled; an answer saved and
shown again; the download links there; no axe violation on the page."""
import pytest

from .test_accessibility import Audit

pytestmark = pytest.mark.e2e


def test_form03_opens_from_the_incident_is_saved_and_has_no_axe_violations(web, live_server, make):
    agency = make.agency(name="Sở Khoa học và Công nghệ")
    coordinator = make.user("coordinator", agency_obj=agency)
    incident = make.incident(actor=coordinator, agency_obj=agency, title="Tấn công thay đổi giao diện")
    web.login(coordinator)
    web.go(f"/incidents/{incident.id}")
    web.submit("#national-form03")
    assert web.path == f"/incidents/{incident.id}/reports/form03"
    assert web.find("#national-subject").get_attribute("value") == \
        "[TBSC] Sở Khoa học và Công nghệ – Tấn công thay đổi giao diện"
    assert web.find("#reporter_name").get_attribute("value") == coordinator.full_name
    web.fill("#connectivity_provider", "VNPT Khánh Hòa")
    web.choose("#beyond_capacity", "yes")
    web.submit("#national-save")
    assert "Đã lưu các câu trả lời." in web.text(".alert-success")
    assert web.find("#connectivity_provider").get_attribute("value") == "VNPT Khánh Hòa"
    assert web.find("#beyond_capacity").get_attribute("value") == "yes"
    links = [a.get_attribute("href") for a in web.all("#national-downloads a")]
    assert any(h.endswith("/reports/form03.pdf?lang=vi") for h in links)
    assert any(h.endswith("/reports/form03.docx?lang=en") for h in links)
    audit = Audit(web, "vi 1366")
    audit.check("form 03", "#national-form")
    audit.assert_clean()
