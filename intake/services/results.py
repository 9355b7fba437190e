"""Results a city reports directly (a published rate, an official statistic) per scored item.

A direct result is kept as the city's value under the item's result key ("result:<item id>"),
so it has the same draft text, version, audit trail and checks as any figure, and the scoring
payload carries it beside the raw inputs. When present it counts over the computed value.
"""

from __future__ import annotations

from typing import Any

from forms.fields import format_plain
from forms.rules import ERROR, Message, check_value
from intake import signals
from intake.extensions import db
from intake.services import values as value_service
from intake.services.values import Entry, catalog
from scoring.kpis import boolean_items, compute_kpi, with_direct_results


def item_or_key_error(item_id: str):
    """The scored item (KeyError when the catalog has none with this id)."""
    return catalog().item(item_id)


def counted_results(kpi: Any, values: dict) -> dict[str, tuple[Any, bool, Any]]:
    """Item id -> (value that counts, reported directly?, value computed from raw inputs)."""
    formula = kpi.formula.as_dict()
    ids = [item.id for item in kpi.items]
    computed = compute_kpi(formula, values, ids)
    counted = with_direct_results(computed, values, boolean_items(formula, ids))
    return {item_id: (value, direct, computed[item_id])
            for item_id, (value, direct) in counted.items()}


def result_data(city_id: int, item_id: str, *, values: dict | None = None,
                lang: str = "en") -> dict:
    """The API's view of one item: the value that counts, whether it was reported directly,
    what the raw inputs give, its unit and the version of its direct result."""
    cat = catalog()
    item = cat.item(item_id)
    kpi = cat.kpi(item.kpi_code)
    if values is None:
        values = value_service.get_city_values(city_id)
    value, direct, computed = counted_results(kpi, values)[item.id]
    row = value_service.value_rows(city_id, [item.result_key]).get(item.result_key)
    return {"item_id": item.id, "kpi_code": kpi.code, "value": value,
            "reported_directly": direct, "computed_value": computed,
            "unit": item.unit.get(lang), "version": row.version if row is not None else 0,
            "origin": row.origin if row is not None else None}


def check_result(city_id: int, item_id: str, value: Any, *, locale: str = "en"
                 ) -> list[Message]:
    """Errors and warnings for a directly reported result, as for any figure."""
    from intake.services.wizard.checks import rule_context

    point = catalog().result_point(item_id)
    if value is None:
        return []
    if point.type == "boolean":
        return [] if isinstance(value, bool) else [_message("not_yes_no", point.id)]
    if isinstance(value, bool):
        return [_message("not_a_number", point.id, text=format_plain(value))]
    return check_value(point, float(value), rule_context(city_id, locale))


def _message(rule_id: str, point_id: str, **params) -> Message:
    from forms.rules import message

    return message(rule_id, point_id, **params)


def set_result(city_id: int, item_id: str, value: Any, *, actor: str,
               reason: str | None = None, justification: str | None = None,
               origin: str | None | Any = value_service.KEEP) -> list[Message]:
    """Store a direct result (None = not available) unless a check refuses it.

    Returns the findings: when any is an error nothing is written; warnings are stored with
    the value (and its justification) for the review pages, like the wizard's.
    """
    point = catalog().result_point(item_id)
    findings = check_result(city_id, item_id, value)
    if any(m.tier == ERROR for m in findings):
        return findings
    entry = Entry(point.id, "" if value is None else format_plain(value), value,
                  not_available=value is None, justification=justification,
                  findings=[m.as_dict() for m in findings] or None, origin=origin)
    changed = value_service.store_entries(city_id, [entry], actor=actor, reason=reason)
    categories = value_service.categories_using([point.id])
    value_service.bump_versions(city_id, categories, [point.id])
    db.session.commit()
    if changed:
        for category_id in categories:
            signals.category_data_changed.send(None, city_id=city_id, category_id=category_id)
    return findings
