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


def coverage_scores(
    items_by_category: Mapping[str, Iterable[Mapping[str, Any]]],
    members: Mapping[str, Iterable[str]],
    key: Callable[[str, Mapping[str, Any]], str | None],
) -> dict[str, dict[str, Any]]:
    """Scores per group (dimension, sub-dimension …) with how many of the group's categories
    they come from: "from 1 of 11 categories" when only part of them was scored.

    `members` names each group's categories (in the catalog, scored or not); `key` names the
    group of an item of a category (None: no group). A category counts as scored for a group
    when at least one of its items in that group was scored.
    """
    grouped: dict[str, list[Mapping[str, Any]]] = {group: [] for group in members}
    scored_in: dict[str, set[str]] = {group: set() for group in members}
    for category_id, items in items_by_category.items():
        for item in items:
            group = key(category_id, item)
            if group not in grouped:
                continue
            grouped[group].append(item)
            if item.get("status") == SCORED:
                scored_in[group].add(category_id)
    out: dict[str, dict[str, Any]] = {}
    for group, categories in members.items():
        total = len(set(categories))
        out[group] = {**summarise(grouped[group]),
                      "categories_scored": len(scored_in[group]),
                      "categories_total": total,
                      "partial": 0 < len(scored_in[group]) < total}
    return out
