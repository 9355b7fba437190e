"""GET /api/v1/cities/<id>/scores: each category's latest score, with the versions used."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields

from intake.api import bp
from intake.api.auth import CITY_ID, city_or_abort, token_required
from intake.api.fields import UtcDateTime
from intake.api.values import VALUE_METADATA, DataValueField
from intake.secretariat import overview
from intake.services import gains as gains_service
from intake.services.values import catalog

TAGS = ["scores"]
TARGET_METADATA = {"description": "The benchmark target (a number, or true for yes/no).",
                   "oneOf": [{"type": "number"}, {"type": "boolean"}], "nullable": True}


class ScoreItemSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(dump_only=True)
    kpi_code = fields.String(dump_only=True)
    value = DataValueField(dump_only=True, allow_none=True, metadata=VALUE_METADATA)
    target = DataValueField(dump_only=True, allow_none=True, metadata=TARGET_METADATA)
    direction = fields.String(dump_only=True, allow_none=True)
    percent = fields.Float(dump_only=True, allow_none=True)
    band = fields.Integer(dump_only=True, allow_none=True)
    reported_directly = fields.Boolean(dump_only=True, metadata={
        "description": "The city gave this result itself; it counts over the computed one."})
    computed_value = fields.Raw(dump_only=True, allow_none=True, metadata={
        "description": "What the raw inputs give, when the result was reported directly."})
    status = fields.String(dump_only=True, metadata={
        "description": "scored, not_reported or no_target."})


class CategoryScoreSchema(Schema):
    class Meta:
        unknown = RAISE

    percent = fields.Float(dump_only=True, allow_none=True)
    band = fields.Integer(dump_only=True, allow_none=True)
    scored = fields.Integer(dump_only=True)
    reported = fields.Integer(dump_only=True)
    total = fields.Integer(dump_only=True)
    catalog_version = fields.String(dump_only=True)
    benchmark_version = fields.String(dump_only=True)
    computed_at = UtcDateTime(dump_only=True)
    current = fields.Boolean(dump_only=True, metadata={
        "description": "False when the category was reopened after it was scored."})
    items = fields.List(fields.Nested(ScoreItemSchema), dump_only=True)


class CategoryEntrySchema(Schema):
    class Meta:
        unknown = RAISE

    category_id = fields.String(dump_only=True)
    dimension = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    score = fields.Nested(CategoryScoreSchema, dump_only=True, allow_none=True)


class GroupScoreSchema(Schema):
    """A dimension's or sub-dimension's score, and how many of its categories it is from."""

    class Meta:
        unknown = RAISE

    id = fields.String(dump_only=True)
    percent = fields.Float(dump_only=True, allow_none=True)
    band = fields.Integer(dump_only=True, allow_none=True)
    scored = fields.Integer(dump_only=True)
    total = fields.Integer(dump_only=True)
    categories_scored = fields.Integer(dump_only=True)
    categories_total = fields.Integer(dump_only=True)
    partial = fields.Boolean(dump_only=True, metadata={
        "description": "Scored from only part of its categories (`categories_scored` of "
                       "`categories_total`)."})


class DimensionScoreSchema(GroupScoreSchema):
    sub_dimensions = fields.List(fields.Nested(GroupScoreSchema), dump_only=True)


class CityScoresSchema(Schema):
    class Meta:
        unknown = RAISE

    city_id = fields.Integer(dump_only=True)
    catalog_version = fields.String(dump_only=True)
    benchmark_version = fields.String(dump_only=True)
    overall_percent = fields.Float(dump_only=True, allow_none=True)
    overall_band = fields.Integer(dump_only=True, allow_none=True)
    categories = fields.List(fields.Nested(CategoryEntrySchema), dump_only=True)
    dimensions = fields.List(fields.Nested(DimensionScoreSchema), dump_only=True)


def _item(item: dict) -> dict:
    return {key: item.get(key) for key in ScoreItemSchema().fields}


@bp.get(f"/cities/{CITY_ID}/scores", tags=TAGS)
@token_required()
@bp.response(200, CityScoresSchema)
def city_scores(city_id: int):
    """A city's score per category (latest), with the catalog and benchmark versions used"""
    city = city_or_abort(city_id)
    # Whole score rows (items, versions), not the figures the lists read.
    scores = gains_service.latest_scores([city.id]).get(city.id, {})
    row = overview.city_row(city)
    book = catalog()
    categories = []
    for cell in row.categories:
        score = scores.get(cell.id)
        entry = {"category_id": cell.id, "dimension": cell.dimension, "status": cell.status,
                 "score": None}
        if score is not None:
            entry["score"] = {
                "percent": score.percent, "band": score.band, "scored": score.scored,
                "reported": score.reported, "total": score.total,
                "catalog_version": score.catalog_version,
                "benchmark_version": score.benchmark_version,
                "computed_at": score.computed_at, "current": cell.status == "complete",
                "items": [_item(item) for item in (score.items or [])
                          if isinstance(item, dict)],
            }
        categories.append(entry)
    return {"city_id": city.id, "catalog_version": book.version,
            "benchmark_version": book.benchmark_version,
            "overall_percent": row.score_percent, "overall_band": row.score_band,
            "categories": categories, "dimensions": _group_scores(book, scores)}


def _group_scores(book, scores: dict) -> list[dict]:
    from scoring.aggregate import coverage_scores

    items = {cid: [i for i in (score.items or []) if isinstance(i, dict)]
             for cid, score in scores.items()}
    dimension_of = {category.id: category.dimension for category in book.categories}
    dims = coverage_scores(
        items, {d.id: [c.id for c in book.categories_in(d.id)] for d in book.dimensions},
        lambda category_id, _item: dimension_of.get(category_id))
    members: dict[str, set[str]] = {sub.id: set() for sub in book.sub_dimensions}
    for kpi in book.kpis:
        members.setdefault(kpi.sub_dimension, set()).add(kpi.category)
    subs = coverage_scores(items, members, lambda _category_id, item: item.get("sub_dimension"))
    return [{"id": d.id, **dims[d.id],
             "sub_dimensions": [{"id": s, **subs[s]} for s in d.sub_dimensions]}
            for d in book.dimensions]
