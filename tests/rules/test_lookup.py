"""The lookup against the seeded rules table: the regime in force on the relevant date, the
level-specific row, the deadlines, and a clear error when no rule applies.

EXPECTED is DOMAIN.md §6 and §3 written out again by hand (not read from the seed), so a wrong
seed row fails here."""
from datetime import date, datetime

import pytest
from flask_babel import force_locale

from csirt.rules import keys, lookup
from csirt.rules.lookup import RuleMissing

LAST_2017, FIRST_2026 = date(2026, 8, 18), date(2026, 8, 19)

# key: ((value, unit) under 2017 or None, (value, unit) under 2026 or None)
EXPECTED = {
    keys.INCIDENT_NOTICE: (("5", "days"), ("24", "hours")),
    keys.INCIDENT_INITIAL_REPORT: (("0", "hours"), None),
    keys.INCIDENT_CLOSING_REPORT: (("5", "days"), None),
    keys.INCIDENT_REPORT: (None, ("72", "hours")),
    keys.INCIDENT_SECURITY_IMMEDIATE: (None, ("0", "hours")),
    keys.SUMMARY_HALF_YEAR: (("06-20", "date"), None),
    keys.SUMMARY_YEAR: (("12-15", "date"), None),
    keys.ANNUAL_REPORT_INTERNAL: (None, ("12-20", "date")),
    keys.ANNUAL_REPORT_MINISTRY: (None, ("12-25", "date")),
}
ASSESSMENT_MONTHS = {1: 24, 2: 24, 3: 12, 4: 12, 5: 6}


def test_every_key_is_covered_by_this_test():
    assert set(EXPECTED) | {keys.ASSESSMENT_INTERVAL} == set(keys.ALL)


@pytest.mark.parametrize("key", sorted(EXPECTED))
@pytest.mark.parametrize("day, regime", [(LAST_2017, "2017"), (FIRST_2026, "2026")])
def test_each_key_at_the_change_of_regime(app, key, day, regime):
    wanted = EXPECTED[key][0 if regime == "2017" else 1]
    if wanted is None:
        assert lookup.find(key, day) is None
        with pytest.raises(RuleMissing):
            lookup.lookup(key, day)
        return
    rule = lookup.lookup(key, day)
    assert (rule.regime, rule.value, rule.unit) == (regime, *wanted)
    assert rule.legal_reference, "every seeded rule names its legal source"
    assert rule.level is None


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("assessed, regime", [(LAST_2017, "2017"), (FIRST_2026, "2026")])
def test_next_assessment_is_due_by_level_under_both_regimes(app, level, assessed, regime):
    rule = lookup.lookup(keys.ASSESSMENT_INTERVAL, assessed, level=level)
    assert (rule.regime, rule.level, rule.unit, rule.confirmed) == (regime, level, "months", False)
    by_months = {24: date(2028, 8, assessed.day), 12: date(2027, 8, assessed.day), 6: date(2027, 2, assessed.day)}
    assert lookup.due(keys.ASSESSMENT_INTERVAL, assessed, level=level) == by_months[ASSESSMENT_MONTHS[level]]


def test_the_assessment_interval_needs_a_level(app):
    with pytest.raises(RuleMissing) as err:
        lookup.lookup(keys.ASSESSMENT_INTERVAL, FIRST_2026)
    assert err.value.key == keys.ASSESSMENT_INTERVAL and err.value.level is None


def test_an_incident_counts_on_the_provinces_day_not_the_utc_day(app):
    # 23:59 on 18/8 in Hanoi is 16:59 UTC; 00:30 on 19/8 in Hanoi is still 18/8 in UTC
    assert lookup.lookup(keys.INCIDENT_NOTICE, datetime(2026, 8, 18, 16, 59)).regime == "2017"
    assert lookup.lookup(keys.INCIDENT_NOTICE, datetime(2026, 8, 18, 17, 30)).regime == "2026"


def test_notice_deadline_before_and_after_the_change_of_regime(app):
    discovered_2017 = datetime(2026, 8, 18, 3, 0)  # 10:00 on 18/8 in Hanoi
    discovered_2026 = datetime(2026, 8, 19, 3, 0)
    assert lookup.due(keys.INCIDENT_NOTICE, discovered_2017) == datetime(2026, 8, 23, 3, 0)
    assert lookup.due(keys.INCIDENT_NOTICE, discovered_2026) == datetime(2026, 8, 20, 3, 0)
    assert lookup.due(keys.INCIDENT_REPORT, discovered_2026) == datetime(2026, 8, 22, 3, 0)
    assert lookup.due(keys.INCIDENT_SECURITY_IMMEDIATE, discovered_2026) == discovered_2026
    assert lookup.due(keys.INCIDENT_INITIAL_REPORT, discovered_2017) == discovered_2017


