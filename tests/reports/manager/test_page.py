"""The dashboard page, its data island and its CSVs."""
import csv
import io
import json
import re

from csirt.audit.models import AuditLog
from csirt.reports.manager import rollup


def _login(client, auth, user):
    auth.login(user)
    return client


def _island(html):
    found = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def _csv(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_page_holds_every_table_and_the_charts_data(app, client, auth, province, make):
    rollup.refresh()
    _login(client, auth, make.user("manager", agency_obj=province.unit))
    response = client.get("/dashboard")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for key in ("open", "unacknowledged", "times_month", "times_category", "per_agency", "clocks", "compliance",
                "alerts"):
        assert f'id="table-{key}"' in html and f'/dashboard/{key}.csv' in html, key
    data = _island(html)
    assert set(data["charts"]) == {"open", "times_month", "times_category", "per_agency", "compliance", "alerts"}
    assert data["charts"]["open"]["labels"] == ["Sở A", "Sở B"]
    assert re.search(r'id="clocks-total">\s*2\s*<', html) and re.search(r'id="open-total">\s*4\s*<', html)
    assert "LC-T-002" in html and "LC-T-006" in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "dashboard.js" in html
    assert "<script>" not in html  # the CSP allows no inline script: data only, in a JSON island


def test_the_page_says_no_data_yet_on_an_empty_database(client, auth, make):
    _login(client, auth, make.user("manager"))
    html = client.get("/dashboard").get_data(as_text=True)
    assert html.count('class="text-body-secondary no-data"') == 8
    assert _island(html)["charts"] == {}


def test_the_page_reads_in_english(client, auth, province, make):
    rollup.refresh()
    _login(client, auth, make.user("manager", agency_obj=province.unit, locale="en"))
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Open incidents by severity and agency" in html and "Time to acknowledge, median (hours)" in html


def test_the_csv_of_a_figure_is_its_table_and_is_audited(app, client, auth, province, make, db):
    rollup.refresh()
    _login(client, auth, make.user("manager", agency_obj=province.unit))
    response = client.get("/dashboard/times_month.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "dashboard-times_month-2026-12-04.csv" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert len(rows) == 13 and rows[-1] == ["12/2026", "5", "3", "2.0", "3.0", "1", "10.0", "10.0"]
    assert rows[-2] == ["11/2026", "3", "3", "4.0", "6.0", "2", "20.0", "30.0"]
    assert db.session.query(AuditLog).filter_by(action="dashboard.export", object_id="times_month").count() == 1
    clocks = _csv(client.get("/dashboard/clocks.csv"))
    assert [r[0] for r in clocks[1:]] == ["LC-T-002", "LC-T-006"]
    assert client.get("/dashboard/nothing.csv").status_code == 404


def test_a_liaisons_page_and_csvs_hold_their_agency_only(client, auth, province, make):
    rollup.refresh()
    _login(client, auth, make.user("member", agency_obj=province.a))
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Sở B" not in html and "LC-T-006" not in html and "LC-T-009" not in html
    assert "LC-T-001" in html and "LC-T-002" in html
    for key in ("open", "unacknowledged", "per_agency", "clocks", "alerts", "times_month", "times_category",
                "compliance"):
        text = client.get(f"/dashboard/{key}.csv").get_data(as_text=True)
        assert "Sở B" not in text and "LC-T-006" not in text and ",check," not in text, key
    per_agency = _csv(client.get("/dashboard/per_agency.csv"))
    assert [r[0] for r in per_agency[1:-1]] == ["Sở A"] and per_agency[1][-1] == "5"


def test_cells_are_formatted_in_the_readers_locale(app):
    from csirt.reports.manager.present import Numbers

    vi, en = Numbers("vi"), Numbers("en")
    assert [vi(v) for v in (1234, 1234.56, 2.0, 0, None)] == ["1.234", "1.234,6", "2", "0", "—"]
    assert [en(v) for v in (1234, 1234.56, 76.0)] == ["1,234", "1,234.6", "76"]
