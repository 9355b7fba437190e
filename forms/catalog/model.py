"""The U4SSC KPI catalog's frozen objects: what a KPI, data point, category or target is."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from forms.catalog_schema import MULTI_PART_KINDS

# The 2022 U4SSC KPIs Verification Manual, one public page per URL.
MANUAL_PAGE = ("https://www.itu.int/en/publications/Documents/tsb/"
               "2022-U4SSC-KPIs-Verification-Manual-A-guide-for-verifiers/files/basic-html/"
               "page{page}.html")


class CatalogError(ValueError):
    """The catalog or benchmark file is malformed; the message names the entry and field."""


class Localized(Mapping):
    """Immutable language -> text mapping; `.get(lang)` falls back to English."""

    __slots__ = ("_texts",)

    def __init__(self, texts: Mapping[str, str] | str | None = None):
        if isinstance(texts, str):
            texts = {"en": texts}
        object.__setattr__(self, "_texts", dict(texts or {}))

    def __setattr__(self, name, value):
        raise AttributeError("Localized is immutable")

    def __getitem__(self, lang: str) -> str:
        return self._texts[lang]

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._texts.items())))

    def __eq__(self, other) -> bool:
        if isinstance(other, Localized):
            return self._texts == other._texts
        return NotImplemented

    def get(self, lang: str | None = None, default: str | None = None) -> str:
        """Text in `lang`, else English, else `default` (or "")."""
        text = self._texts.get(lang or "en") or self._texts.get("en")
        if text:
            return text
        return default if default is not None else ""

    def __str__(self) -> str:
        return self.get("en")

    def __repr__(self) -> str:
        return f"Localized({self._texts!r})"


@dataclass(frozen=True)
class Target:
    value: float | None
    direction: str  # higher_is_better | lower_is_better | yes_no | none (no target proposed)
    basis: str
    confidence: str
    version: str
    citation: str = ""


@dataclass(frozen=True)
class DataPoint:
    id: str
    label: Localized
    help: Localized
    type: str
    unit: Localized
    minimum: float | None
    maximum: float | None
    shared: bool
    typical_range: tuple[float, float] | None
    part_of: str | None
    unit_key: str = ""
    fte: bool = False  # a staff count in full-time equivalents: decimals allowed


@dataclass(frozen=True)
class Formula:
    kind: str
    params: Mapping[str, Any]

    def as_dict(self) -> dict:
        """A plain, deep-copied dict for scoring.kpis (which never imports forms)."""
        return {"kind": self.kind, "params": json.loads(json.dumps(dict(self.params)))}

    def inputs(self) -> tuple[str, ...]:
        from scoring.kpis import formula_inputs

        return tuple(formula_inputs(self.as_dict()))

    def __hash__(self) -> int:
        return hash((self.kind, json.dumps(dict(self.params), sort_keys=True)))


@dataclass(frozen=True)
class ScoredItem:
    id: str
    kpi_code: str
    part: str | None
    label: Localized
    unit: Localized
    target: Target | None
    typical_range: tuple[float, float] | None = None
    # What a directly reported result is: "boolean" (yes/no), "percent" (0-100) or "number".
    value_type: str = "number"

    @property
    def result_key(self) -> str:
        """Where a directly reported result of this item is kept among the city's values."""
        from scoring.kpis import result_key

        return result_key(self.id)



@dataclass(frozen=True)
class Dimension:
    id: str
    name: Localized
    sub_dimensions: tuple[str, ...]


@dataclass(frozen=True)
class SubDimension:
    id: str
    dimension: str
    name: Localized


@dataclass(frozen=True)
class Category:
    id: str
    dimension: str
    name: Localized
    kpi_codes: tuple[str, ...]


@dataclass(frozen=True)
class KPI:
    code: str
    name: Localized
    description: Localized
    dimension: str
    sub_dimension: str
    category: str
    level: str
    kind: str
    unit: Localized
    sdgs: tuple[str, ...]
    formula: Formula
    data_points: tuple[DataPoint, ...]
    items: tuple[ScoredItem, ...]
    target: Target | None
    formula_text: Localized
    manual_pages: tuple[int, ...] = ()

    @property
    def manual_urls(self) -> tuple[str, ...]:
        """The pages of the 2022 Verification Manual this KPI was checked against."""
        return tuple(MANUAL_PAGE.format(page=page) for page in self.manual_pages)

    @property
    def is_multi_part(self) -> bool:
        return self.formula.kind in MULTI_PART_KINDS


