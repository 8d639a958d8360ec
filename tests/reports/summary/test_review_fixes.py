"""Defects found in review, each pinned: control characters in stored text do not break the
downloads; the Form 05 page builds its links from known keys only; the damage box's prefill fits
the form's limit; the statistics export streams and refuses (with a message) a period beyond
MAX_ROWS; the annual report counts an incident once per level; the digest skips people it cannot
reach before computing their figures, and one failure does not stop the others."""
import io
import re
from datetime import date, datetime

import pytest
from docx import Document
from openpyxl import load_workbook

from csirt.audit.models import AuditLog
from csirt.clock import freeze
from csirt.incidents.duty_models import IncidentFacts
from csirt.notify.models import Notification
from csirt.reports.summary import digest, statistics
from csirt.reports.summary.forms import TEXT_MAX
from tests.conftest import csrf_from

from .test_digest import MONDAY_0700, week  # noqa: F401 - the fixture
from .test_pages import H1, systems  # noqa: F401 - the fixture

CONTROL = "Dòng\x0bmột\x1bhai"


@pytest.fixture
def control(dataset, db):
    first = dataset.incidents[0]  # SC-2026-001: malware, agency A, in H1 and in the 2026 data period
    first.title = f"Sự cố {CONTROL}"
    first.description = f"Mô tả {CONTROL}"
    facts = db.session.get(IncidentFacts, first.id)
    facts.damage_estimate = f"Thiệt hại {CONTROL}"
    facts.answers = {"lessons": CONTROL}
    db.session.commit()
    return first


def _docx(body):
    document = Document(io.BytesIO(body))
    return " ".join([p.text for p in document.paragraphs]
                    + [c.text for t in document.tables for r in t.rows for c in r.cells])


def test_control_characters_do_not_break_form05_statistics_and_annual_downloads(client, auth, dataset, control,
                                                                                 systems):  # noqa: F811
    auth.login(dataset.manager)
    page = client.get("/reports/summary", query_string=H1).get_data(as_text=True)
    damage = re.search(r'<textarea[^>]*name="damage"[^>]*>\r?\n?(.*?)</textarea>', page, re.S).group(1)
    response = client.post("/reports/summary/export", query_string=H1, data={
        "csrf_token": csrf_from(page), "format": "docx", "lang": "vi", "damage": damage + "\x0b",
        "support": "Hỗ trợ\x1b", "recommendations": ""})
    assert response.status_code == 200
    text = _docx(response.data)  # (a vertical tab is a line break to str.splitlines: two paragraphs)
    assert "SC-2026-001: Thiệt hại Dòng" in text and "mộthai" in text and "Hỗ trợ" in text
    response = client.get("/reports/statistics.xlsx", query_string=H1)
    assert response.status_code == 200
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(response.data)).active.iter_rows()]
    first = next(r for r in rows if r[0] == "SC-2026-001")
    assert first[1] == "Sự cố Dòngmộthai" and first[10] == "Thiệt hại Dòngmộthai"
    assert client.get("/reports/statistics.csv", query_string=H1).status_code == 200
    period = {"from": "2025-12-15", "to": "2026-12-14"}
    for kind in ("docx", "xlsx"):
        assert client.get(f"/reports/annual.{kind}", query_string=period).status_code == 200, kind
    dataset.incidents[0].title = "=HYPERLINK(\"http://x\")\x1b"  # a formula stays text
    from csirt.extensions import db

    db.session.commit()
    body = client.get("/reports/statistics.xlsx", query_string=H1).data
    sheet = load_workbook(io.BytesIO(body)).active
    cell = next(row[1] for row in sheet.iter_rows(min_row=2) if row[0].value == "SC-2026-001")
    assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s"


@pytest.mark.parametrize("extra", [{"endpoint": "x"}, {"_method": "POST"}, {"_anchor": "zzanchor"},
                                   {"_external": "1"}, {"_scheme": "javascript"}, {"kind": "csv"}])
def test_form05_page_links_keep_only_the_known_filters(client, auth, dataset, extra):
    auth.login(dataset.manager)
    response = client.get("/reports/summary", query_string={**H1, "agency": dataset.a.id, **extra})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    link = re.search(r'href="([^"]*)" id="to-statistics"', html).group(1)
    assert link.startswith("/reports/statistics?")
    assert sorted(re.findall(r"[?&;]([a-z_]+)=", link.replace("&amp;", "&"))) == ["agency", "from", "to"]
    assert "zzanchor" not in link and "http://localhost" not in link


