"""An incident of the provincial portal with everything the forms read: its agency, reporter,
assignee, the linked system (domains, addresses, level, operator, purpose, hosting, a layer 2
provider), its server (operating system, role, antivirus, agent) and an evidence file."""
import io
from datetime import date, datetime

import pytest

from csirt.clock import freeze
from csirt.incidents import evidence as evidence_service
from csirt.systems.models import InformationSystem, LayerRecord, Server

NOW = datetime(2026, 8, 12, 3, 0)  # UTC: 12/08/2026 10:00 in Hanoi
DISCOVERED = datetime(2026, 8, 10, 8, 30)  # typed in Hanoi time (01:30 UTC): the 2017 regime
TITLE = "Tấn công thay đổi giao diện cổng thông tin"
AGENCY = "Sở Khoa học và Công nghệ"
SYSTEM = "Cổng thông tin điện tử tỉnh"


@pytest.fixture(autouse=True)
def frozen_clock():
    freeze(NOW)
    yield
    freeze(None)


@pytest.fixture
def world(db, make):
    agency = make.agency(name=AGENCY, code="SKHCN")
    other = make.agency(name="Sở Y tế", code="SYT")
    coordinator = make.user("coordinator", agency_obj=agency, full_name="Nguyễn Văn Điều Phối",
                            phone="0912 000 111", email="dieuphoi@skhcn.gov.vn")
    responder = make.user("responder", agency_obj=agency, full_name="Trần Thị Ứng Cứu", phone="0912 000 222",
                          email="ungcuu@skhcn.gov.vn")
    server = Server(hostname="web-cttdt-01", agency_id=agency.id, addresses=["10.10.0.5"], kind="virtual",
                    operating_system="Ubuntu 22.04 LTS", role="Máy chủ web (Apache, PHP)",
                    antivirus_expected="BKAV Endpoint", agent_expected="Wazuh 4.7")
    system = InformationSystem(code="CTTDT", name=SYSTEM, level=3, owner_agency_id=agency.id,
                               operator="Trung tâm Công nghệ thông tin và Truyền thông",
                               purpose="Cung cấp thông tin cho người dân", hosting="Trung tâm dữ liệu tỉnh",
                               domains=["cttdt.example.gov.vn"], public_addresses=["203.0.113.10"],
                               servers=[server])
    db.session.add(system)
    db.session.flush()
    db.session.add(LayerRecord(system_id=system.id, layer=2, provider="Công ty Giám sát An toàn Đông Á",
                               valid_from=date(2026, 1, 1), valid_to=date(2027, 12, 31),
                               created_by_id=coordinator.id))
    db.session.commit()
    incident = make.incident(actor=coordinator, agency_obj=agency, title=TITLE, category="defacement",
                             description="Trang chủ bị thay bằng nội dung lạ.", discovered_at=DISCOVERED,
                             system_ids=[system.id], server_ids=[server.id], assignee_id=responder.id)
    evidence_service.add_evidence(coordinator, incident, io.BytesIO(b"GET / 200\n"), "nhật-ký-truy-cập.log")
    db.session.refresh(incident)
    users = {"coordinator": coordinator, "responder": responder,
             "manager": make.user("manager", agency_obj=other),
             "member_own": make.user("member", agency_obj=agency),
             "member_other": make.user("member", agency_obj=other)}
    return {"incident": incident, "system": system, "users": users, "agency": agency}
