"""Everything the snapshot shows for one city, read from stored scores (never computed here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from intake.extensions import db
from intake.models import City, JobRecord
from intake.models.score import CategoryScore
from intake.services import scoring as scoring_service
from scoring.aggregate import NO_TARGET, NOT_REPORTED, SCORED, coverage_scores, summarise
from scoring.wheel import Wheel, build_wheel

NOT_STARTED = "not_started"


@dataclass
class ItemRow:
    id: str
    kpi_code: str
    label: str
    unit: str
    value: float | bool | None
    target: float | bool | None
    direction: str | None
    percent: float | None
    band: int | None
    status: str
    quality: str | None
    # The city gave the result itself; `computed_value` is what its raw inputs give.
    reported_directly: bool = False
    computed_value: float | bool | None = None
    sub_dimension: str = ""


@dataclass
class CategoryView:
    id: str
    label: str
    dimension: str
    status: str  # not_started | in_progress | complete
    items: list[ItemRow]
    percent: float | None = None
    band: int | None = None
    scored: int = 0
    total: int = 0
    score: CategoryScore | None = None
    outdated: bool = False  # showing an earlier score while the current one is computed
    job: JobRecord | None = None


@dataclass
class DimensionView:
    id: str
    label: str
    categories: list[CategoryView]
    percent: float | None = None
    band: int | None = None
    scored: int = 0
    total: int = 0
    # How many of its categories the score comes from ("from 1 of 11 categories").
    categories_scored: int = 0
    categories_total: int = 0
    partial: bool = False
    sub_dimensions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Snapshot:
    city: City
    language: str
    rtl: bool
    catalog_version: str
    benchmark_version: str
    provisional: bool
    dimensions: list[DimensionView]
    sub_dimensions: list[dict[str, Any]] = field(default_factory=list)
    wheel: Wheel | None = None

    @property
    def categories(self) -> list[CategoryView]:
        return [c for d in self.dimensions for c in d.categories]

    @property
    def jobs(self) -> list[tuple[CategoryView, JobRecord]]:
        return [(c, c.job) for c in self.categories if c.job is not None]

    @property
    def complete_count(self) -> int:
        return sum(1 for c in self.categories if c.status == "complete")


def _latest_score(city_id: int, category_id: str) -> CategoryScore | None:
    return db.session.execute(
        select(CategoryScore).where(CategoryScore.city_id == city_id,
                                    CategoryScore.category_id == category_id)
        .order_by(CategoryScore.computed_at.desc(), CategoryScore.id.desc()).limit(1)
    ).scalar_one_or_none()


def _exact_score(payload: dict[str, Any]) -> CategoryScore | None:
    from scoring.jobs import input_hash

    return db.session.execute(select(CategoryScore).filter_by(
        city_id=payload["city_id"], category_id=payload["category_id"],
        catalog_version=payload["catalog_version"],
        benchmark_version=payload["benchmark_version"], input_hash=input_hash(payload),
    )).scalar_one_or_none()


def _job(payload: dict[str, Any]) -> JobRecord | None:
    return db.session.execute(
        select(JobRecord).where(JobRecord.key == scoring_service.job_key(payload))
    ).scalar_one_or_none()


def build_snapshot(city: City, language: str, rtl: bool) -> Snapshot:
    """Assemble the snapshot from the catalog, the category states and the stored scores.

    A complete category shows the score of its current data; while that is being computed
    it shows the previous score marked as outdated (or nothing), and the job's state.
    """
    from intake.services.values import category_states, get_city_values, provenance_rows

    catalog = scoring_service.get_catalog()
    values = get_city_values(city.id)
    states = category_states(city.id)
    quality = {code: row.quality_tier for code, row in provenance_rows(city.id).items()}
    all_items: list[dict[str, Any]] = []
    dimensions: list[DimensionView] = []
    for dimension in catalog.dimensions:
        views: list[CategoryView] = []
        for category in catalog.categories:
            if category.dimension != dimension.id:
                continue
            state = states.get(category.id)
            status = state.status if state is not None else NOT_STARTED
            view = CategoryView(id=category.id, label=category.name.get(language),
                                dimension=dimension.id, status=status, items=[])
            stored: dict[str, dict[str, Any]] = {}
            if status == "complete":
                payload = scoring_service.build_payload(catalog, city.id, category.id, values)
                view.job = _job(payload)
                view.score = _exact_score(payload)
                if view.score is None:
                    view.score = _latest_score(city.id, category.id)
                    view.outdated = view.score is not None
                if view.score is not None:
                    stored = {item["id"]: item for item in view.score.items}
            for kpi in catalog.kpis_in(category.id):
                for item in kpi.items:
                    found = stored.get(item.id, {})
                    # Until a score is stored, the table still shows what the target is.
                    target, direction = scoring_service.target_fields(item.target)
                    name = kpi.name.get(language)
                    label = f"{name}: {item.label.get(language)}" if item.part else name
                    row = ItemRow(
                        id=item.id, kpi_code=kpi.code, label=label,
                        unit=item.unit.get(language),
                        value=found.get("value"), target=found.get("target", target),
                        direction=found.get("direction", direction), percent=found.get("percent"),
                        band=found.get("band"),
                        status=found.get("status", NOT_REPORTED),
                        quality=quality.get(kpi.code),
                        reported_directly=bool(found.get("reported_directly")),
                        computed_value=found.get("computed_value"),
                        sub_dimension=kpi.sub_dimension,
                    )
                    view.items.append(row)
                    all_items.append({"status": row.status, "band": row.band,
                                      "dimension": dimension.id, "category": category.id,
                                      "sub_dimension": kpi.sub_dimension})
            summary = summarise({"status": i.status, "band": i.band} for i in view.items)
            view.percent, view.band = summary["percent"], summary["band"]
            view.scored, view.total = summary["scored"], summary["total"]
            views.append(view)
        dim_summary = summarise(
            {"status": i.status, "band": i.band} for c in views for i in c.items)
        dimensions.append(DimensionView(
            id=dimension.id, label=dimension.name.get(language), categories=views,
            percent=dim_summary["percent"], band=dim_summary["band"],
            scored=dim_summary["scored"], total=dim_summary["total"]))
    by_category: dict[str, list[dict[str, Any]]] = {}
    for item in all_items:
        by_category.setdefault(item["category"], []).append(item)
    dim_cover = coverage_scores(
        by_category, {d.id: [c.id for c in catalog.categories_in(d.id)]
                      for d in catalog.dimensions},
        lambda _category, item: item["dimension"])
    sub_members: dict[str, set[str]] = {sub.id: set() for sub in catalog.sub_dimensions}
    for kpi in catalog.kpis:
        sub_members.setdefault(kpi.sub_dimension, set()).add(kpi.category)
    sub_cover = coverage_scores(by_category, sub_members,
                                lambda _category, item: item["sub_dimension"])
    sub_dimensions = []
    for sub in catalog.sub_dimensions:
        sub_dimensions.append({"id": sub.id, "dimension": sub.dimension,
                               "label": sub.name.get(language), **sub_cover[sub.id]})
    for view in dimensions:
        cover = dim_cover[view.id]
        view.categories_scored = cover["categories_scored"]
        view.categories_total = cover["categories_total"]
        view.partial = cover["partial"]
        view.sub_dimensions = [s for s in sub_dimensions if s["dimension"] == view.id]
    snapshot = Snapshot(city=city, language=language, rtl=rtl,
                        catalog_version=catalog.version,
                        benchmark_version=catalog.benchmark_version,
                        provisional=catalog.benchmark_provisional,
                        dimensions=dimensions, sub_dimensions=sub_dimensions)
    snapshot.wheel = build_wheel(_wheel_tree(snapshot), rtl=rtl)
    return snapshot


def _wheel_tree(snapshot: Snapshot) -> list[dict[str, Any]]:
    return [{
        "id": d.id, "label": d.label, "percent": d.percent, "band": d.band,
        "sub_dimensions": [dict(s) for s in d.sub_dimensions],
        "categories": [{
            "id": c.id, "label": c.label, "percent": c.percent, "band": c.band,
            "items": [{"id": i.id, "label": i.label, "band": i.band, "status": i.status,
                       "percent": i.percent, "sub_dimension": i.sub_dimension}
                      for i in c.items],
        } for c in d.categories],
    } for d in snapshot.dimensions]


__all__ = ["NO_TARGET", "NOT_REPORTED", "SCORED", "Snapshot", "build_snapshot"]
