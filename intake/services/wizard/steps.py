"""A category's wizard steps and the data-point labels, derived once per catalog object."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from forms.builder import Step, steps_for_category
from intake.cache import RenderedPages
from intake.services.values import catalog

# ------------------------------------------------------------------------------ catalog
# What pages derive from the catalog alone (steps, labels per language) is kept per catalog
# object: a changed catalog file loads a new object, which gets its own entries.
_derived = RenderedPages(maxsize=256)


def from_catalog(cat: Any, key: tuple, build: Callable[[], Any]) -> Any:
    full_key = (id(cat), *key)
    found = _derived.get(full_key)
    if found is not None and found[0] is cat:  # the same catalog, not one at a reused id
        return found[1]
    value = build()
    _derived.put(full_key, (cat, value))
    return value


# ------------------------------------------------------------------------------ steps
def steps(category_id: str) -> tuple[Step, ...]:
    cat = catalog()
    cat.category(category_id)  # KeyError for an unknown category
    return from_catalog(cat, ("steps", category_id),
                         lambda: steps_for_category(cat, category_id))


def get_step(category_id: str, index: int) -> Step:
    all_steps = steps(category_id)
    if not 0 <= index < len(all_steps):
        raise KeyError(index)
    return all_steps[index]


def data_point_labels(locale: str) -> dict[str, str]:
    return dict(labels_for(catalog(), locale))


def labels_for(cat: Any, locale: str) -> Mapping[str, str]:
    """Read-only: shared by every request in this language."""
    return from_catalog(cat, ("labels", locale), lambda: MappingProxyType(
        {dp.id: dp.label.get(locale) for dp in _all_data_points(cat)}))


def _all_data_points(cat: Any) -> list[Any]:
    seen: dict[str, Any] = {}
    for kpi in cat.kpis:
        for dp in kpi.data_points:
            seen.setdefault(dp.id, dp)
    return list(seen.values())
