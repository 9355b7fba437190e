"""Marshmallow schemas that validate the KPI catalog and benchmark data files before use."""

from __future__ import annotations

import re

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

LANGUAGES = ("en", "fr", "es", "ar", "zh", "ru")
LEVELS = ("core", "advanced")
KINDS = ("smart", "structural", "sustainable")
DATA_POINT_TYPES = ("count", "number", "percent", "boolean", "year")
DIRECTIONS = ("higher_is_better", "lower_is_better", "yes_no", "none")
CONFIDENCE = ("high", "medium", "low")

# Formula kinds and the parameters each one needs; scoring.kpis implements the same list.
FORMULA_PARAMS: dict[str, tuple[str, ...]] = {
    "ratio_percent": ("numerator", "denominator"),
    "per_100k": ("numerator", "denominator"),
    "per_capita": ("numerator", "denominator"),
    "per_capita_per_day": ("numerator", "denominator", "days"),
    "ratio": ("numerator", "denominator"),
    "loss_percent": ("total", "used"),
    "direct": ("value",),
    "yes_no": ("value",),
    "sum": ("values",),
    "parts_percent": ("parts", "total"),
    "parts_direct": ("parts",),
    "yes_no_parts": ("parts",),
    "per_item": ("items",),
}
MULTI_PART_KINDS = ("parts_percent", "parts_direct", "yes_no_parts", "per_item")

CODE_PATTERN = re.compile(r"^(EC|EN|SC): [A-Z]+: [A-Z]+: \d+[CA]$")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _one_of(choices: tuple[str, ...]) -> validate.OneOf:
    return validate.OneOf(choices, error="must be one of " + ", ".join(choices))


def _check_localized(value: dict) -> None:
    if not isinstance(value, dict):
        raise ValidationError("must be an object of language -> text")
    if not isinstance(value.get("en"), str) or not value["en"].strip():
        raise ValidationError("needs a non-empty English ('en') text")
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown:
        raise ValidationError("unknown language(s) " + ", ".join(unknown))
    for lang, text in value.items():
        if not isinstance(text, str):
            raise ValidationError(f"text for '{lang}' must be a string")


