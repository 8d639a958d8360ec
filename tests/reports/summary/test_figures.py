"""Form 05's figures against the hand-counted dataset of conftest.py."""
from datetime import date, datetime

import pytest
from werkzeug.datastructures import MultiDict

from csirt.incidents.vocab import CATEGORIES
from csirt.reports.summary import figures
from csirt.reports.summary.figures import Period, compute, half_years, read_period

from .conftest import EXPECTED_A, EXPECTED_ALL, EXPECTED_B, TOTAL_A, TOTAL_ALL, TOTAL_B, as_counts

H1 = Period(date(2026, 1, 1), date(2026, 6, 30))


def test_form05_counts_every_category_and_way_of_handling_for_a_reader_of_everything(dataset):
    form = compute(dataset.manager, H1)
    assert [r.category for r in form.rows] == list(CATEGORIES)  # all ten, in the form's order
    assert as_counts(form) == (EXPECTED_ALL, TOTAL_ALL)


def test_form05_period_bounds_are_hanoi_midnights(app):
    assert H1.bounds() == (datetime(2025, 12, 31, 17, 0), datetime(2026, 6, 30, 17, 0))


@pytest.mark.parametrize("who, expected, total", [("liaison_a", EXPECTED_A, TOTAL_A),
                                                  ("liaison_b", EXPECTED_B, TOTAL_B)])
def test_form05_counts_a_liaisons_own_agency_only(dataset, who, expected, total):
    assert as_counts(compute(getattr(dataset, who), H1)) == (expected, total)


def test_form05_agency_filter_narrows_and_cannot_widen_a_liaisons_scope(dataset):
    assert as_counts(compute(dataset.manager, H1, dataset.b.id)) == (EXPECTED_B, TOTAL_B)
    assert compute(dataset.liaison_a, H1, dataset.b.id).totals.total == 0


def test_form05_second_half_holds_the_incident_found_at_hanoi_midnight_of_1_july(dataset):
    rows, total = as_counts(compute(dataset.manager, half_years(2026)["h2"]))
    assert rows == {"defacement": (1, {"in_house": 1, "domestic": 0, "foreign": 0, "coordinator": 0,
                                       "not_stated": 0})}
    assert total[0] == 1


def test_form05_is_one_statement(app, dataset, db):
    from tests.conftest import recorded_statements

    user = dataset.manager
    assert user.role == "manager"  # loaded before counting
    with recorded_statements(db.engine) as seen:
        compute(user, H1)
    assert len(seen) == 1


def test_tally_counts_an_unknown_category_as_other_and_unknown_handling_as_not_stated(app):
    form = figures.tally([("legacy", None, 2), ("dos", "in_house", 1)], H1)
    other = next(r for r in form.rows if r.category == "other")
    assert (other.total, other.handled["not_stated"]) == (2, 2)
    assert form.totals.total == 3


@pytest.mark.parametrize("args, field", [
    ({}, "from"), ({"from": "2026-01-01"}, "to"), ({"from": "2026-13-01", "to": "2026-12-31"}, "from"),
    ({"from": "2026-07-01", "to": "2026-06-30"}, "to"), ({"from": "01/01/2026", "to": "2026-06-30"}, "from"),
    ({"from": "2020-01-01", "to": "2026-06-30"}, "to"), ({"from": "1800-01-01", "to": "2026-06-30"}, "from"),
])
def test_read_period_says_which_date_is_wrong(app, args, field):
    period, errors = read_period(MultiDict(args))
    assert period is None and field in errors


def test_damage_notes_list_the_recorded_estimates_of_visible_incidents(dataset):
    assert figures.damage_notes(dataset.manager, H1) == [("SC-2026-001", "Thiệt hại khoảng 10 triệu đồng")]
    assert figures.damage_notes(dataset.liaison_b, H1) == []
