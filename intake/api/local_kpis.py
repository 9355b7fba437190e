"""GET /api/v1/cities/<id>/local-kpis: the city's own indicators, apart from the 91.

Read-only: the city proposes and fills them in its workspace and the secretariat decides
on its pages. Each local KPI carries its latest value and points; they are never part of
the city's scores of the 91 nor of any peer figure (`compared_with_peers` is always false).
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields

from intake.api import bp
from intake.api.auth import CITY_ID, city_or_abort, token_required
from intake.api.fields import UtcDateTime
from intake.services import local_kpis as service

TAGS = ["local KPIs"]


class LocalKpiSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    description = fields.String(dump_only=True)
    unit = fields.String(dump_only=True)
    formula = fields.String(dump_only=True, metadata={"description": "The formula in words."})
    kind = fields.String(dump_only=True, metadata={
        "description": "ratio (numerator ÷ denominator × multiplier) or direct."})
    multiplier = fields.Integer(dump_only=True, allow_none=True)
    numerator_label = fields.String(dump_only=True, allow_none=True)
    denominator_label = fields.String(dump_only=True, allow_none=True)
    direction = fields.String(dump_only=True, metadata={
        "description": "higher_is_better or lower_is_better."})
    target = fields.Float(dump_only=True)
    target_source = fields.String(dump_only=True)
    category_id = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "The catalog category it is shown beside (never scored with it)."})
    status = fields.String(dump_only=True, metadata={
        "description": "proposed, approved or rejected."})
    approved_at = UtcDateTime(dump_only=True, allow_none=True)
    reference_year = fields.Integer(dump_only=True, allow_none=True)
    numerator = fields.Float(dump_only=True, allow_none=True)
    denominator = fields.Float(dump_only=True, allow_none=True)
    value = fields.Float(dump_only=True, allow_none=True)
    percent = fields.Float(dump_only=True, allow_none=True, metadata={
        "description": "Percent of the target (0–100)."})
    band = fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "Points 1–4 by the U4SSC rule."})
    source = fields.String(dump_only=True, allow_none=True)
    quality_tier = fields.String(dump_only=True, allow_none=True)
    verification = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "The verifier's yes or no, or null."})
    compared_with_peers = fields.Boolean(dump_only=True)


class LocalKpiListSchema(Schema):
    class Meta:
        unknown = RAISE

    city_id = fields.Integer(dump_only=True)
    local_kpis = fields.List(fields.Nested(LocalKpiSchema), dump_only=True)


@bp.get(f"/cities/{CITY_ID}/local-kpis", tags=TAGS)
@token_required()
@bp.response(200, LocalKpiListSchema)
def list_local_kpis(city_id: int):
    """A city's local KPIs (every state), with the latest value and points of approved ones"""
    city = city_or_abort(city_id)
    rows = [service.row_for(kpi) for kpi in service.kpis_of(city.id)]
    return {"city_id": city.id, "local_kpis": [service.as_data(row) for row in rows]}
