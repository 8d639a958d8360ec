"""Forms 03 and 04 as .docx (read back with python-docx) and PDF (read back with pdftotext):
the incident's facts, Vietnamese diacritics intact, the [TBSC] subject, English on request, the
2026 regime's own-layout note, and the download audited."""
import io
import shutil
import subprocess
from datetime import datetime

import docx
import pytest

from csirt.audit.models import AuditLog
from csirt.reports.national import pdf

from .conftest import AGENCY, SYSTEM, TITLE

pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")


def docx_text(body):
    document = docx.Document(io.BytesIO(body))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return " ".join(" ".join(parts).split())


def pdf_text(body, tmp_path):
    path = tmp_path / "form.pdf"
    path.write_bytes(body)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
                         timeout=60)
    return " ".join(out.stdout.decode("utf-8").split())


def _get(client, auth, user, url):
    auth.login(user)
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def test_form03_docx_holds_the_incident_facts_with_vietnamese_intact(client, auth, world):
    incident = world["incident"]
    response = _get(client, auth, world["users"]["coordinator"], f"/incidents/{incident.id}/reports/form03.docx")
    assert response.mimetype.endswith("wordprocessingml.document")
    assert f"mau-03-{incident.reference}-vi.docx" in response.headers["Content-Disposition"]
    text = docx_text(response.data)
    assert f"[TBSC] {AGENCY} – {TITLE}" in text
    assert text.index("[TBSC]") < text.index("BÁO CÁO BAN ĐẦU SỰ CỐ AN TOÀN THÔNG TIN MẠNG")
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Mẫu số 03",
                     incident.reference, TITLE, AGENCY, SYSTEM, "10/08/2026 08:30", "Cấp độ 3",
                     "cttdt.example.gov.vn", "203.0.113.10", "10.10.0.5", "Ubuntu 22.04 LTS",
                     "Công ty Giám sát An toàn Đông Á", "Trung tâm Công nghệ thông tin và Truyền thông",
                     "Nguyễn Văn Điều Phối", "0912 000 111", "dieuphoi@skhcn.gov.vn", "Trần Thị Ứng Cứu",
                     "nhật-ký-truy-cập.log", "BKAV Endpoint", "Trung tâm dữ liệu tỉnh",
                     "Trang chủ bị thay bằng nội dung lạ.", "12/08/2026 10:00"):
        assert expected in text, expected
    assert "bố cục riêng" not in text  # the 2017 regime: the official form


@pdftotext
def test_form03_pdf_holds_the_same_text_with_diacritics_intact(client, auth, world, tmp_path):
    incident = world["incident"]
    response = _get(client, auth, world["users"]["coordinator"], f"/incidents/{incident.id}/reports/form03.pdf")
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
    text = pdf_text(response.data, tmp_path)
    for expected in (f"[TBSC] {AGENCY} – {TITLE}", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO BAN ĐẦU SỰ CỐ AN TOÀN THÔNG TIN MẠNG", "Mẫu số 03",
                     incident.reference, SYSTEM, "10/08/2026 08:30", "Công ty Giám sát An toàn Đông Á",
                     "nhật-ký-truy-cập.log"):
        assert expected in text, expected


@pdftotext
def test_the_english_export_has_english_labels(client, auth, world, tmp_path):
    incident = world["incident"]
    auth.login(world["users"]["coordinator"])
    body = client.get(f"/incidents/{incident.id}/reports/form03.docx?lang=en").data
    text = docx_text(body)
    for expected in ("SOCIALIST REPUBLIC OF VIETNAM", "Independence - Freedom - Happiness", "Form 03",
                     "INITIAL REPORT OF A CYBERSECURITY INCIDENT", "Information system affected", "Level 3",
                     SYSTEM, "10/08/2026 08:30"):
        assert expected in text, expected
    assert "CỘNG HÒA" not in text and "Hệ thống thông tin bị sự cố" not in text
    pdf_body = client.get(f"/incidents/{incident.id}/reports/form04.pdf?lang=en").data
    assert "CLOSING REPORT OF AN INCIDENT RESPONSE" in pdf_text(pdf_body, tmp_path)


