"""The rules pages: who may read, who may change, and what a change writes (audit, version,
validation, overlaps), through the real forms with their CSRF tokens."""
import re
from datetime import date

import pytest
import sqlalchemy as sa

from csirt.audit.models import AuditLog
from csirt.rules import keys, lookup
from csirt.rules.models import Rule
from tests.conftest import csrf_from

FIRST_2026 = date(2026, 8, 19)


def table(db):
    """Every rule row, as plain tuples (what a refused request must leave unchanged)."""
    return db.session.execute(sa.select(Rule.id, Rule.regime, Rule.key, Rule.level, Rule.value, Rule.unit,
                                        Rule.legal_reference, Rule.effective_from, Rule.effective_to,
                                        Rule.confirmed, Rule.notes, Rule.version).order_by(Rule.id)).all()


def rule_actions(db):
    return db.session.execute(sa.select(AuditLog).where(AuditLog.action.like("rule.%")).order_by(AuditLog.id)
                              ).scalars().all()


def report_2026(db):
    return db.session.execute(sa.select(Rule).where(Rule.key == keys.INCIDENT_REPORT)).scalar_one()


def form_of(rule, **changes):
    data = {"value": rule.value, "unit": rule.unit, "legal_reference": rule.legal_reference,
            "effective_from": rule.effective_from.isoformat(),
            "effective_to": rule.effective_to.isoformat() if rule.effective_to else "",
            "notes": rule.notes, "version": str(rule.version)}
    if rule.confirmed:
        data["confirmed"] = "y"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def invalid_fields(page):
    """The ids of the form fields the page marks invalid."""
    return set(re.findall(r'class="[^"]*is-invalid[^"]*" id="([a-z_]+)"', page))


def post(client, path, data):
    token = csrf_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


@pytest.fixture
def admin(make, auth):
    user = make.user("admin")
    auth.login(user)
    return user


def test_the_list_shows_both_regimes_and_marks_unconfirmed_rows(client, admin, db):
    page = client.get("/rules/").get_data(as_text=True)
    assert 'id="regime-2017"' in page and 'id="regime-2026"' in page
    unconfirmed = db.session.execute(sa.select(sa.func.count()).select_from(Rule).where(~Rule.confirmed)).scalar()
    assert unconfirmed > 0 and page.count("data-unconfirmed") == unconfirmed
    assert "chưa xác nhận" in page  # Vietnamese is the default locale
    assert "Thông tư 20/2017/TT-BTTTT" in page and "Nghị định 331/2026/NĐ-CP" in page


@pytest.mark.parametrize("role", ["manager", "coordinator"])
def test_managers_and_coordinators_read_but_cannot_change(client, auth, make, db, role):
    auth.login(make.user(role))
    page = client.get("/rules/")
    assert page.status_code == 200 and "data-unconfirmed" in page.get_data(as_text=True)
    assert "/edit" not in page.get_data(as_text=True)
    rule, before = report_2026(db), table(db)
    token = csrf_from(page.get_data(as_text=True))
    for path in (f"/rules/{rule.id}/edit", f"/rules/{rule.id}/supersede", "/rules/new"):
        assert client.get(path).status_code == 403
        response = client.post(path, data={**form_of(rule, value="1"), "regime": "2026",
                                           "key": keys.INCIDENT_REPORT, "csrf_token": token})
        assert response.status_code == 403
    assert table(db) == before and rule_actions(db) == []
    denied = db.session.execute(sa.select(AuditLog).where(AuditLog.action == "auth.denied")).scalars().all()
    assert len(denied) >= 3


@pytest.mark.parametrize("role", ["responder", "member"])
def test_responders_and_liaisons_may_not_even_read(client, auth, make, db, role):
    auth.login(make.user(role))
    assert client.get("/rules/").status_code == 403
    assert "/rules/" not in client.get("/incidents").get_data(as_text=True)


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/rules/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_edit_is_saved_versioned_and_audited(client, admin, db):
    rule = report_2026(db)
    old_version = rule.version
    response = post(client, f"/rules/{rule.id}/edit", form_of(rule, value="48", confirmed="y",
                                                              notes="Đã đối chiếu văn bản gốc"))
    assert response.status_code == 302
    db.session.expire_all()
    rule = report_2026(db)
    assert (rule.value, rule.confirmed, rule.version) == ("48", True, old_version + 1)
    [entry] = rule_actions(db)
    assert (entry.action, entry.actor_id, entry.object_type, entry.object_id) == ("rule.update", admin.id, "rule",
                                                                                str(rule.id))
    assert entry.before["value"] == "72" and entry.after["value"] == "48"
    assert entry.before["confirmed"] is False and entry.after["confirmed"] is True
    assert "legal_reference" not in entry.after  # only what changed


def test_a_stale_form_is_refused_and_shows_what_was_saved(client, admin, db):
    rule = report_2026(db)
    stale = form_of(rule, value="48")
    assert post(client, f"/rules/{rule.id}/edit", form_of(rule, value="60")).status_code == 302
    before = table(db)
    response = post(client, f"/rules/{rule.id}/edit", stale)
    assert response.status_code == 409 and 'id="saved-meanwhile"' in response.get_data(as_text=True)
    assert table(db) == before


