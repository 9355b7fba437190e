"""Percent of target and bands: the published rule, its edges and its properties."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import scoring
from scoring.bands import band_for, percent_of_target

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False)
directions = st.sampled_from(["higher_is_better", "lower_is_better"])


def test_package_exposes_the_three_functions():
    assert scoring.percent_of_target(50, 100, "higher_is_better") == 50.0
    assert scoring.band_for(50.0) == 2
    assert scoring.category_percent([1, 3, 4, 1]) == 56.25


@pytest.mark.parametrize(("percent", "band"), [
    (100, 4), (95, 4), (95.0, 4), (94.999, 3), (66, 3), (65.999, 2), (33, 2), (32.999, 1),
    (0, 1), (50, 2), (80, 3),
])
def test_band_edges(percent, band):
    assert band_for(percent) == band


def test_higher_is_better():
    assert percent_of_target(80, 100, "higher_is_better") == 80.0
    assert percent_of_target(150, 100, "higher_is_better") == 100.0  # capped
    assert percent_of_target(0, 100, "higher_is_better") == 0.0
    assert percent_of_target(-5, 100, "higher_is_better") == 0.0  # never negative


def test_value_exactly_on_an_edge_stays_in_the_published_band():
    # 0.57 / 1 * 100 is 56.99999999999999 in floating point; 0.95 of the target is band 4
    assert percent_of_target(0.57, 1, "higher_is_better") == 57.0
    assert band_for(percent_of_target(95, 100, "higher_is_better")) == 4
    assert band_for(percent_of_target(0.66, 1, "higher_is_better")) == 3
    assert band_for(percent_of_target(33, 100, "higher_is_better")) == 2


def test_lower_is_better():
    assert percent_of_target(20, 10, "lower_is_better") == 50.0
    assert percent_of_target(10, 10, "lower_is_better") == 100.0
    assert percent_of_target(5, 10, "lower_is_better") == 100.0
    assert percent_of_target(0, 10, "lower_is_better") == 100.0  # zero meets the target
    assert percent_of_target(0, 0, "lower_is_better") == 100.0
    assert percent_of_target(3, 0, "lower_is_better") == 0.0
    assert percent_of_target(40, 10, "lower_is_better") == 25.0
    assert band_for(percent_of_target(40, 10, "lower_is_better")) == 1


@pytest.mark.parametrize(("value", "target", "percent"), [
    (True, True, 100.0), (False, True, 0.0), (1, 1, 100.0), (0, 1, 0.0), (False, False, 100.0),
    (1.0, True, 100.0),
])
def test_yes_no(value, target, percent):
    assert percent_of_target(value, target, "yes_no") == percent


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "12", None])
def test_non_finite_or_non_numeric_inputs_raise(bad):
    with pytest.raises(ValueError):
        percent_of_target(bad, 100, "higher_is_better")
    with pytest.raises(ValueError):
        percent_of_target(50, bad, "lower_is_better")
    with pytest.raises(ValueError):
        band_for(bad)


def test_unknown_direction_raises():
    with pytest.raises(ValueError):
        percent_of_target(1, 2, "sideways")


@given(value=finite, target=finite, direction=directions)
def test_bounds(value, target, direction):
    assert 0.0 <= percent_of_target(value, target, direction) <= 100.0


@given(a=finite, b=finite, target=finite)
def test_higher_is_better_is_monotonic_in_value(a, b, target):
    low, high = sorted((a, b))
    assert (percent_of_target(low, target, "higher_is_better")
            <= percent_of_target(high, target, "higher_is_better"))


@given(a=finite, b=finite, target=finite)
def test_lower_is_better_is_antitonic_in_value(a, b, target):
    low, high = sorted((a, b))
    assert (percent_of_target(low, target, "lower_is_better")
            >= percent_of_target(high, target, "lower_is_better"))


@given(value=positive, target=positive, direction=directions)
def test_meeting_the_target_is_always_band_4(value, target, direction):
    met = value >= target if direction == "higher_is_better" else value <= target
    if met:
        assert band_for(percent_of_target(value, target, direction)) == 4


@given(percent=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_band_matches_the_edges(percent):
    band = band_for(percent)
    expected = 4 if percent >= 95 else 3 if percent >= 66 else 2 if percent >= 33 else 1
    assert band == expected


@given(a=st.floats(min_value=0, max_value=100), b=st.floats(min_value=0, max_value=100))
def test_band_is_monotonic(a, b):
    low, high = sorted((a, b))
    assert band_for(low) <= band_for(high)


@given(value=positive, target=positive)
def test_short_of_the_target_the_percent_is_the_published_ratio(value, target):
    # Manual: higher is better scores value / target, lower is better target / value.
    low, high = sorted((value, target))
    if low == high:
        return
    assert percent_of_target(low, high, "higher_is_better") == pytest.approx(
        low / high * 100, rel=1e-9, abs=1e-9)
    assert percent_of_target(high, low, "lower_is_better") == pytest.approx(
        low / high * 100, rel=1e-9, abs=1e-9)
