"""Assessments (layer 3): the next one falls due by the rules table for the system's level under
the regime in force on the last one's date; findings are recorded and closed; permissions and audit."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from csirt.audit.models import AuditLog
from csirt.errors import Forbidden, NotFound, ValidationError
from csirt.rules import keys
from csirt.rules.models import Rule
from csirt.systems import assessments, summary
from csirt.systems.models import Assessment, Finding
from tests.conftest import csrf_from
from tests.systems.layer_fixtures import TODAY, at_noon, system


@pytest.fixture
def home(make):
    return make.agency(code="SO-TC")


@pytest.fixture
def liaison(make, home):
    return make.user(role="member", agency_obj=home)


def _assess(actor, target, performed_on, **kw):
    return assessments.add_assessment(actor, target.id, {"performed_on": performed_on,
                                                         "assessor": kw.pop("assessor", "Công ty VSEC"), **kw})


# Seeded intervals (unconfirmed, DOMAIN.md §3): levels 1-2 every 24 months, 3-4 every 12, 5 every 6,
# the same figures under both regimes.
@pytest.mark.parametrize(("level", "last", "expected"), [
    (1, date(2025, 6, 15), date(2027, 6, 15)),
    (2, date(2025, 6, 15), date(2027, 6, 15)),
    (3, date(2025, 6, 15), date(2026, 6, 15)),
    (4, date(2025, 6, 15), date(2026, 6, 15)),
    (5, date(2025, 6, 15), date(2025, 12, 15)),
    (1, date(2026, 9, 30), date(2028, 9, 30)),
    (2, date(2026, 9, 30), date(2028, 9, 30)),
    (3, date(2026, 9, 30), date(2027, 9, 30)),
    (4, date(2026, 9, 30), date(2027, 9, 30)),
    (5, date(2026, 8, 31), date(2027, 2, 28)),  # end of month clamped
])
def test_the_next_assessment_is_due_the_seeded_interval_for_the_level_after_the_last(app, liaison, home, level,
                                                                                   last, expected):
    at_noon()
    target = system(home, level=level)
    _assess(liaison, target, last)
    result = summary.system_summary(target)
    assert result.next_assessment_due == expected
    assert result.assessment_overdue is (expected < TODAY)


def _set_interval(db, regime, level, months):
    rule = db.session.execute(sa.select(Rule).where(Rule.key == keys.ASSESSMENT_INTERVAL, Rule.regime == regime,
                                                    Rule.level == level)).scalar_one()
    rule.value = str(months)
    db.session.commit()


@pytest.mark.parametrize(("last", "expected"), [
    (date(2026, 8, 18), date(2027, 8, 18)),  # the 2017 regime's 12 months: last day before Decree 331
    (date(2026, 8, 19), date(2027, 2, 19)),  # the 2026 regime, edited to 6 months, from its first day
])
def test_the_interval_is_the_one_in_force_on_the_last_assessment_date(app, db, liaison, home, last, expected):
    at_noon()
    _set_interval(db, "2026", 4, 6)
    target = system(home, level=4)
    _assess(liaison, target, last)
    assert summary.system_summary(target).next_assessment_due == expected


def test_an_edited_rule_changes_the_due_date_at_once(app, db, liaison, home):
    at_noon()
    target = system(home, level=3)
    _assess(liaison, target, date(2026, 10, 1))
    assert summary.system_summary(target).next_assessment_due == date(2027, 10, 1)
    _set_interval(db, "2026", 3, 18)
    assert summary.system_summary(target).next_assessment_due == date(2028, 4, 1)


def test_a_system_never_assessed_is_due_now_and_overdue(app, home):
    at_noon()
    result = summary.system_summary(system(home, level=2))
    assert (result.next_assessment_due, result.assessment_overdue, result.last_assessment) == (TODAY, True, None)


def test_a_missing_rule_is_said_instead_of_a_date(app, db, liaison, home):
    at_noon()
    db.session.execute(sa.delete(Rule).where(Rule.key == keys.ASSESSMENT_INTERVAL, Rule.level == 3,
                                             Rule.regime == "2026"))
    db.session.commit()
    target = system(home, level=3)
    _assess(liaison, target, date(2026, 10, 1))
    result = summary.system_summary(target)
    assert result.next_assessment_due is None
    assert keys.ASSESSMENT_INTERVAL in result.rule_problem


def test_the_latest_assessment_counts_whatever_the_order_of_recording(app, liaison, home):
    at_noon()
    target = system(home, level=3)
    _assess(liaison, target, date(2026, 9, 1))
    _assess(liaison, target, date(2025, 9, 1))
    assert summary.system_summary(target).next_assessment_due == date(2027, 9, 1)


# --- findings --------------------------------------------------------------------------------

def test_an_assessment_is_recorded_with_its_findings_and_audited(app, db, liaison, home):
    at_noon()
    target = system(home)
    item = _assess(liaison, target, date(2026, 11, 20), kind="technical", report_reference="BC 01/2026",
                   findings=[{"title": "Cổng quản trị mở ra Internet", "severity": "high",
                              "remediation_owner": "Trung tâm CNTT", "due_on": "2026-12-31"},
                             {"title": "Chưa bật ghi nhật ký", "severity": "low"}])
    assert [(f.title, f.severity, f.due_on) for f in item.findings] == [
        ("Cổng quản trị mở ra Internet", "high", date(2026, 12, 31)), ("Chưa bật ghi nhật ký", "low", None)]
    entry = db.session.execute(sa.select(AuditLog).where(AuditLog.action == "assessment.create")).scalar_one()
    assert entry.after["system_id"] == target.id and len(entry.after["findings"]) == 2
    assert [f.title for f in summary.system_summary(target).open_findings] == [
        "Cổng quản trị mở ra Internet", "Chưa bật ghi nhật ký"]


@pytest.mark.parametrize(("data", "field"), [
    ({"assessor": ""}, "assessor"),
    ({"performed_on": "2026-13-01"}, "performed_on"),
    ({"performed_on": (TODAY + timedelta(days=1)).isoformat()}, "performed_on"),
    ({"kind": "audit"}, "kind"),
    ({"findings": [{"title": ""}]}, "findings"),
    ({"findings": [{"title": "A", "severity": "urgent"}]}, "findings"),
    ({"findings": [{"title": "A", "due_on": "31/12/2026"}]}, "findings"),
    ({"findings": [{"title": "A", "closed_on": "2026-12-01"}]}, "findings"),
    ({"system_id": 3}, "system_id"),
])
def test_a_bad_assessment_names_the_field_and_writes_nothing(app, db, liaison, home, data, field):
    at_noon()
    target = system(home)
    payload = {"performed_on": "2026-11-01", "assessor": "VSEC", **data}
    with pytest.raises(ValidationError) as err:
        assessments.add_assessment(liaison, target.id, payload)
    assert field in err.value.errors
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Assessment)).scalar() == 0
    assert db.session.execute(sa.select(sa.func.count()).select_from(Finding)).scalar() == 0


def test_closing_a_finding_checks_the_date_and_is_audited(app, db, liaison, home):
    at_noon()
    target = system(home)
    finding = _assess(liaison, target, date(2026, 11, 20), findings=[{"title": "Mật khẩu mặc định"}]).findings[0]
    for bad in ("2026-11-19", (TODAY + timedelta(days=1)).isoformat(), "hôm qua"):
        with pytest.raises(ValidationError) as err:
            assessments.close_finding(liaison, finding.id, bad)
        assert "closed_on" in err.value.errors
    assessments.close_finding(liaison, finding.id, "2026-12-01")
    assert db.session.get(Finding, finding.id).closed_on == date(2026, 12, 1)
    with pytest.raises(ValidationError):
        assessments.close_finding(liaison, finding.id)
    assert summary.system_summary(target).open_findings == []
    assert db.session.execute(sa.select(AuditLog.action).where(AuditLog.action == "assessment.finding_close")).scalar()


def test_assessments_of_another_agency_are_hidden_and_managers_only_read(app, client, auth, make, liaison, home):
    at_noon()
    target = system(home)
    finding = _assess(liaison, target, date(2026, 11, 20), findings=[{"title": "Lỗ hổng"}]).findings[0]
    stranger = make.user(role="member", agency_obj=make.agency(code="UBND-H"))
    manager = make.user(role="manager")
    with pytest.raises(NotFound):
        _assess(stranger, target, date(2026, 11, 21))
    with pytest.raises(NotFound):
        assessments.close_finding(stranger, finding.id)
    with pytest.raises(Forbidden):
        _assess(manager, target, date(2026, 11, 21))
    with pytest.raises(Forbidden):
        assessments.close_finding(manager, finding.id)
    auth.login(stranger)
    assert client.get(f"/systems/{target.id}/assessments").status_code == 404
    assert client.get(f"/systems/{target.id}/assessments/new").status_code == 404
    auth.logout()
    auth.login(manager)
    assert "Lỗ hổng" in client.get(f"/systems/{target.id}/assessments").get_data(as_text=True)
    assert client.get(f"/systems/{target.id}/assessments/new").status_code == 403


def test_a_liaison_records_an_assessment_and_closes_a_finding_through_the_pages(app, client, auth, db, liaison,
                                                                               home):
    at_noon()
    target = system(home)
    auth.login(liaison)
    token = csrf_from(client.get(f"/systems/{target.id}/assessments/new").get_data(as_text=True))
    response = client.post(f"/systems/{target.id}/assessments/new", data={
        "csrf_token": token, "performed_on": "2026-11-25", "assessor": "Công ty BKAV", "kind": "compliance",
        "findings-0-title": "Thiếu sao lưu ngoại vi", "findings-0-severity": "medium",
        "findings-0-remediation_owner": "Phòng CNTT", "findings-0-due_on": "2027-01-15",
        "findings-1-title": "", "findings-1-severity": "medium"})
    assert response.status_code == 302
    finding = db.session.execute(sa.select(Finding)).scalar_one()
    page = client.get(f"/systems/{target.id}/assessments").get_data(as_text=True)
    assert "Thiếu sao lưu ngoại vi" in page and "Công ty BKAV" in page
    response = client.post(f"/systems/{target.id}/assessments/findings/{finding.id}/close",
                           data={"csrf_token": csrf_from(page), "closed_on": "2026-12-02"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Finding, finding.id).closed_on == date(2026, 12, 2)
    section = client.get(f"/systems/{target.id}").get_data(as_text=True).split('id="next-assessment"')[1]
    assert "25/11/2027" in section.split("</p>")[0]  # level 3: 12 months after 25/11/2026


def test_a_finding_asked_through_another_system_is_404(app, client, auth, liaison, home):
    at_noon()
    first, second = system(home, code="HT-1"), system(home, code="HT-2")
    finding = _assess(liaison, first, date(2026, 11, 20), findings=[{"title": "X"}]).findings[0]
    auth.login(liaison)
    token = csrf_from(client.get(f"/systems/{second.id}/assessments").get_data(as_text=True))
    response = client.post(f"/systems/{second.id}/assessments/findings/{finding.id}/close",
                           data={"csrf_token": token})
    assert response.status_code == 404
