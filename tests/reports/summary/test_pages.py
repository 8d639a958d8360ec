"""The Form 05 page and its downloads (.docx, PDF), the statistics export (CSV, XLSX) and the
annual report by level (page, .docx, .xlsx), read back."""
import csv
import io
import re
import subprocess

import pytest
from docx import Document
from openpyxl import load_workbook

from csirt.audit.models import AuditLog
from tests.conftest import csrf_from

H1 = {"from": "2026-01-01", "to": "2026-06-30"}


def _cell(html, category, column):
    row = re.search(rf'<tr[^>]*data-category="{category}"[^>]*>(.*?)</tr>', html, re.S).group(1)
    return int(re.search(rf'data-column="{column}">(\d+)<', row).group(1))


def test_form05_page_shows_the_hand_counted_figures_and_the_counting_rules(client, auth, dataset):
    auth.login(dataset.manager)
    html = client.get("/reports/summary", query_string=H1).get_data(as_text=True)
    assert _cell(html, "malware", "total") == 4
    assert _cell(html, "malware", "not_stated") == 1
    assert _cell(html, "ransomware", "coordinator") == 1
    assert _cell(html, "total", "total") == 7
    assert _cell(html, "total", "not_stated") == 2
    assert "01/01/2026" in html and "30/06/2026" in html
    assert "không được tính" in html  # rejected incidents are not counted (Vietnamese page)
    assert "SC-2026-001: Thiệt hại khoảng 10 triệu đồng" in html  # the damage text starts from the facts


def test_form05_page_of_a_liaison_counts_their_agency_only(client, auth, dataset):
    auth.login(dataset.liaison_b)
    html = client.get("/reports/summary", query_string=H1).get_data(as_text=True)
    assert _cell(html, "total", "total") == 3
    assert _cell(html, "malware", "total") == 1
    assert "Sở Nội vụ" not in html  # the other agency is not even offered as a filter


@pytest.mark.parametrize("query", [{"from": "2026-07-01", "to": "2026-06-30"}, {"from": "x", "to": "2026-06-30"},
                                   {**H1, "agency": "abc"}])
def test_form05_page_answers_400_for_a_bad_period_or_agency(client, auth, dataset, query):
    auth.login(dataset.manager)
    assert client.get("/reports/summary", query_string=query).status_code == 400


def test_form05_page_without_dates_shows_the_current_half_year(client, auth, dataset):
    auth.login(dataset.manager)
    html = client.get("/reports/summary").get_data(as_text=True)  # now: 10/7/2026
    assert "01/07/2026" in html and "31/12/2026" in html
    assert _cell(html, "defacement", "in_house") == 1


def _export(client, dataset, fmt, lang="vi", **texts):
    token = csrf_from(client.get("/reports/summary", query_string=H1).get_data(as_text=True))
    data = {"csrf_token": token, "format": fmt, "lang": lang, "damage": "", "support": "", "recommendations": "",
            **texts}
    return client.post("/reports/summary/export", query_string=H1, data=data)


def _docx_text(body):
    document = Document(io.BytesIO(body))
    cells = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    return "\n".join(p.text for p in document.paragraphs), cells


def test_form05_docx_holds_the_figures_and_the_typed_answers_with_their_diacritics(client, auth, dataset, db):
    auth.login(dataset.manager)
    response = _export(client, dataset, "docx", support="Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam",
                       recommendations="Tăng cường giám sát\nĐào tạo cán bộ")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    text, cells = _docx_text(response.data)
    assert "Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam" in text
    assert "Tăng cường giám sát" in text and "Đào tạo cán bộ" in text
    assert "Kỳ báo cáo: từ ngày 01/01/2026 đến ngày 30/06/2026" in text
    malware = next(r for r in cells if r[1] == "Tấn công sử dụng mã độc")
    assert malware[2:] == ["4", "1", "1", "1", "0", "1"]
    total = next(r for r in cells if r[1] == "Tổng cộng")
    assert total[2:] == ["7", "1", "2", "1", "1", "2"]
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "summary.export")).scalar_one()
    assert entry.after["incidents"] == 7 and entry.after["format"] == "docx"


def test_form05_docx_in_english_on_request(client, auth, dataset):
    auth.login(dataset.manager)
    text, cells = _docx_text(_export(client, dataset, "docx", lang="en").data)
    assert "Summary report on incident response (Form 05)" in text
    assert any(r[1] == "Malware" and r[2] == "4" for r in cells)


