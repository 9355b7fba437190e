"""GET /api/v1/cities[/<id>]: the cities this account may see, with their progress."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from intake.api import bp
from intake.api.auth import CITY_ID, api_user, city_or_abort, token_required
from intake.api.fields import UtcDateTime
from intake.api.paging import PagedSchema, PageQuerySchema, page_data, sort_field
from intake.models.city import ProgrammeStage
from intake.secretariat import overview

TAGS = ["cities"]


class CityQuerySchema(PageQuerySchema):
    stage = fields.String(validate=validate.OneOf([s.value for s in ProgrammeStage]))
    q = fields.String(validate=validate.Length(max=100),
                      metadata={"description": "Part of the city's name, in any script."})
    country = fields.String(validate=validate.Regexp(r"^[A-Za-z]{2}$"),
                            metadata={"description": "ISO 3166-1 alpha-2 code."})
    verifier = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1),
                              metadata={"description": "Only cities assigned to this verifier."})
    overdue = fields.Boolean(load_default=False)
    milestone = fields.String(validate=validate.OneOf(sorted(overview.MILESTONE_FILTERS)),
                              metadata={"description": "Only cities with this programme "
                                        "milestone done (`fee_paid`), or without it "
                                        "(`no_fee_paid`)."})
    sort = sort_field(overview.CITY_SORTS, overview.DEFAULT_CITY_SORT)


class CategoryProgressSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(dump_only=True)
    dimension = fields.String(dump_only=True)
    status = fields.String(dump_only=True, metadata={
        "description": "not_started, in_progress or complete."})
    percent = fields.Float(dump_only=True, allow_none=True, metadata={
        "description": "The latest score, while the category is complete."})
    band = fields.Integer(dump_only=True, allow_none=True)


class CitySchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    country = fields.String(dump_only=True, allow_none=True)
    population = fields.Integer(dump_only=True)
    economy = fields.String(dump_only=True, allow_none=True)
    package = fields.String(dump_only=True, allow_none=True)
    locale = fields.String(dump_only=True)
    stage = fields.String(dump_only=True)
    days_in_stage = fields.Integer(dump_only=True)
    overdue = fields.Boolean(dump_only=True)
    complete_categories = fields.Integer(dump_only=True)
    total_categories = fields.Integer(dump_only=True)
    score_percent = fields.Float(dump_only=True, allow_none=True)
    score_band = fields.Integer(dump_only=True, allow_none=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)
    milestones = fields.Dict(keys=fields.String(), values=fields.Dict(), dump_only=True,
                             metadata={"description": "Programme milestones recorded, by "
                                       "kind: `{\"status\": \"done\" | \"skipped\", "
                                       "\"date\": \"YYYY-MM-DD\"}`."})
    signed_letter_at = UtcDateTime(dump_only=True, allow_none=True)


class CityDetailSchema(CitySchema):
    vision = fields.String(dump_only=True, allow_none=True)
    focal_point_name = fields.String(dump_only=True, allow_none=True)
    focal_point_email = fields.String(dump_only=True, allow_none=True)
    representative_name = fields.String(dump_only=True, allow_none=True)
    representative_title = fields.String(dump_only=True, allow_none=True)
    verifier_emails = fields.List(fields.String(), dump_only=True)
    categories = fields.List(fields.Nested(CategoryProgressSchema), dump_only=True)


class CityListSchema(PagedSchema):
    class Meta:
        unknown = RAISE

    cities = fields.List(fields.Nested(CitySchema), dump_only=True)


def city_data(row: overview.CityRow, *, detail: bool = False) -> dict:
    city = row.city
    data = {
        "id": city.id, "name": city.name, "country": city.country,
        "population": city.population, "economy": city.economy, "package": city.package,
        "locale": city.locale, "stage": str(ProgrammeStage(city.stage)),
        "days_in_stage": row.days_in_stage, "overdue": row.overdue,
        "complete_categories": row.complete_count, "total_categories": len(row.categories),
        "score_percent": row.score_percent, "score_band": row.score_band,
        "created_at": city.created_at, "updated_at": city.updated_at,
        "milestones": {kind: {"status": status, "date": on.isoformat()}
                       for kind, (status, on) in sorted(row.milestones.items())},
        "signed_letter_at": row.signed_at,
    }
    if detail:
        data.update({
            "vision": city.vision, "focal_point_name": city.focal_point_name,
            "focal_point_email": city.focal_point_email,
            "representative_name": city.representative_name,
            "representative_title": city.representative_title,
            "verifier_emails": [user.email for user in row.verifiers],
            "categories": [{"id": cell.id, "dimension": cell.dimension,
                            "status": cell.status, "percent": cell.percent,
                            "band": cell.band} for cell in row.categories],
        })
    return data


@bp.get("/cities", tags=TAGS)
@token_required()
@bp.arguments(CityQuerySchema, location="query", as_kwargs=True)
@bp.response(200, CityListSchema)
def list_cities(**filters):
    """The cities this account may see (secretariat: all; verifier: assigned ones), by pages

    Filters: `stage` (a programme step), `q` (part of the name), `country`, `verifier`,
    `overdue`, `milestone`. Sorted by `sort` (`dir` asc or desc); `page` and `per_page`
    choose the page, `total` and `links` describe the whole list.
    """
    stage = ProgrammeStage(filters["stage"]) if filters.get("stage") else None
    chosen = overview.CityFilters(
        stage=stage, search=(filters.get("q") or "").strip(),
        country=(filters.get("country") or "").upper() or None,
        verifier_id=filters.get("verifier"), overdue_only=filters["overdue"],
        milestone=filters.get("milestone"))
    found = overview.city_page(api_user(), filters=chosen, sort=filters["sort"],
                               descending=filters["dir"] == "desc", page=filters["page"],
                               per_page=filters["per_page"])
    return {"cities": [city_data(row) for row in found.items], **page_data(found)}


@bp.get(f"/cities/{CITY_ID}", tags=TAGS)
@token_required()
@bp.response(200, CityDetailSchema)
def show_city(city_id: int):
    """One city: profile, contacts, programme step, progress of each category"""
    city = city_or_abort(city_id)
    return city_data(overview.city_row(city), detail=True)
