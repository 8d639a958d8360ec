"""axe-core in the real browser: the main pages have no WCAG 2.0/2.1 A/AA violation and no
best-practice finding, in Vietnamese and English, on a desktop and on a phone.

The vendored `vendor/axe.min.js` (see vendor/README.md) is injected through WebDriver's
`execute_script`, which Chromium runs outside the page's Content-Security-Policy (the pages allow
no inline script); `axe.run` is awaited with `execute_async_script`.
"""
import io
import json
from pathlib import Path

import pytest

from .conftest import PHONE

pytestmark = pytest.mark.e2e

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: arguments[0]}, resultTypes: ["violations"]})
  .then(r => done(JSON.stringify({version: axe.version, violations: r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.map(n => n.target.join(" "))}))})))
  .catch(e => done(JSON.stringify({error: String(e)})));
"""


def axe_violations(web, tags=AXE_TAGS):
    """axe's violations on the current page, as dicts (id, impact, help, targets)."""
    web.driver.set_script_timeout(60)
    if not web.js("return typeof window.axe === 'object'"):
        web.js(AXE_SOURCE + "\n;window.axe = axe;")
    result = json.loads(web.driver.execute_async_script(RUN_AXE, tags))
    assert "error" not in result, f"axe.run failed on {web.path}: {result['error']}"
    assert result["version"].startswith("4."), result["version"]
    return result["violations"]


class Audit:
    """Runs axe on page after page and keeps every finding, so one failure lists them all."""

    def __init__(self, web, label):
        self.web, self.label, self.findings, self.pages = web, label, [], []

    def check(self, name, expect_css="main"):
        self.web.visible(expect_css)
        self.pages.append(name)
        for v in axe_violations(self.web):
            self.findings.append(f"[{self.label}] {name} ({self.web.path}): {v['id']} ({v['impact']}) "
                                 f"{v['help']} -> {'; '.join(v['targets'][:5])}")

    def assert_clean(self):
        if self.findings:
            pytest.fail(f"axe-core found {len(self.findings)} violation(s) on {len(self.pages)} page(s):\n"
                        + "\n".join(self.findings), pytrace=False)


@pytest.fixture
def province(live_server, make):
    """The demo province plus an admin, an API token, and evidence on an incident with tasks."""
    from csirt.auth.tokens import create_token
    from csirt.demo import load
    from csirt.extensions import db
    from csirt.incidents import evidence
    from csirt.incidents.models import Incident, Task
    from csirt.team.models import Agency

    load()
    unit = db.session.execute(db.select(Agency).where(Agency.code == "CSIRT")).scalar_one()
    admin = make.user("admin", agency_obj=unit, username="axe.admin", full_name="Trần Quốc Bảo")
    create_token(admin, admin, "Máy chủ giám sát", ["incidents:read"], 30)
    rich = db.session.execute(db.select(Incident).join(Task).where(Task.done_at.is_not(None))
                              .order_by(Incident.id).limit(1)).scalar_one()
    evidence.add_evidence(admin, rich, io.BytesIO(b"203.0.113.7 GET /uploads/shell.php 200\n" * 20),
                          "access.log", "Nhật ký truy cập", "text/plain")
    return admin, rich


def _list_pages(audit, web):
    web.go("/incidents")
    audit.check("incident list", ".table-incidents")
    web.submit("#next-page")
    assert "cursor=" in web.path
    audit.check("incident list, page 2", ".table-incidents")


def test_main_pages_in_vietnamese_have_no_axe_violations(web, province):
    admin, rich = province
    audit = Audit(web, "vi 1366")
    web.go("/login")
    assert web.html_lang() == "vi"
    audit.check("login", "#login-submit")
    web.login(admin)
    _list_pages(audit, web)
    web.go(f"/incidents/{rich.id}")
    audit.check("incident", "#evidence .hash")
    assert web.all("#timeline li") and web.all("#tasks li"), "the incident shows a timeline and tasks"
    for name, path, css in (("new incident", "/incidents/new", "#title"),
                            ("team members", "/team/", "table"),
                            ("member", f"/team/members/{admin.id}", "h1"),
                            ("agencies", "/team/agencies", "table"),
                            ("audit log", "/audit/", "table"),
                            ("API tokens", "/account/tokens", "table"),
                            ("systems", "/systems/", "table"),
                            ("servers", "/systems/servers", "table")):
        web.go(path)
        audit.check(name, css)
    assert len(audit.pages) == 12
    audit.assert_clean()


def test_list_and_incident_in_english_have_no_axe_violations(web, province):
    admin, rich = province
    web.go("/login")
    web.submit("#lang-switch")
    assert web.html_lang() == "en"
    web.login(admin)
    audit = Audit(web, "en 1366")
    _list_pages(audit, web)
    web.go(f"/incidents/{rich.id}")
    audit.check("incident", "#evidence .hash")
    audit.assert_clean()


def test_list_and_incident_on_a_phone_have_no_axe_violations(web, province):
    admin, rich = province
    web.resize(*PHONE)
    web.login(admin)
    audit = Audit(web, f"vi {PHONE[0]}x{PHONE[1]}")
    _list_pages(audit, web)
    web.go(f"/incidents/{rich.id}")
    audit.check("incident", "#evidence .hash")
    audit.assert_clean()