def test_form05_export_refuses_an_unknown_format_or_too_long_a_text(client, auth, dataset):
    auth.login(dataset.manager)
    assert _export(client, dataset, "odt").status_code == 400
    assert _export(client, dataset, "docx", damage="x" * 4001).status_code == 400


def test_form05_export_without_csrf_is_refused(client, auth, dataset):
    auth.login(dataset.manager)
    response = client.post("/reports/summary/export", query_string=H1, data={"format": "docx", "lang": "vi"})
    assert response.status_code == 400


def test_form05_pdf_reads_back_with_the_figures_in_vietnamese(client, auth, dataset, tmp_path):
    auth.login(dataset.manager)
    response = _export(client, dataset, "pdf", recommendations="Đề nghị hỗ trợ đào tạo")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "form05.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Đề nghị hỗ trợ đào tạo" in text
    assert re.search(r"Tấn công sử dụng mã độc\s+4\s+1\s+1\s+1\s+0\s+1", text), text
    assert re.search(r"Tổng cộng\s+7\s+1\s+2\s+1\s+1\s+2", text), text


# --- the statistics export ---------------------------------------------------------------------

def test_statistics_csv_lists_the_counted_incidents_with_a_bom(client, auth, dataset, db):
    auth.login(dataset.manager)
    response = client.get("/reports/statistics.csv", query_string=H1)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "Mã sự cố"
    assert [r[0] for r in rows[1:]] == ["SC-2026-009", "SC-2026-001", "SC-2026-002", "SC-2026-003",
                                        "SC-2026-004", "SC-2026-005", "SC-2026-006"]
    first = rows[1]
    assert first[2] == "Nghe trộm, gián điệp, lấy cắp thông tin, dữ liệu"
    assert first[6] == "Sở Y tế" and first[7] == "2026-01-01 00:00"  # Hanoi time
    assert db.session.execute(db.select(AuditLog).where(AuditLog.action == "statistics.export")).scalar_one()


