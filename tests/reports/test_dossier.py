"""The level dossier of an information system: the printable page and the .docx hold the system,
its level and approval, its servers, its four layers with evidence (SHA-256) and its assessments;
only those who may see the system get it; the download is audited."""
import io
from datetime import date, datetime

import docx
import pytest

from csirt.audit.models import AuditLog
from csirt.clock import freeze
from csirt.systems.models import Assessment, Finding, InformationSystem, LayerEvidence, LayerRecord, Server

SHA = "ab" * 32


@pytest.fixture(autouse=True)
def frozen_clock():
    freeze(datetime(2026, 11, 20, 3, 0))
    yield
    freeze(None)


@pytest.fixture
def dossier(db, make):
    agency = make.agency(name="Sở Thông tin và Truyền thông")
    liaison = make.user("liaison", agency_obj=agency)
    server = Server(hostname="web-dvc-01", agency_id=agency.id, addresses=["10.0.0.5"], kind="virtual",
                    operating_system="Ubuntu 24.04", data_centre="Trung tâm dữ liệu tỉnh", rack="R2",
                    baseline_ports="22/tcp, 443/tcp", antivirus_expected="BKAV", agent_expected="Wazuh")
    system = InformationSystem(code="DVC", name="Cổng dịch vụ công", level=3, owner_agency_id=agency.id,
                               operator="Trung tâm Công nghệ số", level_decision="123/QĐ-UBND",
                               level_decision_date=date(2025, 3, 4), level_approver="Chủ tịch UBND tỉnh",
                               domains=["dichvucong.example.vn"], servers=[server])
    db.session.add(system)
    db.session.flush()
    for n in (1, 2, 3, 4):
        db.session.add(LayerRecord(system_id=system.id, layer=n, provider=f"Đơn vị bảo vệ lớp {n}",
                                   reference=f"HĐ-{n}/2026", valid_from=date(2026, 1, 1),
                                   valid_to=date(2027, 12, 31), created_by_id=liaison.id))
    db.session.flush()
    first = db.session.execute(db.select(LayerRecord).where(LayerRecord.system_id == system.id,
                                                            LayerRecord.layer == 1)).scalar_one()
    db.session.add(LayerEvidence(record_id=first.id, original_name="quyết-định-lực-lượng.pdf",
                                 stored_name="x" * 64, size=2048, sha256=SHA, added_by_id=liaison.id))
    assessment = Assessment(system_id=system.id, performed_on=date(2026, 6, 15), assessor="Trung tâm đánh giá",
                            kind="technical", report_reference="BC-15/2026", created_by_id=liaison.id)
    db.session.add(assessment)
    db.session.flush()
    db.session.add(Finding(assessment_id=assessment.id, title="Chưa vá lỗ hổng OpenSSL", severity="high",
                           remediation_owner="Tổ kỹ thuật", due_on=date(2026, 12, 1)))
    db.session.commit()
    return {"system": system, "liaison": liaison}


def test_the_dossier_page_shows_the_system_layers_evidence_servers_and_assessments(client, auth, dossier):
    auth.login(dossier["liaison"])
    system_page = client.get(f"/systems/{dossier['system'].id}").get_data(as_text=True)
    assert f"/systems/{dossier['system'].id}/dossier" in system_page
    response = client.get(f"/systems/{dossier['system'].id}/dossier")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in ("Cổng dịch vụ công", "123/QĐ-UBND", "04/03/2025", "web-dvc-01", "22/tcp, 443/tcp",
                 "Đơn vị bảo vệ lớp 4", "quyết-định-lực-lượng.pdf", SHA, "BC-15/2026",
                 "Chưa vá lỗ hổng OpenSSL", "20/11/2026", "data-print", "print.js", "Hồ sơ cấp độ: DVC",
                 "Bốn lớp bảo vệ", "Hạn đánh giá tiếp theo"):
        assert text in page, text


def test_the_docx_holds_the_same_facts_in_vietnamese_and_its_download_is_audited(app, client, auth, dossier, db):
    auth.login(dossier["liaison"])
    response = client.get(f"/systems/{dossier['system'].id}/dossier.docx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert "ho-so-cap-do-DVC.docx" in response.headers["Content-Disposition"]
    document = docx.Document(io.BytesIO(response.data))
    text = "\n".join([p.text for p in document.paragraphs]
                     + [c.text for t in document.tables for r in t.rows for c in r.cells])
    for expected in ("Cổng dịch vụ công", "Chủ tịch UBND tỉnh", "web-dvc-01", SHA, "quyết-định-lực-lượng.pdf",
                     "Chưa vá lỗ hổng OpenSSL", "04/03/2025", "Hồ sơ cấp độ: DVC", "Bốn lớp bảo vệ"):
        assert expected in text, expected
    entries = db.session.execute(db.select(AuditLog).where(AuditLog.action == "system.dossier")).scalars().all()
    assert len(entries) == 1
    assert entries[0].object_id == str(dossier["system"].id)
    assert entries[0].actor_id == dossier["liaison"].id


def test_the_dossier_speaks_english_to_an_english_speaking_user(client, auth, dossier, db):
    dossier["liaison"].locale = "en"
    db.session.commit()
    auth.login(dossier["liaison"])
    page = client.get(f"/systems/{dossier['system'].id}/dossier").get_data(as_text=True)
    for text in ("Level dossier: DVC", "The four protection layers", "web-dvc-01", "4 Mar 2025", "Last assessments"):
        assert text in page, text
    assert "Bốn lớp bảo vệ" not in page


def test_a_liaison_of_another_agency_gets_404_for_the_page_and_the_docx(client, auth, dossier, make, db):
    auth.login(make.user("liaison"))
    system_id = dossier["system"].id
    assert client.get(f"/systems/{system_id}/dossier").status_code == 404
    assert client.get(f"/systems/{system_id}/dossier.docx").status_code == 404
    assert db.session.execute(db.select(AuditLog).where(AuditLog.action == "system.dossier")).first() is None


def test_anonymous_is_sent_to_the_login_page(client, dossier):
    for suffix in ("dossier", "dossier.docx"):
        response = client.get(f"/systems/{dossier['system'].id}/{suffix}")
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
