"""The summary reports in the browser, on the demo province: the Reports menu leads to Form 05,
whose presets change the period; the statistics and annual pages open; no axe violation on the
three pages."""
import pytest

from .test_accessibility import Audit

pytestmark = pytest.mark.e2e
MANAGER = "hoang.minh.tuan"


def test_form05_opens_from_the_reports_menu_and_its_presets_change_the_period(web, province):
    web.login(MANAGER, province)
    web.go("/incidents")
    web.click("#nav-reports")
    web.submit("#nav-form05")
    assert web.path.startswith("/reports/summary")
    rows = web.all("#form05-table tbody tr")
    assert len(rows) == 10
    total = int(web.find('#form05-table tfoot [data-column="total"]').text)
    assert total == sum(int(r.find_element("css selector", '[data-column="total"]').text) for r in rows)
    link = web.all("#form05-filters-presets a")[2]  # the whole year
    year = link.text.split()[1]
    web.submit("#form05-filters-presets a:nth-of-type(3)")
    assert f"from={year}-01-01" in web.path and f"to={year}-12-31" in web.path
    assert f"31/12/{year}" in web.text("#form05-period")
    assert web.find("#form05-export textarea[name=recommendations]").is_displayed()


def test_summary_pages_have_no_axe_violations(web, province):
    audit = Audit(web, "vi 1366")
    web.login(MANAGER, province)
    for name, path, css in (("form 05", "/reports/summary", "#form05-table"),
                            ("statistics", "/reports/statistics", "#stats-csv"),
                            ("annual report", "/reports/annual", "#annual-table-1")):
        web.go(path)
        audit.check(name, css)
    audit.assert_clean()