@dataclass(frozen=True)
class Catalog:
    version: str
    benchmark_version: str
    benchmark_provisional: bool
    dimensions: tuple[Dimension, ...]
    sub_dimensions: tuple[SubDimension, ...]
    categories: tuple[Category, ...]
    kpis: tuple[KPI, ...]
    shared_inputs: tuple[DataPoint, ...]
    all_data_points: tuple[DataPoint, ...] = ()
    units: Mapping[str, Localized] = field(default_factory=dict, compare=False, repr=False)
    _kpi_index: Mapping[str, KPI] = field(default_factory=dict, compare=False, repr=False)
    _category_index: Mapping[str, Category] = field(default_factory=dict, compare=False,
                                                     repr=False)
    _data_point_index: Mapping[str, DataPoint] = field(default_factory=dict, compare=False,
                                                       repr=False)

    def kpi(self, code: str) -> KPI:
        try:
            return self._kpi_index[code]
        except KeyError:
            raise KeyError(f"no KPI with code {code!r}") from None

    def category(self, category_id: str) -> Category:
        try:
            return self._category_index[category_id]
        except KeyError:
            raise KeyError(f"no category {category_id!r}") from None

    def kpis_in(self, category_id: str) -> tuple[KPI, ...]:
        return tuple(self._kpi_index[c] for c in self.category(category_id).kpi_codes)

    def data_point(self, data_point_id: str) -> DataPoint:
        try:
            return self._data_point_index[data_point_id]
        except KeyError:
            raise KeyError(f"no data point {data_point_id!r}") from None

    def scored_items(self) -> tuple[ScoredItem, ...]:
        return tuple(item for kpi in self.kpis for item in kpi.items)

    def item(self, item_id: str) -> ScoredItem:
        code = item_id.split("#", 1)[0]
        for item in self.kpi(code).items:  # KeyError for an unknown KPI code
            if item.id == item_id:
                return item
        raise KeyError(f"no scored item {item_id!r}")

    @functools.cached_property
    def _result_points(self) -> dict[str, DataPoint]:
        points: dict[str, DataPoint] = {}
        for item in self.scored_items():
            kpi = self._kpi_index[item.kpi_code]
            points[item.result_key] = DataPoint(
                id=item.result_key,
                label=item.label if item.part else kpi.name, help=Localized({}),
                type=item.value_type, unit=item.unit,
                minimum=None,
                maximum=100.0 if item.value_type == "percent" else None, shared=False,
                typical_range=item.typical_range, part_of=None, unit_key="")
        return points

    def result_points(self) -> tuple[DataPoint, ...]:
        """Each scored item's directly reported result as a data point (id "result:<item>"),
        so the same parsing and checks apply to it as to any figure."""
        return tuple(self._result_points.values())

    def result_point(self, item_id_or_key: str) -> DataPoint:
        from scoring.kpis import RESULT_PREFIX, result_key

        key = (item_id_or_key if item_id_or_key.startswith(RESULT_PREFIX)
               else result_key(item_id_or_key))
        try:
            return self._result_points[key]
        except KeyError:
            raise KeyError(f"no scored item {item_id_or_key!r}") from None

    def dimension(self, dimension_id: str) -> Dimension:
        for dim in self.dimensions:
            if dim.id == dimension_id:
                return dim
        raise KeyError(f"no dimension {dimension_id!r}")

    def sub_dimension(self, sub_dimension_id: str) -> SubDimension:
        for sub in self.sub_dimensions:
            if sub.id == sub_dimension_id:
                return sub
        raise KeyError(f"no sub-dimension {sub_dimension_id!r}")

    def categories_in(self, dimension_id: str) -> tuple[Category, ...]:
        return tuple(c for c in self.categories if c.dimension == dimension_id)