def test_statistics_csv_filters_by_agency_and_category_and_scopes_a_liaison(client, auth, dataset):
    auth.login(dataset.manager)
    query = {**H1, "agency": dataset.a.id, "category": "malware"}
    rows = list(csv.reader(io.StringIO(client.get("/reports/statistics.csv", query_string=query)
                                       .data.decode("utf-8").lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == ["SC-2026-001", "SC-2026-002", "SC-2026-003"]
    auth.logout()
    auth.login(dataset.liaison_b)
    rows = list(csv.reader(io.StringIO(client.get("/reports/statistics.csv", query_string=H1)
                                       .data.decode("utf-8").lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == ["SC-2026-009", "SC-2026-005", "SC-2026-006"]


def test_statistics_xlsx_reads_back_with_openpyxl(client, auth, dataset):
    auth.login(dataset.manager)
    response = client.get("/reports/statistics.xlsx", query_string={**H1, "category": "malware"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Mã sự cố" and values[0][2] == "Loại sự cố"
    assert [v[0] for v in values[1:]] == ["SC-2026-001", "SC-2026-002", "SC-2026-003", "SC-2026-005"]
    assert values[1][9] == "Tự xử lý" and values[3][9] == "Chưa cho biết"
    assert values[1][10] == "Thiệt hại khoảng 10 triệu đồng"


@pytest.mark.parametrize("query", [{**H1, "category": "phishing"}, {"from": "2026-06-30", "to": "2026-01-01"}])
def test_statistics_export_answers_400_for_bad_filters(client, auth, dataset, query):
    auth.login(dataset.manager)
    assert client.get("/reports/statistics.csv", query_string=query).status_code == 400
    assert client.get("/reports/statistics", query_string=query).status_code == 400


# --- the annual report --------------------------------------------------------------------------

@pytest.fixture
def systems(dataset, db):
    from datetime import date

    from csirt.incidents.models import incident_system
    from csirt.systems.models import Assessment, InformationSystem, LayerRecord

    def system(code, name, level, agency):
        row = InformationSystem(code=code, name=name, level=level, owner_agency_id=agency.id)
        db.session.add(row)
        db.session.flush()
        return row

    portal = system("HT-01", "Cổng thông tin điện tử", 3, dataset.a)
    mail = system("HT-02", "Thư điện tử công vụ", 2, dataset.a)
    his = system("HT-03", "Hệ thống thông tin bệnh viện", 3, dataset.b)
    for layer in (1, 2, 3, 4):  # the portal: all four layers valid on 14/12/2026
        db.session.add(LayerRecord(system_id=portal.id, layer=layer, provider=f"Nhà cung cấp {layer}",
                                   valid_from=date(2026, 1, 1), valid_to=date(2027, 12, 31),
                                   created_by_id=dataset.manager.id))
    db.session.add(Assessment(system_id=portal.id, performed_on=date(2026, 3, 1), assessor="Công ty Kiểm định",
                              created_by_id=dataset.manager.id))
    db.session.add(Assessment(system_id=his.id, performed_on=date(2025, 12, 1), assessor="Công ty Kiểm định",
                              created_by_id=dataset.manager.id))
    db.session.flush()
    links = [(dataset.incidents[0].id, portal.id), (dataset.incidents[4].id, his.id),
             (dataset.incidents[7].id, portal.id)]  # the last is rejected: not counted
    db.session.execute(incident_system.insert(), [{"incident_id": i, "system_id": s} for i, s in links])
    db.session.commit()
    return portal, mail, his


def test_annual_report_counts_systems_by_level_layers_assessments_and_incidents(client, auth, dataset, systems):
    from csirt.clock import freeze
    from csirt.reports.summary import annual

    freeze(__import__("datetime").datetime(2026, 12, 15, 3, 0))
    report = annual.compute(dataset.manager, annual.data_period(2026))
    assert report.period.first.isoformat() == "2025-12-15" and report.period.last.isoformat() == "2026-12-14"
    by_level = {x.level: (x.systems, x.all_valid, x.assessed, x.overdue, x.incidents) for x in report.levels}
    # level 3: the portal (all valid, assessed 1/3/2026, 1 counted incident) and the hospital system
    # (assessed 1/12/2025: before the period; due 1/12/2026 by the 12-month rule: overdue on 14/12)
    assert by_level[3] == (2, 1, 1, 1, 2)
    assert by_level[2] == (1, 0, 0, 1, 0)  # never assessed: overdue
    assert dict(report.agencies)["Sở Nội vụ"] == {1: 0, 2: 1, 3: 1, 4: 0, 5: 0}
    assert report.form.totals.total == 9  # 15/12/2025–14/12/2026 holds all ten but the rejected one
    scoped = annual.compute(dataset.liaison_b, annual.data_period(2026))
    assert [s.code for s in scoped.board.systems] == ["HT-03"]
    assert scoped.incidents == {systems[2].id: 1}


def test_annual_report_docx_and_xlsx_read_back(client, auth, dataset, systems):
    from csirt.clock import freeze

    freeze(__import__("datetime").datetime(2026, 12, 15, 3, 0))
    auth.login(dataset.manager)
    page = client.get("/reports/annual", query_string={"year": "2026"})
    assert page.status_code == 200 and "Cổng thông tin điện tử" in page.get_data(as_text=True)
    default = client.get("/reports/annual").get_data(as_text=True)  # 15/12/2026: this year's period
    assert "Kỳ số liệu: từ ngày 15/12/2025 đến ngày 14/12/2026." in default
    response = client.get("/reports/annual.docx", query_string={"from": "2025-12-15", "to": "2026-12-14"})
    assert response.status_code == 200
    text, cells = _docx_text(response.data)
    assert "Báo cáo hằng năm về hệ thống thông tin theo cấp độ (15/12/2025 – 14/12/2026)" in text
    portal = next(r for r in cells if r[1] == "HT-01")
    assert portal[2] == "Cổng thông tin điện tử" and portal[4:8] == ["Còn hiệu lực"] * 4
    response = client.get("/reports/annual.xlsx", query_string={"from": "2025-12-15", "to": "2026-12-14"})
    book = load_workbook(io.BytesIO(response.data))
    assert len(book.sheetnames) == 4
    levels = [[c.value for c in row] for row in book[book.sheetnames[0]].iter_rows()]
    assert levels[3][1:] == [2, 1, 1, 1, 2]  # level 3
    assert client.get("/reports/annual", query_string={"year": "20x6"}).status_code == 400
