"""Review and completion of a category, and the KPI values a step shows as computed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from forms.builder import Step
from forms.rules import WARNING, Message
from intake.services import values as value_service
from intake.services.values import catalog
from intake.services.wizard.progress import has_direct, not_needed, reported_directly


def counted_for_step(city_id: int, step: Step) -> dict[str, dict]:
    """Per KPI: item id → (value that counts, reported directly?, computed from raw inputs)."""
    from intake.services.results import counted_results

    values = value_service.get_city_values(city_id)
    return {kpi.code: counted_results(kpi, values) for kpi in step.kpis}

# ------------------------------------------------------------------------------ review
@dataclass
class KpiReview:
    kpi: Any
    computed: dict[str, float | bool | None]
    provenance: Any
    missing: list[Any]  # data points without a usable answer
    invalid: list[Any]  # drafts that do not parse or break a rule
    warnings: list[tuple[Any, Message, str | None]]  # (data point, warning, justification)
    unjustified: list[Any]
    evidence: list[Any]
    values: list[tuple[Any, Any]]  # (data point, row)
    # Item ids whose result the city reported itself (it counts over `raw`, the computed one).
    direct: frozenset[str] = frozenset()
    raw: dict[str, float | bool | None] = field(default_factory=dict)
    results: list[tuple[Any, Any]] = field(default_factory=list)  # (result point, row)

    @property
    def reported_directly(self) -> bool:
        return bool(self.direct) and len(self.direct) == len(self.kpi.items)

    @property
    def ready(self) -> bool:
        return not (self.missing or self.invalid or self.unjustified)


def review(city_id: int, category_id: str) -> list[KpiReview]:
    from intake.services.evidence import evidence_for

    cat = catalog()
    kpis = cat.kpis_in(category_id)
    rows = value_service.value_rows(city_id)
    values = value_service.get_city_values(city_id)
    prov = value_service.provenance_rows(city_id, [k.code for k in kpis])
    files = evidence_for(city_id)
    result = []
    from intake.services.results import counted_results

    for kpi in kpis:
        missing, invalid, warns, unjustified, shown = [], [], [], [], []
        direct_kpi = reported_directly(kpi, rows)
        optional = not_needed(kpi, rows)
        for dp in kpi.data_points:
            row = rows.get(dp.id)
            shown.append((dp, row))
            if row is None or (not row.raw_text.strip() and not row.not_available):
                # A reported result counts, and an alternative input (coverage by area or
                # by inhabitants) stands in: then this input is optional.
                if not direct_kpi and dp.id not in optional:
                    missing.append(dp)
                continue
            if not (row.valid or row.not_available):
                if not direct_kpi:
                    invalid.append(dp)
                continue
            for found in row.findings or []:
                if found["tier"] == WARNING and not row.not_available:
                    warns.append((dp, Message(**found), row.justification))
                    if not row.justification:
                        unjustified.append(dp)
        results = []
        for item in kpi.items:
            point = cat.result_point(item.id)
            row = rows.get(point.id)
            if not has_direct(row):
                if row is not None and row.raw_text.strip():
                    invalid.append(point)  # typed as a result but refused by a check
                continue
            results.append((point, row))
            for found in row.findings or []:
                if found["tier"] == WARNING and not row.not_available:
                    warns.append((point, Message(**found), row.justification))
                    if not row.justification:
                        unjustified.append(point)
        counted = counted_results(kpi, values)
        result.append(KpiReview(
            kpi, {item_id: c[0] for item_id, c in counted.items()}, prov.get(kpi.code),
            missing, invalid, warns, unjustified, files.get(kpi.code, []), shown,
            direct=frozenset(item_id for item_id, c in counted.items() if c[1]),
            raw={item_id: c[2] for item_id, c in counted.items()}, results=results))
    return result


def complete_category(city_id: int, category_id: str, *, actor: str) -> list[KpiReview]:
    """Mark complete when every KPI is answered; otherwise return the KPIs still open."""
    open_kpis = [item for item in review(city_id, category_id) if not item.ready]
    if not open_kpis:
        value_service.mark_category_complete(city_id, category_id, actor=actor)
    return open_kpis