class LocalizedField(fields.Dict):
    """A {lang: text} object that must carry at least English."""

    def __init__(self, **kwargs):
        super().__init__(keys=fields.String(), values=fields.String(), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        _check_localized(value)
        return super()._deserialize(value, attr, data, **kwargs)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _range_pair(value) -> None:
    if not (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
        raise ValidationError("must be a pair [low, high] of numbers")
    if value[0] > value[1]:
        raise ValidationError("low must not exceed high")


class DataPointSchema(_Strict):
    id = fields.String(required=True, validate=validate.Regexp(
        ID_PATTERN, error="must be lower-case letters, digits and _"))
    label = LocalizedField(required=True)
    help = LocalizedField(load_default=None)
    type = fields.String(required=True, validate=_one_of(DATA_POINT_TYPES))
    unit = fields.String(required=True)
    minimum = fields.Float(load_default=None, allow_nan=False)
    maximum = fields.Float(load_default=None, allow_nan=False)
    shared = fields.Boolean(load_default=False)
    typical_range = fields.Raw(load_default=None, validate=_range_pair, allow_none=True)
    part_of = fields.String(load_default=None)
    # Staff counted in full-time equivalents (the reports publish them so): decimals allowed.
    fte = fields.Boolean(load_default=False)

    @validates_schema
    def _bounds(self, data, **kwargs):
        low, high = data.get("minimum"), data.get("maximum")
        if low is not None and high is not None and low > high:
            raise ValidationError("must not exceed maximum", "minimum")
        if data.get("type") == "percent" and (high is None or high > 100 or (low or 0) < 0):
            raise ValidationError("a percent lies within 0-100", "maximum")
        if data.get("type") == "count" and (low is None or low < 0):
            raise ValidationError("a count must not be negative", "minimum")


class FormulaSchema(_Strict):
    kind = fields.String(required=True, validate=_one_of(tuple(FORMULA_PARAMS)))
    params = fields.Dict(keys=fields.String(), required=True)

    @validates_schema
    def _params(self, data, **kwargs):
        kind, params = data.get("kind"), data.get("params") or {}
        if kind not in FORMULA_PARAMS:
            return
        missing = [p for p in FORMULA_PARAMS[kind] if p not in params]
        if missing:
            raise ValidationError(f"formula '{kind}' needs {', '.join(missing)}", "params")
        for name in ("numerator", "denominator", "value", "total", "used"):
            if name in params and not isinstance(params[name], str):
                raise ValidationError(f"'{name}' must name a data point", "params")
        for name in ("parts", "values"):
            if name in params and (not isinstance(params[name], list) or not params[name]
                                   or not all(isinstance(p, str) for p in params[name])):
                raise ValidationError(f"'{name}' must be a non-empty list of data point ids",
                                      "params")
        if "days" in params and (not isinstance(params["days"], int | float)
                                 or params["days"] <= 0):
            raise ValidationError("'days' must be a positive number", "params")
        if kind == "per_item":
            items = params["items"]
            if not isinstance(items, dict) or not items:
                raise ValidationError("'items' must map each part to a formula", "params")
            for part, sub in items.items():
                if not isinstance(sub, dict) or sub.get("kind") in MULTI_PART_KINDS:
                    raise ValidationError(f"item '{part}' needs a single-value formula",
                                          "params")
                errors = FormulaSchema().validate(sub)
                if errors:
                    raise ValidationError(f"item '{part}': {errors}", "params")


class ItemSchema(_Strict):
    part = fields.String(required=True, validate=validate.Regexp(
        ID_PATTERN, error="must be lower-case letters, digits and _"))
    label = LocalizedField(required=True)
    unit = fields.String(required=True)
    typical_range = fields.Raw(load_default=None, validate=_range_pair, allow_none=True)


class KPISchema(_Strict):
    code = fields.String(required=True, validate=validate.Regexp(
        CODE_PATTERN, error="must look like 'EC: ICT: ICT: 1C'"))
    name = LocalizedField(required=True)
    description = LocalizedField(required=True)
    dimension = fields.String(required=True)
    sub_dimension = fields.String(required=True)
    category = fields.String(required=True)
    level = fields.String(required=True, validate=_one_of(LEVELS))
    kind = fields.String(required=True, validate=_one_of(KINDS))
    unit = fields.String(required=True)
    sdgs = fields.List(fields.String(), load_default=list)
    formula = fields.Nested(FormulaSchema, required=True)
    formula_text = LocalizedField(required=True)
    data_points = fields.List(fields.String(), required=True,
                              validate=validate.Length(min=1, error="must list at least one"))
    items = fields.List(fields.Nested(ItemSchema), load_default=list)
    typical_range = fields.Raw(load_default=None, validate=_range_pair, allow_none=True)
    notes = fields.String(load_default="")
    # Pages of the 2022 U4SSC KPIs Verification Manual that define this KPI (checked ones).
    manual_pages = fields.List(fields.Integer(validate=validate.Range(min=1, max=200)),
                               load_default=list)


class DimensionSchema(_Strict):
    id = fields.String(required=True)
    name = LocalizedField(required=True)
    sub_dimensions = fields.List(fields.String(), required=True)


class SubDimensionSchema(_Strict):
    id = fields.String(required=True)
    dimension = fields.String(required=True)
    name = LocalizedField(required=True)


class CategorySchema(_Strict):
    id = fields.String(required=True, validate=validate.Regexp(
        SLUG_PATTERN, error="must be a lower-case slug like 'ec-water-sanitation'"))
    dimension = fields.String(required=True)
    name = LocalizedField(required=True)


class CatalogSchema(_Strict):
    version = fields.String(required=True, validate=validate.Length(min=1))
    title = LocalizedField(load_default=None)
    source = fields.String(load_default="")
    languages = fields.List(fields.String(validate=_one_of(LANGUAGES)), load_default=list)
    units = fields.Dict(keys=fields.String(), values=LocalizedField(), required=True)
    dimensions = fields.List(fields.Nested(DimensionSchema), required=True)
    sub_dimensions = fields.List(fields.Nested(SubDimensionSchema), required=True)
    categories = fields.List(fields.Nested(CategorySchema), required=True)
    data_points = fields.List(fields.Nested(DataPointSchema), required=True)
    kpis = fields.List(fields.Nested(KPISchema), required=True)


class TargetSchema(_Strict):
    id = fields.String(required=True)
    target = fields.Float(load_default=None, allow_nan=False, allow_none=True)
    direction = fields.String(required=True, validate=_one_of(DIRECTIONS))
    basis = fields.String(load_default="")
    citation = fields.String(load_default="")
    confidence = fields.String(load_default="low", validate=_one_of(CONFIDENCE))

    @validates_schema
    def _direction(self, data, **kwargs):
        if data.get("direction") == "none" and data.get("target") is not None:
            raise ValidationError("a target needs a direction other than none", "direction")
        if data.get("direction") == "yes_no" and data.get("target") not in (None, 0.0, 1.0):
            raise ValidationError("a yes/no target is 1 (yes) or 0 (no)", "target")


class BenchmarkSetSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    version = fields.String(required=True, validate=validate.Length(min=1))
    provisional = fields.Boolean(required=True)
    title = fields.String(load_default="")
    targets = fields.List(fields.Nested(TargetSchema), required=True)
