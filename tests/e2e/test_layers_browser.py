"""A liaison records a protection layer of their system with its evidence file in a real browser,
and sees the layer's status change on the system page and in the compliance matrix."""
import hashlib
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext

from csirt.extensions import db
from csirt.systems.dates import today
from csirt.systems.models import InformationSystem

pytestmark = pytest.mark.e2e


def tr(message, locale="vi", **values):
    with force_locale(locale):
        return gettext(message, **values)


def test_a_liaison_records_layer_2_with_evidence_and_sees_its_status_change(web, make, tmp_path):
    agency = make.agency(code="SO-TTTT", name="Sở Thông tin và Truyền thông")
    liaison = make.user("member", agency_obj=agency, full_name="Lò Văn Dũng")
    system = InformationSystem(code="HT-IGATE", name="Cổng dịch vụ công", level=3, owner_agency_id=agency.id)
    db.session.add(system)
    db.session.commit()
    contract = tmp_path / "hop-dong-giam-sat.pdf"
    contract.write_bytes(b"%PDF-1.7\nHop dong giam sat an toan thong tin 2026\n" * 40)
    expected = hashlib.sha256(contract.read_bytes()).hexdigest()
    day = today()

    web.login(liaison)
    web.go(f"/systems/{system.id}")
    assert web.find("#layer-2-status").get_attribute("data-status") == "missing"
    assert web.text("#layer-2-status") == tr("missing")
    web.go("/compliance")
    cell = 'tr[data-system="HT-IGATE"] td[data-layer="2"] [data-status]'
    assert web.find(cell).get_attribute("data-status") == "missing"

    web.go(f"/systems/{system.id}")
    web.submit("#add-layer-2")
    assert web.find("#layer").get_attribute("value") == "2"
    web.fill("#provider", "VNPT Lào Cai")
    web.fill("#reference", "HĐ 15/2026/VNPT-STTTT")
    web.set_value("#valid_from", (day - timedelta(days=10)).isoformat())
    web.set_value("#valid_to", (day + timedelta(days=200)).isoformat())
    web.submit("#save-layer")
    assert tr("Layer %(layer)d was recorded.", layer=2) in web.text(".alert-success")

    web.find("#file").send_keys(str(contract))
    web.fill("#description", "Hợp đồng giám sát đã ký")
    web.submit("#upload-layer-evidence")
    assert expected in web.text(".alert-success")
    assert web.text("#layer-evidence .hash") == f"SHA-256 {expected}"
    assert "hop-dong-giam-sat.pdf" in web.text("#layer-evidence")

    web.go(f"/systems/{system.id}")
    assert web.find("#layer-2-status").get_attribute("data-status") == "valid"
    assert web.text("#layer-2-status") == tr("valid")
    assert "VNPT Lào Cai" in web.text("#layer-2")
    assert web.find("#layer-1-status").get_attribute("data-status") == "missing"
    web.go("/compliance")
    assert web.find(cell).get_attribute("data-status") == "valid"