def test_an_unknown_language_is_refused_with_400(client, auth, world):
    auth.login(world["users"]["coordinator"])
    response = client.get(f"/incidents/{world['incident'].id}/reports/form03.pdf?lang=fr")
    assert response.status_code == 400


def test_form04_lists_the_initial_report_outcome_and_actions(client, auth, world, db):
    from csirt.incidents import services
    from csirt.incidents.duty_models import SentReport

    incident = world["incident"]
    coordinator = world["users"]["coordinator"]
    services.add_note(coordinator, incident, "Khôi phục trang chủ từ bản sao lưu", kind="action")
    db.session.add(SentReport(incident_id=incident.id, duty="incident.initial_report", kind="initial",
                              sent_at=datetime(2026, 8, 10, 4, 0), channel="email", recipient="VNCERT/CC",
                              reference="15/BC-SKHCN", recorded_by_id=coordinator.id))
    db.session.commit()
    body = _get(client, auth, coordinator, f"/incidents/{incident.id}/reports/form04.docx").data
    text = docx_text(body)
    for expected in ("BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ", "Mẫu số 04", "15/BC-SKHCN", "10/08/2026 11:00",
                     "12/08/2026 10:00: Khôi phục trang chủ từ bản sao lưu", SYSTEM, "Cấp độ 3", TITLE):
        assert expected in text, expected
    assert "[TBSC]" not in text


def test_a_2026_regime_incident_is_marked_as_csirts_own_layout(client, auth, world, make, db):
    coordinator = world["users"]["coordinator"]
    from csirt.clock import freeze

    freeze(datetime(2026, 9, 2, 3, 0))
    incident = make.incident(actor=coordinator, agency_obj=world["agency"], title="Mã độc tống tiền",
                             discovered_at=datetime(2026, 9, 1, 2, 0))
    auth.login(coordinator)
    text = docx_text(client.get(f"/incidents/{incident.id}/reports/form03.docx").data)
    assert "bố cục riêng của csirt" in text
    assert "Nghị định 331/2026/NĐ-CP" in text
    page = client.get(f"/incidents/{incident.id}/reports/form03").get_data(as_text=True)
    assert 'id="national-own-layout"' in page


def test_a_download_is_audited(client, auth, world, db):
    incident = world["incident"]
    _get(client, auth, world["users"]["manager"], f"/incidents/{incident.id}/reports/form04.pdf?lang=en")
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "incident.national_report")).scalar_one()
    assert entry.after == {"form": "04", "format": "pdf", "lang": "en"}
    assert entry.actor_id == world["users"]["manager"].id


@pdftotext
def test_the_pdf_renderer_fetches_no_url_and_embeds_only_the_vendored_fonts(tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("p { color: red }")
    html = (f'<link rel="stylesheet" href="{secret.as_uri()}"><img src="http://127.0.0.1:9/x.png">'
            '<p style="font-family: sans-serif">Cổng thông tin điện tử tỉnh</p>')
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf.render(html))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, timeout=60).stdout.decode()
    embedded = [line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:]]
    assert embedded == ["CsirtSerif"]  # the stated family is not found: the vendored font stands in
    assert "Cổng thông tin điện tử tỉnh" in pdf_text(path.read_bytes(), tmp_path)
    urls = pdf.font_urls()
    assert len(urls) == 4 and all(p.exists() for p in urls.values())
    fetcher = pdf._fetcher_class()()
    for refused in (secret.as_uri(), "http://127.0.0.1:9/x.png", "data:text/css,p{}"):
        with pytest.raises(ValueError):
            fetcher.fetch(refused)
    assert fetcher.fetch(next(iter(urls))).read()[:4] == b"\x00\x01\x00\x00"