def test_form05_damage_prefill_is_cut_to_the_limit_and_posts_back(client, auth, dataset, db):
    for incident in dataset.incidents[:6]:
        facts = db.session.get(IncidentFacts, incident.id)
        if facts is None:
            facts = IncidentFacts(incident_id=incident.id)
            db.session.add(facts)
        facts.damage_estimate = "Dòng một\nDòng hai " + "thiệt hại " * 300  # ~3000 characters each
    db.session.commit()
    auth.login(dataset.manager)
    page = client.get("/reports/summary", query_string=H1).get_data(as_text=True)
    from html import unescape

    damage = unescape(re.search(r'<textarea[^>]*name="damage"[^>]*>\r?\n?(.*?)</textarea>', page, re.S).group(1))
    assert len(damage) <= TEXT_MAX and damage.endswith("…") and damage.startswith("SC-2026-001: Dòng một")
    response = client.post("/reports/summary/export", query_string=H1, data={
        "csrf_token": csrf_from(page), "format": "docx", "lang": "vi",
        "damage": damage.replace("\n", "\r\n"),  # as a browser sends a textarea
        "support": "", "recommendations": ""})
    assert response.status_code == 200
    assert "…" in _docx(response.data)


def test_statistics_csv_is_streamed_and_counts_in_the_audit(client, auth, dataset, db):
    auth.login(dataset.manager)
    import inspect

    # rows read in batches and written as they come (the test client reads the stream whole)
    assert inspect.isgeneratorfunction(statistics.rows) and inspect.isgeneratorfunction(statistics.as_csv)
    response = client.get("/reports/statistics.csv", query_string=H1)
    assert response.status_code == 200
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert len(lines) == 1 + 7
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "statistics.export")).scalar_one()
    assert entry.after["rows"] == 7


def test_statistics_beyond_max_rows_is_refused_with_a_message(client, auth, dataset, db, monkeypatch):
    monkeypatch.setattr(statistics, "MAX_ROWS", 6)  # H1 holds 7 counted incidents
    auth.login(dataset.manager)
    for kind in ("csv", "xlsx"):
        response = client.get(f"/reports/statistics.{kind}", query_string=H1)
        assert response.status_code == 400 and response.mimetype == "text/html"
        html = response.get_data(as_text=True)
        assert 'id="stats-refused"' in html
        assert "Khoảng thời gian này có 7 sự cố; mỗi lần xuất tối đa 6." in html
    assert db.session.execute(db.select(AuditLog).where(AuditLog.action == "statistics.export")).first() is None
    monkeypatch.setattr(statistics, "MAX_ROWS", 7)  # exactly at the limit: every row, none cut
    body = client.get("/reports/statistics.xlsx", query_string=H1).data
    assert load_workbook(io.BytesIO(body)).active.max_row == 1 + 7


def test_annual_report_counts_an_incident_linked_to_two_systems_of_a_level_once(dataset, systems, db):  # noqa: F811
    from csirt.incidents.models import incident_system
    from csirt.reports.summary import annual

    portal, _mail, his = systems
    # SC-2026-001 is linked to the portal already; link it to the hospital system (level 3) too
    db.session.execute(incident_system.insert(), [{"incident_id": dataset.incidents[0].id, "system_id": his.id}])
    db.session.commit()
    freeze(datetime(2026, 12, 15, 3, 0))
    report = annual.compute(dataset.manager, annual.data_period(2026))
    by_level = {x.level: x.incidents for x in report.levels}
    # level 3: SC-2026-001 (portal and hospital) and SC-2026-005 (hospital): two incidents, not three
    assert by_level[3] == 2 and by_level[2] == 0
    assert report.incidents == {portal.id: 1, his.id: 2}  # per system: as linked


def test_digest_skips_people_without_an_address_and_survives_a_failing_one(dataset, week, db, make,  # noqa: F811
                                                                          monkeypatch):
    silent = make.user("manager", agency_obj=dataset.manager.agency, email=None)
    real = digest.figures
    asked = []

    def figures(user, monday, now):
        asked.append(user.id)
        if user.id == week.id:
            raise RuntimeError("boom")
        return real(user, monday, now)

    monkeypatch.setattr(digest, "figures", figures)
    freeze(MONDAY_0700)
    assert digest.run() == 1  # the manager's; the admin's failed, logged
    db.session.commit()
    assert silent.id not in asked  # no address: no figures made
    sent = db.session.execute(db.select(Notification.user_id).where(Notification.event == digest.EVENT)).scalars()
    assert list(sent) == [dataset.manager.id]
    monkeypatch.setattr(digest, "figures", real)
    assert digest.run() == 1  # the next run sends the admin's
    db.session.commit()
    assert date(2026, 7, 13) == digest.week_due(MONDAY_0700)


def test_statistics_csv_comes_in_chunks(app):
    with app.test_request_context():
        chunks = list(statistics.as_csv(([f"SC-{n}", "=1+1"] for n in range(50)), chunk=100))
    assert len(chunks) > 5
    text = "".join(chunks)
    assert text.startswith("\ufeff") and text.count("\n") == 51 and "'=1+1" in text
