"""Local KPIs: a city's own indicators, computed and scored by the U4SSC rule, kept apart.

Pure functions on plain data. A local KPI gets points (1–4) exactly as a catalog KPI does
(percent of its own target, direction-aware, through scoring.bands), but nothing here feeds
the category, sub-dimension or dimension scores of the 91 KPIs, nor any peer comparison:
callers keep the results in their own list.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scoring.bands import HIGHER_IS_BETTER, LOWER_IS_BETTER, band_for, percent_of_target
from scoring.kpis import number

RATIO = "ratio"  # numerator / denominator × multiplier
DIRECT = "direct"  # a figure entered as it is
KINDS = (RATIO, DIRECT)
DIRECTIONS = (HIGHER_IS_BETTER, LOWER_IS_BETTER)
MULTIPLIERS = (1, 100, 1_000, 10_000, 100_000, 1_000_000)


@dataclass(frozen=True)
class LocalResult:
    """A local KPI's value for one reference year and its points (None: not scored)."""

    value: float | None
    percent: float | None
    band: int | None


def compute_value(kind: str, *, numerator: Any = None, denominator: Any = None,
                  direct: Any = None, multiplier: Any = 1) -> float | None:
    """The KPI's value from its inputs; None when an input is missing or meaningless."""
    if kind == DIRECT:
        return number(direct)
    if kind != RATIO:
        raise ValueError(f"unknown local KPI kind {kind!r}")
    num, den, scale = number(numerator), number(denominator), number(multiplier)
    # A zero or negative denominator has no meaningful share (as for the catalog's ratios).
    if num is None or den is None or scale is None or den <= 0:
        return None
    try:
        result = num / den * scale
    except (OverflowError, ZeroDivisionError):
        return None
    return result if math.isfinite(result) else None


def score(value: Any, target: Any, direction: str) -> LocalResult:
    """Percent of target and points for one value; unscored when value or target is missing."""
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}")
    value_number, target_number = number(value), number(target)
    if value_number is None or target_number is None:
        return LocalResult(value_number, None, None)
    percent = percent_of_target(value_number, target_number, direction)
    return LocalResult(value_number, percent, band_for(percent))


def score_local_kpis(kpis: Iterable[Mapping[str, Any]]) -> dict[Any, LocalResult]:
    """Each local KPI's result, keyed by its "id".

    A KPI is a mapping with "id", "kind", "multiplier", "direction", "target" and "inputs"
    (numerator, denominator or direct). The results stay separate: this function has no
    access to, and returns nothing for, the catalog KPIs' aggregates.
    """
    results: dict[Any, LocalResult] = {}
    for kpi in kpis:
        inputs = kpi.get("inputs") or {}
        value = compute_value(kpi["kind"], numerator=inputs.get("numerator"),
                              denominator=inputs.get("denominator"),
                              direct=inputs.get("direct"),
                              multiplier=kpi.get("multiplier", 1))
        results[kpi["id"]] = score(value, kpi.get("target"), kpi["direction"])
    return results
