"""The Form 03 and Form 04 pages: prefilled with what csirt knows, the unknown fields asked; saving
stores the answers once (typed columns and `answers`), writes one timeline and one audit entry,
starts the clocks the answers call for, and the next export uses them. Bad input, a stale form,
a missing CSRF token and people who may not edit change nothing; another agency's liaison learns
nothing."""
import io
import re

import docx
import pytest

from csirt.audit.models import AuditLog
from csirt.incidents.duty_models import IncidentFacts
from csirt.incidents.models import IncidentClock, TimelineEntry
from tests.conftest import csrf_from

from .conftest import AGENCY, SYSTEM, TITLE


def _url(world, slug="form03", suffix=""):
    return f"/incidents/{world['incident'].id}/reports/{slug}{suffix}"


def _docx_text(body):
    document = docx.Document(io.BytesIO(body))
    parts = [p.text for p in document.paragraphs]
    parts += [c.text for t in document.tables for r in t.rows for c in r.cells]
    return " ".join(" ".join(parts).split())


def _facts(db, world):
    db.session.expire_all()
    return db.session.get(IncidentFacts, world["incident"].id)


def _timeline_kinds(db, world):
    return [k for (k,) in db.session.execute(db.select(TimelineEntry.kind).where(
        TimelineEntry.incident_id == world["incident"].id).order_by(TimelineEntry.id))]


def _value(html, name):
    match = re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*?(?:value="([^"]*)"[^>]*)?>([^<]*)', html)
    assert match, name
    return match.group(1) if match.group(1) is not None else match.group(2).strip()


@pytest.fixture
def coordinator_page(client, auth, world):
    auth.login(world["users"]["coordinator"])
    response = client.get(_url(world))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_form03_page_is_prefilled_with_what_csirt_knows_and_asks_the_rest(coordinator_page, world):
    html = coordinator_page
    assert f'value="[TBSC] {AGENCY} – {TITLE}"' in html
    assert _value(html, "system_name") == SYSTEM
    assert _value(html, "discovered_at") == "10/08/2026 08:30"
    assert _value(html, "reporter_email") == "dieuphoi@skhcn.gov.vn"
    assert _value(html, "security_provider") == "Công ty Giám sát An toàn Đông Á"
    assert _value(html, "connectivity_provider") == ""  # csirt cannot know it: asked
    assert _value(html, "support_requested") == ""
    assert 'name="version" type="hidden" value="0"' in html
    assert 'id="national-save"' in html and 'id="national-own-layout"' not in html


def test_the_incident_page_links_to_both_forms(client, auth, world):
    auth.login(world["users"]["member_own"])
    html = client.get(f"/incidents/{world['incident'].id}").get_data(as_text=True)
    assert _url(world, "form03") in html and _url(world, "form04") in html


def _post(client, world, data, slug="form03", token=None, html=None):
    token = token or csrf_from(html or client.get(_url(world, slug)).get_data(as_text=True))
    return client.post(_url(world, slug), data={"version": "0", **data, "csrf_token": token})


def test_saving_stores_the_answers_once_and_the_next_export_uses_them(client, coordinator_page, world, db):
    response = _post(client, world, {"connectivity_provider": "VNPT Khánh Hòa",
                                     "support_requested": "Đề nghị hỗ trợ phân tích mã độc",
                                     "reporter_phone": "0258 3 822 822",  # a known value reworded
                                     "system_name": SYSTEM,  # a known value unchanged: not stored
                                     "beyond_capacity": "yes", "national_security": "no"},
                     html=coordinator_page)
    assert response.status_code == 302 and response.headers["Location"].endswith(_url(world))
    facts = _facts(db, world)
    assert facts.beyond_capacity is True and facts.national_security is False
    assert facts.answers == {"connectivity_provider": "VNPT Khánh Hòa",
                             "support_requested": "Đề nghị hỗ trợ phân tích mã độc",
                             "reporter_phone": "0258 3 822 822",
                             "_answered": ["beyond_capacity", "national_security"]}
    assert facts.version == 1 and facts.updated_by_id == world["users"]["coordinator"].id
    assert _timeline_kinds(db, world).count("facts") == 1
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "incident.facts")).scalar_one()
    assert entry.after == {"answers.connectivity_provider": "VNPT Khánh Hòa",
                           "answers.reporter_phone": "0258 3 822 822",
                           "answers.support_requested": "Đề nghị hỗ trợ phân tích mã độc",
                           "beyond_capacity": True, "national_security": False}  # answered "no"
    # beyond the operator's capacity: the 2017 initial report (Form 03) is now a duty with a clock
    keys = {c.key for c in db.session.execute(db.select(IncidentClock).where(
        IncidentClock.incident_id == world["incident"].id)).scalars()}
    assert "incident.initial_report" in keys
    text = _docx_text(client.get(_url(world, suffix=".docx")).data)
    assert "Đơn vị cung cấp dịch vụ kết nối (ISP) VNPT Khánh Hòa" in text
    assert "Đề nghị hỗ trợ Đề nghị hỗ trợ phân tích mã độc" in text
    assert "0258 3 822 822" in text and "0912 000 111" not in text
    assert "Vượt quá khả năng xử lý của đơn vị vận hành Có" in text
    page = client.get(_url(world)).get_data(as_text=True)
    assert _value(page, "connectivity_provider") == "VNPT Khánh Hòa"
    assert 'name="version" type="hidden" value="1"' in page


