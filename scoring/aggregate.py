"""Category, sub-dimension and dimension scores: points over 4 × scored items, in percent."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from scoring.bands import band_for

SCORED = "scored"
NOT_REPORTED = "not_reported"
NO_TARGET = "no_target"
STATUSES = (SCORED, NOT_REPORTED, NO_TARGET)


def category_percent(points: Iterable[int]) -> float | None:
    """Sum of points ÷ (4 × number of items) × 100; None when nothing was scored."""
    points = list(points)
    for point in points:
        if isinstance(point, bool) or point not in (1, 2, 3, 4):
            raise ValueError(f"points are whole numbers from 1 to 4, got {point!r}")
    if not points:
        return None
    return sum(points) / (4 * len(points)) * 100.0


def points_of(items: Iterable[Mapping[str, Any]]) -> list[int]:
    """The bands of the scored items (items not reported or without a target are left out)."""
    return [item["band"] for item in items if item.get("status") == SCORED]


def summarise(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Percent, band and counts for any group of item results (category, sub-dimension …)."""
    items = list(items)
    percent = category_percent(points_of(items))
    return {
        "percent": percent,
        "band": band_for(percent) if percent is not None else None,
        "scored": sum(1 for item in items if item.get("status") == SCORED),
        "reported": sum(1 for item in items if item.get("status") in (SCORED, NO_TARGET)),
        "total": len(items),
    }


def group_scores(
    items: Iterable[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], str]
) -> dict[str, dict[str, Any]]:
    """Summaries per group, in the order groups first appear; `key` names an item's group."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return {name: summarise(members) for name, members in groups.items()}


def sub_dimension_scores(items: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Scores per sub-dimension over every item inside it (items carry `sub_dimension`)."""
    return group_scores(items, lambda item: item["sub_dimension"])


def dimension_scores(items: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Scores per dimension over every item inside it (items carry `dimension`)."""
    return group_scores(items, lambda item: item["dimension"])
