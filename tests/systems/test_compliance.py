"""A layer's status from its dates at every boundary, the expiring window from the configuration,
the independence of layer 3 from the layer-2 provider, and the system page's layers section."""
from datetime import timedelta

import pytest

from csirt.systems import compliance, layers, summary
from tests.systems.layer_fixtures import TODAY, at_noon, system


@pytest.fixture
def editor(make):
    return make.user(role="responder")


@pytest.fixture
def sys_a(make):
    return system(make.agency(code="SO-TT"))


def _record(editor, target, layer, valid_from, valid_to=None, provider="VNPT Lào Cai", **kw):
    return layers.add_layer_record(editor, target.id, {"layer": layer, "provider": provider, "valid_from": valid_from,
                                                       "valid_to": valid_to, **kw})


def _status(target, layer):
    return summary.system_summary(target).layers[layer - 1].status


@pytest.mark.parametrize(("valid_to", "expected"), [
    (TODAY, compliance.EXPIRING),                         # the last day still counts, as expiring
    (TODAY + timedelta(days=30), compliance.EXPIRING),    # the window's last day
    (TODAY + timedelta(days=31), compliance.VALID),       # one day beyond the window
    (TODAY - timedelta(days=1), compliance.EXPIRED),      # ended yesterday
    (None, compliance.VALID),                             # open-ended (a standing decision)
])
def test_a_layer_status_at_each_boundary_of_its_valid_to_date(app, editor, sys_a, valid_to, expected):
    at_noon()
    _record(editor, sys_a, 2, TODAY - timedelta(days=200), valid_to)
    assert _status(sys_a, 2) == expected


def test_a_record_that_starts_tomorrow_leaves_the_layer_missing(app, editor, sys_a):
    at_noon()
    _record(editor, sys_a, 4, TODAY + timedelta(days=1), TODAY + timedelta(days=400))
    assert _status(sys_a, 4) == compliance.MISSING


def test_a_layer_without_any_record_is_missing(app, sys_a):
    at_noon()
    assert [row.status for row in summary.system_summary(sys_a).layers] == [compliance.MISSING] * 4


def test_a_renewal_signed_in_advance_counts_from_its_first_day(app, editor, sys_a):
    at_noon()
    _record(editor, sys_a, 1, TODAY - timedelta(days=300), TODAY + timedelta(days=5))
    _record(editor, sys_a, 1, TODAY + timedelta(days=6), TODAY + timedelta(days=400), provider="Viettel")
    assert _status(sys_a, 1) == compliance.EXPIRING
    at_noon(TODAY + timedelta(days=6))
    assert _status(sys_a, 1) == compliance.VALID
    assert summary.system_summary(sys_a).layers[0].current.provider == "Viettel"


def test_the_expiring_window_comes_from_the_configuration(app, editor, sys_a):
    at_noon()
    _record(editor, sys_a, 2, TODAY - timedelta(days=10), TODAY + timedelta(days=11))
    assert _status(sys_a, 2) == compliance.EXPIRING  # default 30 days
    app.config["CSIRT_COMPLIANCE_EXPIRING_DAYS"] = 10
    assert _status(sys_a, 2) == compliance.VALID
    app.config["CSIRT_COMPLIANCE_EXPIRING_DAYS"] = 11
    assert _status(sys_a, 2) == compliance.EXPIRING


def test_the_window_setting_defaults_to_30_days(app, monkeypatch, tmp_path):
    from csirt.config import Config

    monkeypatch.delenv("CSIRT_COMPLIANCE_EXPIRING_DAYS", raising=False)
    assert Config().CSIRT_COMPLIANCE_EXPIRING_DAYS == 30
    monkeypatch.setenv("CSIRT_COMPLIANCE_EXPIRING_DAYS", "45")
    assert Config().CSIRT_COMPLIANCE_EXPIRING_DAYS == 45


def test_verification_is_overdue_once_the_next_due_date_has_passed(app, editor, sys_a):
    at_noon()
    _record(editor, sys_a, 1, TODAY - timedelta(days=100), next_due=TODAY)
    _record(editor, sys_a, 2, TODAY - timedelta(days=100), next_due=TODAY - timedelta(days=1))
    rows = summary.system_summary(sys_a).layers
    assert (rows[0].verification_overdue, rows[1].verification_overdue) == (False, True)


# --- independence ------------------------------------------------------------------------------

@pytest.mark.parametrize(("assessor", "provider", "independent"), [
    ("Công ty BKAV", "Công ty BKAV", False),
    ("công ty bkav", "CÔNG TY BKAV", False),
    ("  Công ty   BKAV. ", "Công ty BKAV", False),
    ("Công ty BKAV", "Công ty BKAV JSC", True),
    ("Viettel Cyber Security", "VNPT Lào Cai", True),
    ("", "", True),
])
def test_independence_ignores_case_spacing_and_punctuation(assessor, provider, independent):
    assert compliance.independent(assessor, provider) is independent


def test_layer_3_is_flagged_when_its_provider_is_the_layer_2_provider(app, editor, sys_a):
    at_noon()
    _record(editor, sys_a, 2, TODAY - timedelta(days=30), provider="Công ty An ninh mạng VSEC")
    _record(editor, sys_a, 3, TODAY - timedelta(days=30), provider="công ty an ninh mạng  vsec")
    rows = summary.system_summary(sys_a).layers
    assert rows[2].non_independent is True
    assert not any(row.non_independent for row in rows[:2] + rows[3:])


def test_layer_3_is_flagged_when_the_latest_assessor_is_the_layer_2_provider(app, editor, sys_a):
    from csirt.systems import assessments

    at_noon()
    _record(editor, sys_a, 2, TODAY - timedelta(days=30), provider="FPT Telecom")
    _record(editor, sys_a, 3, TODAY - timedelta(days=30), provider="Trung tâm Giám sát an toàn không gian mạng")
    assert summary.system_summary(sys_a).non_independent is False
    assessments.add_assessment(editor, sys_a.id, {"performed_on": TODAY, "assessor": "FPT  telecom"})
    assert summary.system_summary(sys_a).non_independent is True
    assert assessments.layer3_independent(sys_a) is False


def test_a_former_layer_2_provider_does_not_make_layer_3_dependent(app, editor, sys_a):
    at_noon()
    _record(editor, sys_a, 2, TODAY - timedelta(days=400), TODAY - timedelta(days=40), provider="BKAV")
    _record(editor, sys_a, 2, TODAY - timedelta(days=39), provider="Viettel")
    _record(editor, sys_a, 3, TODAY - timedelta(days=30), provider="BKAV")
    assert summary.system_summary(sys_a).non_independent is False


# --- the system page --------------------------------------------------------------------------

def test_the_system_page_shows_the_four_layers_in_vietnamese(app, client, auth, editor, sys_a):
    at_noon()
    _record(editor, sys_a, 2, TODAY - timedelta(days=10), TODAY + timedelta(days=5), reference="HĐ 12/2026")
    auth.login(editor)
    page = client.get(f"/systems/{sys_a.id}").get_data(as_text=True)
    for text in ("Lực lượng tại chỗ", "Giám sát, bảo vệ chuyên nghiệp", "Kiểm tra, đánh giá độc lập định kỳ",
                 "sắp hết hạn", "chưa có", "HĐ 12/2026", "chưa kiểm tra"):
        assert text in page, text
    assert 'id="layer-2-status" data-status="expiring"' in page
    assert 'id="layer-1-status" data-status="missing"' in page
