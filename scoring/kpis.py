"""KPI values from raw data points, one pure function per declarative formula kind."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

Value = float | bool | None

# Scale factors of the simple ratio kinds: result = numerator / denominator * scale.
_RATIO_SCALES = {
    "ratio_percent": 100.0,
    "per_100k": 100_000.0,
    "per_capita": 1.0,
    "ratio": 1.0,
}
# A result the city reports itself (a published rate, an official statistic) is kept beside
# the raw data points under this prefix and counts over what the raw inputs give.
RESULT_PREFIX = "result:"
_PART_KINDS = ("parts_percent", "parts_direct", "yes_no_parts", "per_item")
_TRUE_WORDS = {"yes", "true", "y", "1", "oui", "sí", "si", "نعم", "是", "да"}
_FALSE_WORDS = {"no", "false", "n", "0", "non", "لا", "否", "нет"}


def number(value: Any) -> float | None:
    """A finite float, or None for missing, not-a-number, infinite, boolean or text junk."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        try:
            result = float(value)
        except (OverflowError, ValueError):
            return None
    elif isinstance(value, str):
        try:
            result = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def yes_no(value: Any) -> bool | None:
    """True/False from a boolean, 0/1 or a yes/no word; None when missing or unclear."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
        return None
    num = number(value)
    if num == 1.0:
        return True
    if num == 0.0:
        return False
    return None


def _ratio(values: Mapping, numerator: str, denominator: str, scale: float) -> float | None:
    num, den = number(values.get(numerator)), number(values.get(denominator))
    # A zero or negative denominator (households, population, …) has no meaningful share.
    if num is None or den is None or den <= 0:
        return None
    try:
        result = num / den * scale
    except (OverflowError, ZeroDivisionError):
        return None
    return result if math.isfinite(result) else None


def _single(formula: Mapping, values: Mapping) -> Value:
    kind = formula.get("kind")
    params = formula.get("params") or {}
    if kind in _RATIO_SCALES:
        return _ratio(values, params["numerator"], params["denominator"], _RATIO_SCALES[kind])
    if kind == "per_capita_per_day":
        days = number(params.get("days"))
        if not days or days <= 0:
            return None
        per_year = _ratio(values, params["numerator"], params["denominator"], 1.0)
        return None if per_year is None else per_year / days
    if kind == "loss_percent":
        total, used = number(values.get(params["total"])), number(values.get(params["used"]))
        if total is None or used is None or total <= 0:
            return None
        return (total - used) / total * 100.0
    if kind == "direct":
        return number(values.get(params["value"]))
    if kind == "yes_no":
        return yes_no(values.get(params["value"]))
    if kind == "sum":
        parts = [number(values.get(p)) for p in params["values"]]
        return None if any(p is None for p in parts) else math.fsum(parts)
    raise ValueError(f"unknown formula kind {kind!r}")


def _part_value(formula: Mapping, values: Mapping, part: str) -> Value:
    kind = formula["kind"]
    params = formula.get("params") or {}
    if kind == "per_item":
        sub = params["items"].get(part)
        return None if sub is None else _single(sub, values)
    if part not in params["parts"]:
        return None
    if kind == "parts_percent":
        share = _ratio(values, part, params["total"], 100.0)
        by_area = params.get("by_area") or {}
        alternative = (by_area.get("parts") or {}).get(part)
        if share is None and alternative and number(values.get(part)) is None:
            # Where the methodology allows it (wireless coverage), the share of the area.
            share = _ratio(values, alternative, by_area["total"], 100.0)
        return share
    if kind == "parts_direct":
        return number(values.get(part))
    return yes_no(values.get(part))  # yes_no_parts


def compute_kpi(formula: Mapping, values: Mapping[str, Any],
                item_ids: list[str]) -> dict[str, Value]:
    """Item id -> value; None where an input is missing, not finite, or a denominator is 0.

    `item_ids` are the KPI's scored ids: [code] for a single-value KPI, or "CODE#part" ids.
    Raises ValueError only for a formula kind this module does not know (a catalog bug).
    """
    kind = formula.get("kind")
    if kind not in _RATIO_SCALES and kind not in _PART_KINDS and kind not in (
            "per_capita_per_day", "loss_percent", "direct", "yes_no", "sum"):
        raise ValueError(f"unknown formula kind {kind!r}")
    values = values or {}
    result: dict[str, Value] = {}
    for item_id in item_ids:
        if kind in _PART_KINDS:
            _, _, part = item_id.partition("#")
            result[item_id] = _part_value(formula, values, part) if part else None
        else:
            result[item_id] = _single(formula, values)
    return result


def result_key(item_id: str) -> str:
    """The values key of a scored item's directly reported result."""
    return RESULT_PREFIX + item_id


