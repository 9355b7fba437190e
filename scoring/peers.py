"""Peer figures: median and quartiles of other cities' results, shown only for 5+ cities.

Pure statistics. The rule that protects each city's figures lives here, so every caller
gets it: fewer than MIN_PEERS contributions give no figure at all, and the figures given
are rounded. The "exclusive" quartile method interpolates between neighbouring cities, so
with few cities the quartiles are not copies of one city's number (only the median of an
odd count is, as any median is, and it names no city).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

MIN_PEERS = 5
SIGNIFICANT_DIGITS = 3


@dataclass(frozen=True)
class PeerFigure:
    count: int
    q1: float
    median: float
    q3: float

    def position(self, value: float | None) -> str | None:
        """Where a value sits: below_q1 | q1_median | median_q3 | above_q3 (None: no value)."""
        if value is None:
            return None
        if value < self.q1:
            return "below_q1"
        if value < self.median:
            return "q1_median"
        if value <= self.q3:
            return "median_q3"
        return "above_q3"


def round_significant(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    places = digits - 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, places)
    return float(int(rounded)) if places <= 0 else rounded


def usable(values: Iterable[object]) -> list[float]:
    """Numbers only: missing values, yes/no answers and non-finite numbers do not count."""
    found = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if math.isfinite(value):
            found.append(float(value))
    return found


def peer_figure(values: Iterable[object], minimum: int = MIN_PEERS) -> PeerFigure | None:
    """Quartiles of the usable values, or None when fewer than `minimum` cities contribute."""
    if minimum < MIN_PEERS:
        raise ValueError(f"peer figures need at least {MIN_PEERS} cities")
    numbers = usable(values)
    if len(numbers) < minimum:
        return None
    q1, median, q3 = statistics.quantiles(numbers, n=4, method="exclusive")
    return PeerFigure(count=len(numbers), q1=round_significant(q1),
                      median=round_significant(median), q3=round_significant(q3))