def test_saving_the_same_answers_again_writes_nothing(client, coordinator_page, world, db):
    _post(client, world, {"support_requested": "Cần chuyên gia"}, html=coordinator_page)
    again = _post(client, world, {"support_requested": "Cần chuyên gia", "version": "1"})
    assert again.status_code == 302
    assert _timeline_kinds(db, world).count("facts") == 1 and _facts(db, world).version == 1


def test_form04_asks_how_it_was_handled_and_the_damage(client, auth, world, db):
    auth.login(world["users"]["responder"])
    response = _post(client, world, {"handled_with": "domestic", "damage_estimate": "Khoảng 20 triệu đồng",
                                     "lessons": "Cập nhật bản vá định kỳ"}, slug="form04")
    assert response.status_code == 302
    facts = _facts(db, world)
    assert facts.handled_with == "domestic" and facts.damage_estimate == "Khoảng 20 triệu đồng"
    assert facts.answers == {"lessons": "Cập nhật bản vá định kỳ"}
    text = _docx_text(client.get(_url(world, "form04", ".docx")).data)
    assert "Hình thức xử lý Có hỗ trợ của tổ chức trong nước" in text
    assert "Bài học kinh nghiệm Cập nhật bản vá định kỳ" in text
    assert "Ước tính thiệt hại Khoảng 20 triệu đồng" in text


@pytest.mark.parametrize("data, field", [
    ({"beyond_capacity": "maybe"}, "beyond_capacity"),
    ({"handled_with": "aliens"}, "handled_with"),
    ({"connectivity_provider": "x" * 301}, "connectivity_provider"),
    ({"support_requested": "a\x00b"}, "support_requested"),
])
def test_invalid_input_is_refused_with_400_and_nothing_is_stored(client, auth, world, db, data, field):
    auth.login(world["users"]["coordinator"])
    slug = "form04" if field == "handled_with" else "form03"
    response = _post(client, world, data, slug=slug)
    assert response.status_code == 400
    assert 'is-invalid' in response.get_data(as_text=True)
    assert _facts(db, world) is None and "facts" not in _timeline_kinds(db, world)


def test_a_stale_form_is_refused_with_409(client, coordinator_page, world, db):
    _post(client, world, {"support_requested": "Lần một"}, html=coordinator_page)
    stale = _post(client, world, {"support_requested": "Lần hai", "version": "0"})
    assert stale.status_code == 409
    assert _facts(db, world).answers == {"support_requested": "Lần một"}


def test_a_missing_csrf_token_is_refused_and_changes_nothing(client, coordinator_page, world, db):
    response = client.post(_url(world), data={"version": "0", "support_requested": "không có token"})
    assert response.status_code == 400
    assert _facts(db, world) is None and "facts" not in _timeline_kinds(db, world)


@pytest.mark.parametrize("role", ["manager", "member_own"])
def test_readers_may_read_and_download_but_not_save(client, auth, world, db, role):
    auth.login(world["users"][role])
    page = client.get(_url(world))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="national-save"' not in html and "disabled" in html
    assert client.get(_url(world, suffix=".docx")).status_code == 200
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    refused = _post(client, world, {"support_requested": "Tôi muốn sửa"}, token=token)
    assert refused.status_code == 403
    assert _facts(db, world) is None


def test_another_agencys_liaison_can_neither_see_nor_export(client, auth, world, db):
    auth.login(world["users"]["member_other"])
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    for url in (_url(world), _url(world, "form04"), _url(world, suffix=".docx"), _url(world, "form04", ".pdf")):
        response = client.get(url)
        assert response.status_code == 404
        assert TITLE not in response.get_data(as_text=True)
    assert _post(client, world, {"support_requested": "x"}, token=token).status_code == 404
    assert _facts(db, world) is None
