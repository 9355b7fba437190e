"""Local KPIs: value from inputs, points by the U4SSC rule, and nothing leaks into the 91."""

import math

import pytest

from scoring.aggregate import dimension_scores, summarise
from scoring.bands import HIGHER_IS_BETTER, LOWER_IS_BETTER
from scoring.local_kpis import (
    DIRECT,
    RATIO,
    LocalResult,
    compute_value,
    score,
    score_local_kpis,
)


def test_a_ratio_with_its_multiplier():
    assert compute_value(RATIO, numerator=45, denominator=200, multiplier=100) == 22.5
    assert compute_value(RATIO, numerator=3, denominator=250_000,
                         multiplier=100_000) == pytest.approx(1.2)
    assert compute_value(DIRECT, direct="12.5") == 12.5


@pytest.mark.parametrize("inputs", [
    {"numerator": 1, "denominator": 0}, {"numerator": 1, "denominator": -5},
    {"numerator": None, "denominator": 5}, {"numerator": math.nan, "denominator": 5},
    {"numerator": math.inf, "denominator": 5}, {"numerator": 1e308, "denominator": 1e-308},
    {"numerator": True, "denominator": 5}, {"numerator": "junk", "denominator": 5},
])
def test_meaningless_inputs_give_no_value(inputs):
    assert compute_value(RATIO, multiplier=100, **inputs) is None


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        compute_value("formula", direct=1)


@pytest.mark.parametrize(("value", "band"), [(10, 1), (32.9, 1), (33, 2), (65.9, 2),
                                             (66, 3), (94.9, 3), (95, 4), (150, 4)])
def test_the_same_four_bands_as_the_catalog_kpis(value, band):
    result = score(value, 100, HIGHER_IS_BETTER)
    assert result.band == band
    assert result.percent == min(100.0, value)


def test_lower_is_better_is_direction_aware():
    assert score(5, 10, LOWER_IS_BETTER) == LocalResult(5.0, 100.0, 4)
    assert score(20, 10, LOWER_IS_BETTER) == LocalResult(20.0, 50.0, 2)
    assert score(0, 0, LOWER_IS_BETTER).band == 4


def test_missing_value_or_target_is_not_scored():
    assert score(None, 10, HIGHER_IS_BETTER) == LocalResult(None, None, None)
    assert score(5, math.nan, HIGHER_IS_BETTER) == LocalResult(5.0, None, None)
    with pytest.raises(ValueError):
        score(5, 10, "yes_no")  # a local KPI is a number with a direction


def test_local_results_stay_apart_from_the_91():
    catalog_items = [
        {"status": "scored", "band": 2, "dimension": "economy", "sub_dimension": "ict",
         "category": "ict"},
        {"status": "scored", "band": 4, "dimension": "economy", "sub_dimension": "ict",
         "category": "ict"},
    ]
    before = (summarise(catalog_items), dimension_scores(catalog_items))
    local = [{"id": 1, "kind": RATIO, "multiplier": 100, "direction": HIGHER_IS_BETTER,
              "target": 80, "inputs": {"numerator": 10, "denominator": 100}},
             {"id": 2, "kind": DIRECT, "direction": LOWER_IS_BETTER, "target": 5,
              "inputs": {"direct": 4}}]
    results = score_local_kpis(local)
    assert results == {1: LocalResult(10.0, 12.5, 1), 2: LocalResult(4.0, 100.0, 4)}
    # The aggregates of the 91 are computed from their own items only.
    assert (summarise(catalog_items), dimension_scores(catalog_items)) == before
    assert before[0]["percent"] == 75.0
