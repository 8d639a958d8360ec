"""Defects found in review, each pinned: control characters in stored text do not break the
.docx; answers refuse them; a prefill longer than its field's limit posts back unchanged (and is
not stored); textareas' \\r\\n compare equal to the prefill's \\n; an unanswered yes/no question
stays unanswered when other answers are saved."""
import re
from datetime import datetime

import pytest

from csirt.incidents.duty_models import IncidentFacts, SentReport
from csirt.reports.national import forms
from tests.conftest import csrf_from

from .test_exports import docx_text
from .test_pages import _facts, _timeline_kinds, _url

CONTROL = "Dòng\x0bmột\x1bhai"  # a vertical tab and an escape: XML cannot hold either


def _selected(html, name):
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    match = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select)
    if not match:
        return ""
    return match.group(1) if match.group(1) is not None else match.group(2)


def test_control_characters_in_stored_text_do_not_break_the_docx(client, auth, world, db):
    incident = world["incident"]
    incident.description = f"Mô tả {CONTROL}"
    db.session.add(IncidentFacts(incident_id=incident.id, damage_estimate=f"Thiệt hại {CONTROL}",
                                 answers={"support_requested": f"Hỗ trợ {CONTROL}", "lessons": CONTROL}))
    db.session.commit()
    auth.login(world["users"]["coordinator"])
    form03 = client.get(_url(world, suffix=".docx"))
    assert form03.status_code == 200
    text = docx_text(form03.data)
    assert "Mô tả Dòngmộthai" in text and "Hỗ trợ Dòngmộthai" in text
    form04 = client.get(_url(world, "form04", ".docx?lang=en"))
    assert form04.status_code == 200
    assert "Thiệt hại Dòngmộthai" in docx_text(form04.data)
    assert client.get(_url(world, suffix=".pdf")).status_code == 200  # WeasyPrint takes them as they are


@pytest.mark.parametrize("data, field", [
    ({"support_requested": "a\x0bb"}, "support_requested"),  # multi-line: no control character
    ({"support_requested": "a\x1bb"}, "support_requested"),
    ({"connectivity_provider": "VNPT\tKhánh Hòa"}, "connectivity_provider"),  # one line: not even a tab
    ({"connectivity_provider": "VNPT\x1b"}, "connectivity_provider"),
])
def test_answers_with_control_characters_are_refused(client, auth, world, db, data, field):
    auth.login(world["users"]["coordinator"])
    token = csrf_from(client.get(_url(world)).get_data(as_text=True))
    response = client.post(_url(world), data={"version": "0", **data, "csrf_token": token})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert re.search(rf'<[^>]*is-invalid[^>]*name="{field}"', html), field
    assert _facts(db, world) is None


def test_a_multi_line_answer_keeps_tabs_and_newlines(client, auth, world, db):
    auth.login(world["users"]["coordinator"])
    token = csrf_from(client.get(_url(world)).get_data(as_text=True))
    response = client.post(_url(world), data={"version": "0", "support_requested": "Một\tHai\r\nBa",
                                              "csrf_token": token})
    assert response.status_code == 302
    assert _facts(db, world).answers == {"support_requested": "Một\tHai\nBa"}  # \r\n stored as \n


def _as_browser_posts(html, form):
    """What a browser sends for the page unchanged: inputs' values (newlines dropped), textareas'
    text with \\r\\n line breaks, the selected options."""
    from html import unescape

    data = {}
    for f in form.editable:
        if f.kind in ("flag", "choice"):
            data[f.key] = _selected(html, f.key)
        elif f.kind == "text":
            body = re.search(rf'<textarea[^>]*name="{f.key}"[^>]*>\r?\n?(.*?)</textarea>', html, re.S).group(1)
            data[f.key] = unescape(body).replace("\r\n", "\n").replace("\n", "\r\n")
        else:
            value = re.search(rf'<input[^>]*name="{f.key}"[^>]*value="([^"]*)"', html)
            data[f.key] = unescape(value.group(1)).replace("\n", "").replace("\r", "") if value else ""
    data["version"] = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    data["csrf_token"] = csrf_from(html)
    return data


