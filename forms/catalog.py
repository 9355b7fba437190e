"""The U4SSC KPI catalog as frozen objects, loaded and checked from versioned data files."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from forms.catalog_schema import (
    LANGUAGES,
    MULTI_PART_KINDS,
    BenchmarkSetSchema,
    CatalogSchema,
)

CATALOG_DIR = Path(__file__).resolve().parent / "catalogs"
# The 2022 U4SSC KPIs Verification Manual, one public page per URL.
MANUAL_PAGE = ("https://www.itu.int/en/publications/Documents/tsb/"
               "2022-U4SSC-KPIs-Verification-Manual-A-guide-for-verifiers/files/basic-html/"
               "page{page}.html")
DEFAULT_CATALOG = CATALOG_DIR / "u4ssc-kpis.json"
DEFAULT_BENCHMARKS = CATALOG_DIR / "benchmarks-provisional.json"

__all__ = [
    "Catalog", "CatalogError", "Category", "DataPoint", "Dimension", "Formula", "KPI",
    "LANGUAGES", "Localized", "ScoredItem", "SubDimension", "Target", "load_catalog",
]


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


def _value_type(kind: str, unit_key: str) -> str:
    if kind in ("yes_no", "yes_no_parts"):
        return "boolean"
    return "percent" if unit_key.startswith("percent") else "number"


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


# ---------------------------------------------------------------------------------------------
# Loading


def load_catalog(path: str | Path | None = None,
                 benchmarks_path: str | Path | None = None) -> Catalog:
    """Load, validate and build the catalog; cached per (file, modification time)."""
    catalog_file = Path(path) if path is not None else DEFAULT_CATALOG
    bench_file = Path(benchmarks_path) if benchmarks_path is not None else DEFAULT_BENCHMARKS
    return _load_cached(str(catalog_file), _stamp(catalog_file),
                        str(bench_file), _stamp(bench_file))


def _stamp(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except OSError as error:
        raise CatalogError(f"cannot read {path}: {error.strerror}") from None
    return info.st_mtime_ns, info.st_size


@functools.lru_cache(maxsize=16)
def _load_cached(catalog_file: str, _catalog_stamp, bench_file: str, _bench_stamp) -> Catalog:
    return build_catalog(_read_json(Path(catalog_file)), _read_json(Path(bench_file)))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CatalogError(f"cannot read {path}: {error.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CatalogError(f"{path.name} is not valid JSON: {error}") from None


def _flatten(messages: Any, prefix: tuple = ()) -> list[tuple[tuple, str]]:
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            out.extend(_flatten(value, (*prefix, key)))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [(prefix, m) for m in messages]
    if isinstance(messages, list):
        out = []
        for value in messages:
            out.extend(_flatten(value, prefix))
        return out
    return [(prefix, str(messages))]


_ENTRY_LABELS = {"kpis": ("KPI", "code"), "data_points": ("data point", "id"),
                 "categories": ("category", "id"), "dimensions": ("dimension", "id"),
                 "sub_dimensions": ("sub-dimension", "id"), "targets": ("benchmark", "id")}


def _describe(raw: Any, path: tuple, message: str) -> str:
    """'KPI 'EC: ICT: ICT: 1C': field 'level': must be one of core, advanced'."""
    message = message.rstrip(".")
    if message and message[0].isupper() and not message[:2].isupper():
        message = message[0].lower() + message[1:]
    if len(path) >= 2 and path[0] in _ENTRY_LABELS and isinstance(path[1], int):
        label, key = _ENTRY_LABELS[path[0]]
        entries = raw.get(path[0]) if isinstance(raw, dict) else None
        entry = entries[path[1]] if isinstance(entries, list) and path[1] < len(entries) else {}
        name = entry.get(key) if isinstance(entry, dict) else None
        who = f"{label} {name!r}" if name else f"{label} #{path[1] + 1}"
        rest = ".".join(str(p) for p in path[2:] if p != "_schema") or "(entry)"
        return f"{who}: field '{rest}': {message}"
    where = ".".join(str(p) for p in path if p != "_schema") or "(file)"
    return f"field '{where}': {message}"


def _validate(schema, raw: Any, what: str) -> dict:
    if not isinstance(raw, dict):
        raise CatalogError(f"{what}: the file must hold a JSON object")
    try:
        return schema.load(raw)
    except ValidationError as error:
        problems = [_describe(raw, path, msg) for path, msg in _flatten(error.messages)]
        raise CatalogError("; ".join(problems)) from None


def build_catalog(raw: Any, raw_benchmarks: Any) -> Catalog:
    """Validate plain data (as read from the JSON files) and build the frozen objects."""
    data = _validate(CatalogSchema(), raw, "catalog")
    bench = _validate(BenchmarkSetSchema(), raw_benchmarks, "benchmarks")
    return _Builder(data, bench).build()


class _Builder:
    def __init__(self, data: dict, bench: dict):
        self.data = data
        self.bench = bench
        self.units = {key: Localized(text) for key, text in data["units"].items()}

    def fail(self, message: str):
        raise CatalogError(message)

    def unit(self, key: str, who: str) -> Localized:
        if key not in self.units:
            self.fail(f"{who}: field 'unit': unknown unit {key!r} (declare it under 'units')")
        return self.units[key]

    def build(self) -> Catalog:
        data = self.data
        dims = self._unique(data["dimensions"], "dimension", "id")
        subs = self._unique(data["sub_dimensions"], "sub-dimension", "id")
        cats = self._unique(data["categories"], "category", "id")
        for sub in data["sub_dimensions"]:
            if sub["dimension"] not in dims:
                self.fail(f"sub-dimension {sub['id']!r}: field 'dimension': "
                          f"unknown dimension {sub['dimension']!r}")
        for dim in data["dimensions"]:
            for sub_id in dim["sub_dimensions"]:
                if sub_id not in subs or subs[sub_id]["dimension"] != dim["id"]:
                    self.fail(f"dimension {dim['id']!r}: field 'sub_dimensions': "
                              f"{sub_id!r} is not a sub-dimension of it")
        for cat in data["categories"]:
            if cat["dimension"] not in dims:
                self.fail(f"category {cat['id']!r}: field 'dimension': "
                          f"unknown dimension {cat['dimension']!r}")

        points = self._data_points()
        targets = self._targets()
        kpis = [self._kpi(raw_kpi, dims, subs, cats, points, targets)
                for raw_kpi in self._unique_kpis()]
        known_items = {item.id for kpi in kpis for item in kpi.items} | {k.code for k in kpis}
        for target_id in targets:
            if target_id not in known_items:
                self.fail(f"benchmark {target_id!r}: field 'id': no KPI or scored item "
                          f"has this id")
        used = {p.id for kpi in kpis for p in kpi.data_points}
        for point in points.values():
            if point.id not in used:
                self.fail(f"data point {point.id!r}: field 'id': no KPI uses it")

        categories = tuple(
            Category(id=c["id"], dimension=c["dimension"], name=Localized(c["name"]),
                     kpi_codes=tuple(k.code for k in kpis if k.category == c["id"]))
            for c in data["categories"])
        for cat in categories:
            if not cat.kpi_codes:
                self.fail(f"category {cat.id!r}: field 'id': no KPI belongs to it")
        return Catalog(
            version=data["version"],
            benchmark_version=self.bench["version"],
            benchmark_provisional=self.bench["provisional"],
            dimensions=tuple(Dimension(id=d["id"], name=Localized(d["name"]),
                                       sub_dimensions=tuple(d["sub_dimensions"]))
                             for d in data["dimensions"]),
            sub_dimensions=tuple(SubDimension(id=s["id"], dimension=s["dimension"],
                                              name=Localized(s["name"]))
                                 for s in data["sub_dimensions"]),
            categories=categories,
            kpis=tuple(kpis),
            shared_inputs=tuple(p for p in points.values() if p.shared),
            all_data_points=tuple(points.values()),
            units=dict(self.units),
            _kpi_index={k.code: k for k in kpis},
            _category_index={c.id: c for c in categories},
            _data_point_index=dict(points),
        )

    def _unique(self, entries: list[dict], label: str, key: str) -> dict[str, dict]:
        seen: dict[str, dict] = {}
        for entry in entries:
            if entry[key] in seen:
                self.fail(f"{label} {entry[key]!r}: field '{key}': duplicate")
            seen[entry[key]] = entry
        return seen

    def _unique_kpis(self) -> list[dict]:
        self._unique(self.data["kpis"], "KPI", "code")
        return self.data["kpis"]

    def _data_points(self) -> dict[str, DataPoint]:
        raw_points = self._unique(self.data["data_points"], "data point", "id")
        points = {}
        for pid, p in raw_points.items():
            who = f"data point {pid!r}"
            if p["fte"] and p["type"] != "count":
                self.fail(f"{who}: field 'fte': only a count is counted in full-time "
                          f"equivalents")
            if p["part_of"] is not None:
                total = raw_points.get(p["part_of"])
                if total is None:
                    self.fail(f"{who}: field 'part_of': unknown data point {p['part_of']!r}")
                if p["part_of"] == pid:
                    self.fail(f"{who}: field 'part_of': a data point cannot be part of itself")
                if (total["unit"], total["type"]) != (p["unit"], p["type"]):
                    # A part is compared with its total, so both must be counted alike.
                    self.fail(f"{who}: field 'part_of': {p['part_of']!r} is measured in "
                              f"{total['unit']} ({total['type']}), not {p['unit']} ({p['type']})")
            rng = p["typical_range"]
            for bound in ("minimum", "maximum"):
                if p[bound] is not None and not math.isfinite(p[bound]):
                    self.fail(f"{who}: field '{bound}': must be a finite number")
            points[pid] = DataPoint(
                id=pid, label=Localized(p["label"]), help=Localized(p["help"] or {}),
                type=p["type"], unit=self.unit(p["unit"], who), minimum=p["minimum"],
                maximum=p["maximum"], shared=p["shared"],
                typical_range=(float(rng[0]), float(rng[1])) if rng else None,
                part_of=p["part_of"], unit_key=p["unit"], fte=p["fte"])
        return points

    def _targets(self) -> dict[str, Target]:
        version = self.bench["version"]
        targets: dict[str, Target] = {}
        for t in self.bench["targets"]:
            if t["id"] in targets:
                self.fail(f"benchmark {t['id']!r}: field 'id': duplicate")
            targets[t["id"]] = Target(value=t["target"], direction=t["direction"],
                                      basis=t["basis"], confidence=t["confidence"],
                                      version=version, citation=t["citation"])
        return targets

    def _kpi(self, k: dict, dims, subs, cats, points: dict[str, DataPoint],
             targets: dict[str, Target]) -> KPI:
        from scoring.kpis import formula_inputs

        code = k["code"]
        who = f"KPI {code!r}"
        if k["dimension"] not in dims or not code.startswith(k["dimension"] + ":"):
            self.fail(f"{who}: field 'dimension': {k['dimension']!r} is unknown or does not "
                      f"match the code")
        if k["sub_dimension"] not in subs or subs[k["sub_dimension"]]["dimension"] != \
                k["dimension"]:
            self.fail(f"{who}: field 'sub_dimension': {k['sub_dimension']!r} is not a "
                      f"sub-dimension of {k['dimension']!r}")
        if k["category"] not in cats or cats[k["category"]]["dimension"] != k["dimension"]:
            self.fail(f"{who}: field 'category': {k['category']!r} is not a category of "
                      f"{k['dimension']!r}")
        if {"C": "core", "A": "advanced"}[code[-1]] != k["level"]:
            self.fail(f"{who}: field 'level': {k['level']!r} contradicts the code's "
                      f"'{code[-1]}' suffix (C = core, A = advanced)")
        if len(set(k["data_points"])) != len(k["data_points"]):
            self.fail(f"{who}: field 'data_points': lists a data point twice")
        for pid in k["data_points"]:
            if pid not in points:
                self.fail(f"{who}: field 'data_points': unknown data point {pid!r}")
        formula = Formula(kind=k["formula"]["kind"], params=k["formula"]["params"])
        inputs = formula_inputs(formula.as_dict())
        for pid in inputs:
            if pid not in k["data_points"]:
                self.fail(f"{who}: field 'formula': uses {pid!r}, which is not among its "
                          f"data_points")
        for pid in k["data_points"]:
            if pid not in inputs:
                self.fail(f"{who}: field 'data_points': {pid!r} is not used by the formula")
        unit = self.unit(k["unit"], who)
        name = Localized(k["name"])
        if formula.kind in MULTI_PART_KINDS:
            if formula.kind == "per_item":
                parts = list(formula.params["items"])
            else:
                parts = list(formula.params["parts"])
            declared = [item["part"] for item in k["items"]]
            if declared != parts:
                self.fail(f"{who}: field 'items': parts {declared} must match the formula's "
                          f"parts {parts}")
            items = []
            for item in k["items"]:
                rng = item["typical_range"]
                items.append(ScoredItem(
                    id=f"{code}#{item['part']}", kpi_code=code, part=item["part"],
                    label=Localized(item["label"]),
                    unit=self.unit(item["unit"], f"{who} item {item['part']!r}"),
                    target=targets.get(f"{code}#{item['part']}"),
                    typical_range=(float(rng[0]), float(rng[1])) if rng else None,
                    value_type=_value_type(
                        formula.params["items"][item["part"]]["kind"]
                        if formula.kind == "per_item" else formula.kind, item["unit"])))
            target = None
        else:
            if k["items"]:
                self.fail(f"{who}: field 'items': a single-value formula "
                          f"({formula.kind}) has no parts")
            target = targets.get(code)
            rng = k["typical_range"]
            items = [ScoredItem(id=code, kpi_code=code, part=None, label=name, unit=unit,
                                target=target,
                                typical_range=(float(rng[0]), float(rng[1])) if rng else None,
                                value_type=_value_type(formula.kind, k["unit"]))]
        return KPI(
            code=code, name=name, description=Localized(k["description"]),
            dimension=k["dimension"], sub_dimension=k["sub_dimension"], category=k["category"],
            level=k["level"], kind=k["kind"], unit=unit, sdgs=tuple(k["sdgs"]),
            formula=formula, data_points=tuple(points[p] for p in k["data_points"]),
            items=tuple(items), target=target, formula_text=Localized(k["formula_text"]),
            manual_pages=tuple(k["manual_pages"]))


# ---------------------------------------------------------------------------------------------
# Plain-data view (for the JSON API and templates)


def _target_dict(target: Target | None) -> dict | None:
    if target is None:
        return None
    return {"value": target.value, "direction": target.direction, "basis": target.basis,
            "confidence": target.confidence, "version": target.version}


def _data_point_dict(point: DataPoint, lang: str) -> dict:
    return {"id": point.id, "label": point.label.get(lang), "help": point.help.get(lang),
            "type": point.type, "unit": point.unit.get(lang), "minimum": point.minimum,
            "maximum": point.maximum, "shared": point.shared, "part_of": point.part_of,
            "fte": point.fte,
            "typical_range": list(point.typical_range) if point.typical_range else None}


def catalog_as_dict(catalog: Catalog, lang: str = "en") -> dict:
    """The whole catalog as JSON-ready data in one language (English where untranslated)."""

    def kpi_dict(kpi: KPI) -> dict:
        return {
            "code": kpi.code, "name": kpi.name.get(lang), "description": kpi.description.get(lang),
            "sub_dimension": kpi.sub_dimension, "level": kpi.level, "kind": kpi.kind,
            "unit": kpi.unit.get(lang), "sdgs": list(kpi.sdgs),
            "formula": {"kind": kpi.formula.kind, "text": kpi.formula_text.get(lang)},
            "manual_pages": list(kpi.manual_urls),
            "data_points": [_data_point_dict(p, lang) for p in kpi.data_points],
            "items": [{"id": item.id, "part": item.part, "label": item.label.get(lang),
                       "unit": item.unit.get(lang), "target": _target_dict(item.target)}
                      for item in kpi.items],
        }

    return {
        "version": catalog.version,
        "benchmark_version": catalog.benchmark_version,
        "benchmark_provisional": catalog.benchmark_provisional,
        "language": lang,
        "shared_inputs": [_data_point_dict(p, lang) for p in catalog.shared_inputs],
        "dimensions": [
            {"id": dim.id, "name": dim.name.get(lang),
             "sub_dimensions": [{"id": s, "name": catalog.sub_dimension(s).name.get(lang)}
                                for s in dim.sub_dimensions],
             "categories": [{"id": cat.id, "name": cat.name.get(lang),
                             "kpis": [kpi_dict(k) for k in catalog.kpis_in(cat.id)]}
                            for cat in catalog.categories_in(dim.id)]}
            for dim in catalog.dimensions
        ],
    }
