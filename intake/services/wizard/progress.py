"""The workspace's progress: which KPIs are answered, each category's state, its scores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from intake.models.submission import COMPLETE
from intake.services import values as value_service
from intake.services.values import catalog


# ------------------------------------------------------------------------------ progress
def has_direct(row: Any) -> bool:
    return row is not None and (row.not_available or (row.valid and row.raw_text.strip() != ""))


def reported_directly(kpi: Any, rows: dict) -> bool:
    """Every item of the KPI has a result the city reported itself."""
    return all(has_direct(rows.get(item.result_key)) for item in kpi.items)


def _given(row: Any) -> bool:
    return row is not None and row.valid and not row.not_available and row.value is not None


def not_needed(kpi: Any, rows: dict) -> set[str]:
    """Inputs a KPI can do without: coverage by area where it is given by inhabitants (or
    the other way round), as the methodology allows either."""
    by_area = kpi.formula.params.get("by_area") if kpi.formula.kind == "parts_percent" else None
    if not by_area:
        return set()
    pairs = dict(by_area.get("parts") or {})
    skip: set[str] = set()
    for part, alternative in pairs.items():
        if _given(rows.get(part)):
            skip.add(alternative)
        elif _given(rows.get(alternative)):
            skip.add(part)
    if set(pairs.values()) <= skip:
        skip.add(by_area["total"])
    if set(pairs) <= skip:
        skip.add(kpi.formula.params["total"])
    return skip


def _answered(kpi: Any, rows: dict) -> bool:
    if reported_directly(kpi, rows):
        return True
    optional = not_needed(kpi, rows)
    for dp in kpi.data_points:
        if dp.id in optional:
            continue
        row = rows.get(dp.id)
        if row is None or not (row.not_available or row.valid):
            return False
    return True


@dataclass(frozen=True)
class CategoryProgress:
    category: Any
    answered: int
    total: int
    status: str  # not_started | in_progress | complete
    current_step: int


def workspace(city_id: int) -> dict:
    """The three dimensions, each category's progress, and the next step to take."""
    cat = catalog()
    rows = value_service.value_rows(city_id)
    states = value_service.category_states(city_id)
    by_dimension: dict[str, list[CategoryProgress]] = {d.id: [] for d in cat.dimensions}
    next_category: CategoryProgress | None = None
    for category in cat.categories:
        kpis = cat.kpis_in(category.id)
        state = states.get(category.id)
        answered = sum(1 for kpi in kpis if _answered(kpi, rows))
        status = state.status if state else value_service.NOT_STARTED
        progress = CategoryProgress(category, answered, len(kpis), status,
                                    state.current_step if state else 0)
        by_dimension[category.dimension].append(progress)
        if status != COMPLETE and (next_category is None or (
                next_category.status == value_service.NOT_STARTED
                and status != value_service.NOT_STARTED)):
            next_category = progress
    complete = sum(1 for s in states.values() if s.status == COMPLETE)
    return {"dimensions": [(d, by_dimension[d.id]) for d in cat.dimensions],
            "next": next_category, "complete": complete, "total": len(cat.categories)}


def workspace_scores(city_id: int, language: str) -> dict:
    """Each complete category's latest score and band, and the overall score so far."""
    from intake.secretariat.overview import (
        category_cells,
        latest_scores,
        overall_score,
        states_by_city,
    )

    scores = latest_scores([city_id]).get(city_id, {})
    cells = category_cells(states_by_city([city_id]).get(city_id, {}), scores, language)
    percent, band = overall_score(cells, scores)
    return {"categories": {cell.id: cell for cell in cells if cell.percent is not None},
            "percent": percent, "band": band}
