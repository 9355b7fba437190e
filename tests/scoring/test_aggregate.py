"""Category, sub-dimension and dimension scores (points over 4 × scored items)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.aggregate import (
    category_percent,
    dimension_scores,
    points_of,
    sub_dimension_scores,
    summarise,
)


def test_worked_examples_from_the_reports():
    assert category_percent([1, 3, 4, 1]) == 56.25
    assert category_percent([3, 4, 2]) == 75.0


def test_nothing_scored_is_none():
    assert category_percent([]) is None
    assert summarise([{"status": "not_reported"}, {"status": "no_target"}]) == {
        "percent": None, "band": None, "scored": 0, "reported": 1, "total": 2}


@pytest.mark.parametrize("bad", [0, 5, 2.5, True, None])
def test_points_outside_1_to_4_are_refused(bad):
    with pytest.raises(ValueError):
        category_percent([4, bad])


def test_unscored_items_are_left_out():
    items = [{"status": "scored", "band": 1}, {"status": "scored", "band": 3},
             {"status": "not_reported", "band": None}, {"status": "scored", "band": 4},
             {"status": "no_target", "band": None}, {"status": "scored", "band": 1}]
    assert points_of(items) == [1, 3, 4, 1]
    assert summarise(items) == {"percent": 56.25, "band": 2, "scored": 4, "reported": 5,
                                "total": 6}


def test_dimension_and_sub_dimension_use_every_scored_item_inside():
    items = [
        {"status": "scored", "band": 4, "dimension": "EC", "sub_dimension": "ICT"},
        {"status": "scored", "band": 2, "dimension": "EC", "sub_dimension": "P"},
        {"status": "scored", "band": 3, "dimension": "EC", "sub_dimension": "P"},
        {"status": "not_reported", "band": None, "dimension": "SC", "sub_dimension": "EHC"},
    ]
    dims = dimension_scores(items)
    assert dims["EC"]["percent"] == 75.0 and dims["EC"]["band"] == 3
    assert dims["SC"]["percent"] is None and dims["SC"]["total"] == 1
    subs = sub_dimension_scores(items)
    assert subs["ICT"]["percent"] == 100.0 and subs["P"]["percent"] == 62.5
    assert list(subs) == ["ICT", "P", "EHC"]  # first-seen order


@given(st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=200))
def test_percent_is_between_25_and_100_and_order_free(points):
    percent = category_percent(points)
    assert 25.0 <= percent <= 100.0
    assert category_percent(list(reversed(points))) == pytest.approx(percent)


def test_coverage_scores_say_from_how_many_categories_they_come():
    from scoring.aggregate import coverage_scores

    items = {"water": [{"status": "scored", "band": 4, "sub": "ict"},
                       {"status": "scored", "band": 2, "sub": "infra"}],
             "ict": [{"status": "scored", "band": 3, "sub": "ict"}],
             "transport": [{"status": "not_reported", "band": None, "sub": "infra"}]}
    members = {"ict": {"water", "ict"}, "infra": {"water", "transport", "drainage"}}
    found = coverage_scores(items, members, lambda _category, item: item["sub"])
    assert found["ict"]["percent"] == 87.5 and found["ict"]["categories_scored"] == 2
    assert found["ict"]["categories_total"] == 2 and not found["ict"]["partial"]
    assert found["infra"]["percent"] == 50.0
    assert (found["infra"]["categories_scored"], found["infra"]["categories_total"]) == (1, 3)
    assert found["infra"]["partial"]
