"""Loading the catalog: read the versioned JSON files, validate them, build the frozen objects."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from forms.catalog.model import (
    KPI,
    Catalog,
    CatalogError,
    Category,
    DataPoint,
    Dimension,
    Formula,
    Localized,
    ScoredItem,
    SubDimension,
    Target,
)
from forms.catalog_schema import MULTI_PART_KINDS, BenchmarkSetSchema, CatalogSchema

CATALOG_DIR = Path(__file__).resolve().parent.parent / "catalogs"
DEFAULT_CATALOG = CATALOG_DIR / "u4ssc-kpis.json"
DEFAULT_BENCHMARKS = CATALOG_DIR / "benchmarks-provisional.json"


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



def _value_type(kind: str, unit_key: str) -> str:
    if kind in ("yes_no", "yes_no_parts"):
        return "boolean"
    return "percent" if unit_key.startswith("percent") else "number"