@pytest.mark.parametrize("changes, field", [
    ({"value": "abc"}, "value"),
    ({"value": "-5"}, "value"),
    ({"value": "1.5"}, "value"),
    ({"unit": "date", "value": "13-40"}, "value"),
    ({"unit": "weeks"}, "unit"),
    ({"effective_to": "2026-08-19"}, "effective_to"),   # the end must come after the start
    ({"effective_from": "19/08/2026"}, "effective_from"),
    ({"legal_reference": " "}, "legal_reference"),
])
def test_bad_input_is_refused_with_a_message_on_the_field_and_changes_nothing(client, admin, db, changes, field):
    rule = report_2026(db)
    before = table(db)
    response = post(client, f"/rules/{rule.id}/edit", form_of(rule, **changes))
    assert response.status_code == 400
    assert invalid_fields(response.get_data(as_text=True)) == {field}
    assert table(db) == before and rule_actions(db) == []


def test_a_row_overlapping_another_for_the_same_key_and_level_is_refused(client, admin, db):
    before = table(db)
    response = post(client, "/rules/new", {"regime": "2027", "key": keys.INCIDENT_NOTICE, "level": "",
                                           "value": "12", "unit": "hours", "legal_reference": "Nghị định mới",
                                           "effective_from": "2027-01-01"})
    page = response.get_data(as_text=True)
    seeded = lookup.lookup(keys.INCIDENT_NOTICE, FIRST_2026)
    assert response.status_code == 400 and invalid_fields(page) == {"effective_from"}
    assert f"#{seeded.id}" in page  # the message names the row it overlaps
    assert table(db) == before and rule_actions(db) == []
    # a wider edit of an existing row that would reach into the other regime is refused too
    rule_2017 = lookup.lookup(keys.INCIDENT_NOTICE, date(2020, 1, 1))
    response = post(client, f"/rules/{rule_2017.id}/edit", form_of(rule_2017, effective_to=""))
    assert response.status_code == 400 and invalid_fields(response.get_data(as_text=True)) == {"effective_from"}
    assert table(db) == before


def test_a_row_for_one_level_may_sit_beside_the_row_for_every_level(client, admin, db):
    response = post(client, "/rules/new", {"regime": "2026", "key": keys.INCIDENT_NOTICE, "level": "5",
                                           "value": "12", "unit": "hours", "legal_reference": "Quy định thử",
                                           "effective_from": "2026-08-19"})
    assert response.status_code == 302
    assert lookup.lookup(keys.INCIDENT_NOTICE, FIRST_2026, level=5).value == "12"
    [entry] = rule_actions(db)
    assert entry.action == "rule.create" and entry.after["level"] == 5


def test_a_new_version_ends_the_old_row_the_day_it_starts(client, admin, db):
    rule = report_2026(db)
    response = post(client, f"/rules/{rule.id}/supersede",
                    form_of(rule, regime="2026", value="48", effective_from="2027-07-01", effective_to=""))
    assert response.status_code == 302
    db.session.expire_all()
    assert lookup.lookup(keys.INCIDENT_REPORT, date(2027, 6, 30)).value == "72"
    new = lookup.lookup(keys.INCIDENT_REPORT, date(2027, 7, 1))
    assert (new.value, new.effective_from, new.effective_to) == ("48", date(2027, 7, 1), None)
    assert db.session.get(Rule, rule.id).effective_to == date(2027, 7, 1)
    assert [e.action for e in rule_actions(db)] == ["rule.supersede", "rule.create"]


def test_a_new_version_must_start_inside_the_old_row(client, admin, db):
    rule = lookup.lookup(keys.INCIDENT_NOTICE, date(2020, 1, 1))  # 2017: until 19/8/2026
    before = table(db)
    for start in ("2017-11-01", "2026-08-19", "2030-01-01"):
        data = form_of(rule, regime="2017", effective_from=start, effective_to="")
        response = post(client, f"/rules/{rule.id}/supersede", data)
        assert response.status_code == 400 and invalid_fields(response.get_data(as_text=True)) == {"effective_from"}
    assert table(db) == before


def test_a_post_without_the_csrf_token_changes_nothing(client, admin, db):
    rule = report_2026(db)
    before = table(db)
    response = client.post(f"/rules/{rule.id}/edit", data=form_of(rule, value="1"))
    assert response.status_code == 400 and table(db) == before


def test_an_unknown_rule_is_not_found(client, admin):
    assert client.get("/rules/999999/edit").status_code == 404
    assert client.get("/rules/99999999999/edit").status_code == 404


def test_admins_see_the_rules_link_in_the_menu(client, admin):
    assert 'href="/rules/"' in client.get("/incidents").get_data(as_text=True)


def test_notes_are_shown_escaped(client, admin, db):
    rule = report_2026(db)
    post(client, f"/rules/{rule.id}/edit", form_of(rule, notes="<script>alert(1)</script>"))
    page = client.get("/rules/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