@pytest.fixture
def long_prefills(world, db, make):
    incident = world["incident"]
    coordinator = world["users"]["coordinator"]
    incident.description = "\n".join(f"Dòng {n}: " + "nội dung dài " * 160 for n in range(10))  # ~20,000 chars
    incident.title = ("Tấn công " + "rất dài " * 40)[:290]
    incident.affected_systems = "\n".join(f"Hệ thống phụ số {n} của tỉnh" for n in range(12))
    for n in range(15):
        db.session.add(SentReport(incident_id=incident.id, kind="update", sent_at=datetime(2026, 8, 11, n, 0),
                                  channel="email", recipient=f"Cơ quan nhận báo cáo số {n} của Bộ",
                                  recorded_by_id=coordinator.id))
    world["system"].domains = [f"ten-mien-{n}.example.gov.vn" for n in range(20)]
    db.session.commit()
    return incident


@pytest.mark.parametrize("slug", ["form03", "form04"])
def test_the_page_posted_back_unchanged_is_accepted_and_stores_nothing(client, auth, world, db, long_prefills,
                                                                       slug):
    from csirt.reports.national import facts as known_facts

    known = known_facts.known(long_prefills, datetime(2026, 8, 12, 3, 0))
    assert len(known["description"]) > forms.TEXT_LIMIT and "\n" in known["description"]
    for key in ("notified", "incident_name", "system_name", "domains"):
        assert len(known[key]) > forms.LINE_LIMIT, key
    auth.login(world["users"]["coordinator"])
    html = client.get(_url(world, slug)).get_data(as_text=True)
    response = client.post(_url(world, slug), data=_as_browser_posts(html, forms.FORMS[slug]))
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert _facts(db, world) is None and "facts" not in _timeline_kinds(db, world)  # nothing stored


def test_a_changed_long_value_is_still_held_to_the_limit(client, auth, world, db, long_prefills):
    auth.login(world["users"]["coordinator"])
    html = client.get(_url(world)).get_data(as_text=True)
    data = _as_browser_posts(html, forms.FORM03)
    data["notified"] = data["notified"] + " và Sở Thông tin"
    assert client.post(_url(world), data=data).status_code == 400
    assert _facts(db, world) is None


def test_a_multi_line_prefill_sent_with_crlf_is_not_frozen_as_an_answer(client, auth, world, db):
    world["incident"].description = "Dòng một\nDòng hai\nDòng ba"
    db.session.commit()
    auth.login(world["users"]["coordinator"])
    html = client.get(_url(world)).get_data(as_text=True)
    data = _as_browser_posts(html, forms.FORM03)
    assert data["description"] == "Dòng một\r\nDòng hai\r\nDòng ba"
    data["support_requested"] = "Cần hỗ trợ"
    assert client.post(_url(world), data=data).status_code == 302
    assert _facts(db, world).answers == {"support_requested": "Cần hỗ trợ"}  # the description is not kept
    world["incident"].description = "Mô tả mới"  # so a later change of the incident still shows
    db.session.commit()
    page = client.get(_url(world)).get_data(as_text=True)
    assert "Mô tả mới</textarea>" in page


def test_unanswered_yes_no_questions_stay_unanswered_when_other_answers_are_saved(client, auth, world, db):
    auth.login(world["users"]["coordinator"])
    token = csrf_from(client.get(_url(world)).get_data(as_text=True))
    response = client.post(_url(world), data={"version": "0", "support_requested": "Cần hỗ trợ",
                                              "beyond_capacity": "", "national_security": "",
                                              "csrf_token": token})
    assert response.status_code == 302
    facts = _facts(db, world)
    assert facts.version == 1 and facts.beyond_capacity is False and facts.national_security is False
    html = client.get(_url(world)).get_data(as_text=True)
    assert _selected(html, "beyond_capacity") == "" and _selected(html, "national_security") == ""
    text = docx_text(client.get(_url(world, suffix=".docx")).data)
    assert "Vượt quá khả năng xử lý của đơn vị vận hành Không" not in text
    assert "Ảnh hưởng đến an ninh quốc gia, trật tự an toàn xã hội Không" not in text
    # answering "no" to one is a change, and that one alone now shows "No"
    response = client.post(_url(world), data={"version": "1", "support_requested": "Cần hỗ trợ",
                                              "national_security": "no", "csrf_token": csrf_from(html)})
    assert response.status_code == 302
    facts = _facts(db, world)
    assert facts.version == 2 and facts.answers["_answered"] == ["national_security"]
    html = client.get(_url(world)).get_data(as_text=True)
    assert _selected(html, "beyond_capacity") == "" and _selected(html, "national_security") == "no"
    text = docx_text(client.get(_url(world, suffix=".docx")).data)
    assert "Vượt quá khả năng xử lý của đơn vị vận hành Không" not in text
    assert "Ảnh hưởng đến an ninh quốc gia, trật tự an toàn xã hội Không" in text
