"""Percent of target and the four U4SSC colour bands (points 1–4)."""

from __future__ import annotations

import math
from numbers import Real

HIGHER_IS_BETTER = "higher_is_better"
LOWER_IS_BETTER = "lower_is_better"
YES_NO = "yes_no"
DIRECTIONS = (HIGHER_IS_BETTER, LOWER_IS_BETTER, YES_NO)

# Lower edges of bands 4, 3 and 2 (percent of target); anything below the last is band 1.
BAND_EDGES = ((95.0, 4), (66.0, 3), (33.0, 2))
# Rounding away float noise (57 / 100 * 100 == 56.99999999999999) keeps a value that is
# exactly on an edge in the band the published rule puts it in.
PRECISION = 9


def _finite(number: object, name: str) -> float:
    if isinstance(number, bool) or not isinstance(number, Real):
        raise ValueError(f"{name} must be a number, got {number!r}")
    result = float(number)
    if not math.isfinite(result):
        raise ValueError(f"{name} must be finite, got {number!r}")
    return result


def _truth(answer: object, name: str) -> bool:
    if isinstance(answer, bool):
        return answer
    return _finite(answer, name) != 0


def percent_of_target(value: float | bool, target: float | bool, direction: str) -> float:
    """How far `value` goes towards `target`, as 0–100 (capped: beating a target is 100)."""
    if direction == YES_NO:
        return 100.0 if _truth(value, "value") == _truth(target, "target") else 0.0
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}")
    value = _finite(value, "value")
    target = _finite(target, "target")
    if direction == HIGHER_IS_BETTER:
        if value >= target:
            percent = 100.0
        elif target <= 0 or value <= 0:
            percent = 0.0
        else:
            percent = value / target * 100.0
    else:
        # A value of 0 (or anything at or under the target) meets a lower-is-better target.
        if value <= target or value <= 0:
            percent = 100.0
        elif target <= 0:
            percent = 0.0
        else:
            percent = target / value * 100.0
    return round(min(100.0, max(0.0, percent)), PRECISION)


def band_for(percent: float) -> int:
    """The band (= points): 4 for ≥ 95 %, 3 for 66–95 %, 2 for 33–66 %, 1 below 33 %."""
    percent = _finite(percent, "percent")
    for edge, band in BAND_EDGES:
        if percent >= edge:
            return band
    return 1