def test_closing_report_runs_from_the_response_end_under_the_regime_of_discovery(app):
    discovered, response_ended = datetime(2026, 8, 18, 3, 0), datetime(2026, 9, 1, 2, 0)
    assert lookup.due(keys.INCIDENT_CLOSING_REPORT, response_ended, on=discovered) == datetime(2026, 9, 6, 2, 0)
    with pytest.raises(RuleMissing):  # the 2026 regime, in force on 1/9, has no such report
        lookup.due(keys.INCIDENT_CLOSING_REPORT, response_ended)


def test_report_days_of_the_year(app):
    assert lookup.due(keys.SUMMARY_HALF_YEAR, date(2026, 3, 1)) == date(2026, 6, 20)
    assert lookup.due(keys.SUMMARY_YEAR, date(2025, 12, 16)) == date(2026, 12, 15)
    assert lookup.due(keys.ANNUAL_REPORT_INTERNAL, date(2026, 9, 1)) == date(2026, 12, 20)
    assert lookup.due(keys.ANNUAL_REPORT_MINISTRY, date(2026, 12, 26)) == date(2027, 12, 25)


def test_before_the_first_regime_there_is_no_rule_and_the_error_says_which(app):
    with pytest.raises(RuleMissing) as err:
        lookup.lookup(keys.INCIDENT_NOTICE, date(2017, 10, 31))
    assert (err.value.key, err.value.day, err.value.status) == (keys.INCIDENT_NOTICE, date(2017, 10, 31), 500)
    assert "incident.notice" in err.value.message and "31/10/2017" in err.value.message
    assert lookup.lookup(keys.INCIDENT_NOTICE, date(2017, 11, 1)).regime == "2017"


def test_the_missing_rule_message_is_translated(app):
    with force_locale("vi"):
        vi = RuleMissing(keys.ASSESSMENT_INTERVAL, FIRST_2026, level=3).message
    with force_locale("en"):
        en = RuleMissing(keys.ASSESSMENT_INTERVAL, FIRST_2026, level=3).message
    assert en.startswith("No rule") and "level 3" in en
    assert vi != en and "assessment.interval" in vi and "3" in vi


def test_a_level_specific_row_is_preferred_over_the_generic_one(app, db, make):
    from csirt.rules import services

    admin = make.user("admin")
    services.create_rule(admin, {"regime": "2026", "key": keys.INCIDENT_NOTICE, "level": "5", "value": "12",
                                 "unit": "hours", "legal_reference": "Quyết định thử nghiệm",
                                 "effective_from": FIRST_2026})
    at = datetime(2026, 9, 1, 3, 0)
    assert lookup.lookup(keys.INCIDENT_NOTICE, at, level=5).value == "12"
    assert lookup.lookup(keys.INCIDENT_NOTICE, at, level=4).value == "24"
    assert lookup.lookup(keys.INCIDENT_NOTICE, at).value == "24"
    assert lookup.due(keys.INCIDENT_NOTICE, at, level=5) == datetime(2026, 9, 1, 15, 0)
    # before the level-5 row starts, level 5 gets the generic row of its day
    assert lookup.lookup(keys.INCIDENT_NOTICE, LAST_2017, level=5).value == "5"


def test_an_edit_counts_at_the_next_lookup(app, db, make):
    from csirt.rules import services

    admin = make.user("admin")
    rule = lookup.lookup(keys.INCIDENT_REPORT, FIRST_2026)
    services.update_rule(admin, rule, {"value": "48", "unit": "hours", "legal_reference": rule.legal_reference,
                                       "effective_from": rule.effective_from, "effective_to": None,
                                       "confirmed": True, "notes": ""}, rule.version)
    db.session.expire_all()
    assert lookup.due(keys.INCIDENT_REPORT, datetime(2026, 9, 1)) == datetime(2026, 9, 3)


def test_a_loaded_rule_set_answers_like_the_lookup(app):
    rules = lookup.load()
    for day in (LAST_2017, FIRST_2026):
        for key in keys.ALL:
            for level in (None, 1, 3, 5):
                ids = [getattr(found, "id", None) for found in (rules.find(key, day, level),
                                                                 lookup.find(key, day, level))]
                assert ids[0] == ids[1]
        assert rules.due(keys.ASSESSMENT_INTERVAL, day, level=5) == lookup.due(keys.ASSESSMENT_INTERVAL, day, level=5)
    with pytest.raises(RuleMissing):
        rules.lookup(keys.INCIDENT_REPORT, LAST_2017)
