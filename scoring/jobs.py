"""Scoring jobs: plain JSON in, plain JSON out (no database, no app), deterministic."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from scoring.aggregate import NO_TARGET, NOT_REPORTED, SCORED, summarise
from scoring.bands import DIRECTIONS, band_for, percent_of_target
from scoring.kpis import boolean_items, compute_kpi, with_direct_results

__all__ = ["PayloadError", "input_hash", "score_category"]


class PayloadError(ValueError):
    """The payload does not describe a category to score."""


class _ItemSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True)
    target = fields.Raw(load_default=None, allow_none=True)
    direction = fields.String(load_default=None, allow_none=True,
                              validate=validate.OneOf(DIRECTIONS))


class _KpiSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    code = fields.String(required=True)
    formula = fields.Dict(required=True)
    items = fields.List(fields.Nested(_ItemSchema), required=True,
                        validate=validate.Length(min=1))
    sub_dimension = fields.String(load_default=None, allow_none=True)


class _PayloadSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    city_id = fields.Integer(required=True, strict=True)
    category_id = fields.String(required=True)
    catalog_version = fields.String(required=True)
    benchmark_version = fields.String(required=True)
    kpis = fields.List(fields.Nested(_KpiSchema), required=True)
    values = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                         required=True)


def input_hash(payload: Mapping[str, Any]) -> str:
    """A stable fingerprint of everything the score depends on (same input → same hash)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                           allow_nan=False, default=str)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _plain(value: Any) -> float | bool | None:
    if value is None or isinstance(value, bool):
        return value
    number = float(value)
    return number if math.isfinite(number) else None


def _score_item(kpi_code: str, item: Mapping[str, Any], value: Any) -> dict[str, Any]:
    value = _plain(value)
    target, direction = item["target"], item["direction"]
    result = {"id": item["id"], "kpi_code": kpi_code, "value": value, "target": target,
              "direction": direction, "percent": None, "band": None}
    if value is None:
        result["status"] = NOT_REPORTED
    elif target is None or direction is None:
        result["status"] = NO_TARGET
    else:
        percent = percent_of_target(value, target, direction)
        result.update(status=SCORED, percent=percent, band=band_for(percent))
    return result


def score_category(payload: dict[str, Any]) -> dict[str, Any]:
    """Score one category of one city: every item's value, percent, band and status,
    and the category's percent and band. Raises PayloadError on a malformed payload."""
    try:
        data = _PayloadSchema().load(payload)
    except ValidationError as error:
        raise PayloadError(f"invalid scoring payload: {error.messages}") from None
    values = data["values"]
    items: list[dict[str, Any]] = []
    for kpi in data["kpis"]:
        item_ids = [item["id"] for item in kpi["items"]]
        computed = compute_kpi(kpi["formula"], values, item_ids)
        counted = with_direct_results(computed, values,
                                      boolean_items(kpi["formula"], item_ids))
        for item in kpi["items"]:
            value, direct = counted[item["id"]]
            scored = _score_item(kpi["code"], item, value)
            scored["reported_directly"] = direct
            if direct:
                scored["computed_value"] = _plain(computed.get(item["id"]))
            if kpi["sub_dimension"]:
                scored["sub_dimension"] = kpi["sub_dimension"]
            items.append(scored)
    summary = summarise(items)
    return {
        "city_id": data["city_id"],
        "category_id": data["category_id"],
        "catalog_version": data["catalog_version"],
        "benchmark_version": data["benchmark_version"],
        "input_hash": input_hash(payload),
        "items": items,
        **summary,
    }