def is_result_key(key: str) -> bool:
    return key.startswith(RESULT_PREFIX)


def item_of_result_key(key: str) -> str:
    return key[len(RESULT_PREFIX):]


def with_direct_results(computed: Mapping[str, Value], values: Mapping[str, Any],
                        boolean_ids: frozenset[str] | set[str] = frozenset()
                        ) -> dict[str, tuple[Value, bool]]:
    """Item id -> (value that counts, reported directly?).

    A direct result present in `values` (even None: "not available") counts over the value
    computed from raw inputs; items in `boolean_ids` read it as yes/no, others as a number.
    """
    out: dict[str, tuple[Value, bool]] = {}
    for item_id, value in computed.items():
        key = result_key(item_id)
        if key in values:
            raw = values[key]
            direct = yes_no(raw) if item_id in boolean_ids else number(raw)
            out[item_id] = (direct, True)
        else:
            out[item_id] = (value, False)
    return out


def boolean_items(formula: Mapping, item_ids: list[str]) -> set[str]:
    """The items of a formula answered yes or no."""
    kind = formula.get("kind")
    if kind in ("yes_no", "yes_no_parts"):
        return set(item_ids)
    if kind == "per_item":
        items = (formula.get("params") or {}).get("items") or {}
        return {item_id for item_id in item_ids
                if (items.get(item_id.partition("#")[2]) or {}).get("kind") == "yes_no"}
    return set()


def _inputs_of(formula: Mapping) -> list[str]:
    params = formula.get("params") or {}
    if formula.get("kind") == "per_item":
        out: list[str] = []
        for sub in (params.get("items") or {}).values():
            out.extend(_inputs_of(sub))
        return out
    out = []
    # Parts before the total they are shares of: the order a form asks them in.
    for name in ("parts", "values"):
        out.extend(p for p in params.get(name) or [] if isinstance(p, str))
    for name in ("numerator", "denominator", "value", "total", "used"):
        if isinstance(params.get(name), str):
            out.append(params[name])
    by_area = params.get("by_area")
    if isinstance(by_area, Mapping):
        out.extend(p for p in (by_area.get("parts") or {}).values() if isinstance(p, str))
        if isinstance(by_area.get("total"), str):
            out.append(by_area["total"])
    return out


def formula_inputs(formula: Mapping) -> list[str]:
    """The data point ids a formula reads, each once, in first-use order."""
    seen: dict[str, None] = {}
    for pid in _inputs_of(formula):
        seen.setdefault(pid, None)
    return list(seen)


def compute_all(kpis: Any, values: Mapping[str, Any]) -> dict[str, Value]:
    """Every item value for many KPIs.

    `kpis` is an iterable of objects with `.formula.as_dict()` and `.items[*].id` (catalog KPIs)
    or of plain dicts {"formula": {...}, "items": [item ids]}.
    """
    out: dict[str, Value] = {}
    for kpi in kpis:
        if isinstance(kpi, Mapping):
            formula, ids = kpi["formula"], list(kpi["items"])
        else:
            formula, ids = kpi.formula.as_dict(), [item.id for item in kpi.items]
        out.update(compute_kpi(formula, values, ids))
    return out


FORMULA_KINDS: tuple[str, ...] = (*_RATIO_SCALES, "per_capita_per_day", "loss_percent",
                                  "direct", "yes_no", "sum", *_PART_KINDS)
__all__ = ["FORMULA_KINDS", "RESULT_PREFIX", "boolean_items", "compute_all", "compute_kpi",
           "formula_inputs", "is_result_key", "item_of_result_key", "number", "result_key",
           "with_direct_results", "yes_no"]
