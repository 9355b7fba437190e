"""The KPI catalog: counts, codes, languages, benchmarks and errors on malformed files."""

from __future__ import annotations

import copy
import csv
import json
import os
from collections import Counter
from pathlib import Path

import pytest

from forms.catalog.loading import DEFAULT_BENCHMARKS, DEFAULT_CATALOG, build_catalog, load_catalog
from forms.catalog.model import Catalog, CatalogError, Localized
from scoring.kpis import compute_kpi

# The shared reference lies beside the project (in CI too: a copy of shared/ beside the clone).
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"
IN_CI = os.environ.get("CI", "").lower() == "true"
LANGS = ("en", "fr", "es", "ar", "zh", "ru")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def raw():
    return (json.loads(DEFAULT_CATALOG.read_text(encoding="utf-8")),
            json.loads(DEFAULT_BENCHMARKS.read_text(encoding="utf-8")))


def reference_rows(name: str) -> list[dict]:
    path = REFERENCE / name
    if not path.exists():
        if IN_CI:
            pytest.fail(f"reference file {path} not available (CI=true: it must be checked)")
        pytest.skip(f"reference file {path} not available")
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_framework_counts(catalog):
    assert len(catalog.kpis) == 91
    assert Counter(k.level for k in catalog.kpis) == {"core": 55, "advanced": 36}
    # The brochure says 20/32/39; the 2022 Verification Manual types EC: I: T: 2A
    # Sustainable (p79), so the types follow the manual: 20/31/40.
    assert Counter(k.kind for k in catalog.kpis) == {"smart": 20, "structural": 31,
                                                     "sustainable": 40}
    assert [d.id for d in catalog.dimensions] == ["EC", "EN", "SC"]
    assert [s.id for s in catalog.sub_dimensions] == ["ICT", "P", "I", "EN", "E", "EHC", "SHSI"]
    assert len(catalog.categories) == 24
    assert Counter(c.dimension for c in catalog.categories) == {"EC": 11, "EN": 6, "SC": 7}
    assert len({str(c.name) for c in catalog.categories}) == 22
    assert len(catalog.scored_items()) == 112
    assert sum(len(k.items) > 1 for k in catalog.kpis) == 7
    assert sum(len(k.items) for k in catalog.kpis if len(k.items) > 1) == 28


def test_every_reference_kpi_is_present_with_its_facts(catalog):
    rows = reference_rows("u4ssc_kpis.csv")
    assert [k.code for k in catalog.kpis] == [row["code"] for row in rows]
    for row in rows:
        kpi = catalog.kpi(row["code"])
        assert str(kpi.name) == row["name"]
        assert (kpi.level, kpi.kind) == (row["level"], row["kind"])
        assert str(catalog.category(kpi.category).name) == row["category"]
        assert str(catalog.sub_dimension(kpi.sub_dimension).name) == row["subcategory"]
        assert str(catalog.dimension(kpi.dimension).name) == row["dimension"]
        reference_ids = [p.split(":")[0].strip() for p in row["data_points"].split(";")]
        # Inputs for coverage by area, which the methodology allows instead of inhabitants,
        # come on top of the reference's.
        by_area = kpi.formula.params.get("by_area") or {}
        alternatives = {*(by_area.get("parts") or {}).values(), by_area.get("total")}
        assert [p.id for p in kpi.data_points if p.id not in alternatives
                or p.id in reference_ids] == reference_ids


def test_water_sanitation_and_waste_are_two_categories_each(catalog):
    assert catalog.category("ec-water-sanitation").name == catalog.category(
        "en-water-sanitation").name
    economy = catalog.kpis_in("ec-water-sanitation")
    # Economy's Water and Sanitation mixes ICT and Infrastructure KPIs.
    assert {k.sub_dimension for k in economy} == {"ICT", "I"}
    assert [k.code for k in catalog.kpis_in("en-waste")] == ["EN: EN: WA: 1C"]
    assert [k.code for k in catalog.kpis_in("ec-waste")] == ["EC: I: WA: 1C"]
    assert all(c.id == c.id.lower() and " " not in c.id for c in catalog.categories)


def test_every_benchmark_row_maps_to_a_kpi_or_item(catalog):
    item_ids = {i.id for i in catalog.scored_items()} | {k.code for k in catalog.kpis}
    rows = reference_rows("u4ssc_benchmarks.csv")
    assert {row["code"] for row in rows} <= item_ids
    bench = json.loads(DEFAULT_BENCHMARKS.read_text(encoding="utf-8"))
    assert {t["id"] for t in bench["targets"]} == {row["code"] for row in rows}
    pm25 = catalog.item("EN: EN: AQ: 1C#pm25").target
    assert (pm25.value, pm25.direction, pm25.version) == (5.0, "lower_is_better",
                                                         catalog.benchmark_version)
    assert catalog.kpi("EC: ICT: ICT: 1C").target.value == 100.0
    assert catalog.kpi("EN: EN: AQ: 1C").target is None  # multi-part: targets on the parts
    resilience = catalog.kpi("SC: SH: SA: 3A").target
    assert (resilience.value, resilience.direction) == (1.0, "yes_no")
    assert catalog.benchmark_provisional is True


def test_item_ids_follow_the_code_hash_part_convention(catalog):
    ids = [i.id for i in catalog.scored_items()]
    assert len(ids) == len(set(ids))
    assert "EC: ICT: PS: 1A#od_pct" in ids and "EC: ICT: PS: 1A#od_pub" in ids
    for kpi in catalog.kpis:
        if len(kpi.items) == 1:
            assert kpi.items[0].id == kpi.code and kpi.items[0].target == kpi.target
        else:
            assert all(i.id == f"{kpi.code}#{i.part}" for i in kpi.items)


def test_six_languages_for_names(catalog):
    for group in (catalog.dimensions, catalog.sub_dimensions, catalog.categories,
                  catalog.kpis):
        for entry in group:
            assert set(entry.name) == set(LANGS), entry.id if hasattr(entry, "id") else entry
            assert len({entry.name[lang] for lang in ("en", "ar", "zh", "ru")}) == 4
    assert catalog.kpi("SC: SH: SI: 2C").name.get("fr") == "Coefficient de Gini"
    assert catalog.dimension("EN").name.get("ar") == "البيئة"
    assert catalog.kpi("EC: I: UP: 2A").unit.get("es") == "sí/no"


def test_localized_falls_back_to_english():
    text = Localized({"en": "Poverty", "fr": "Pauvreté"})
    assert text.get("fr") == "Pauvreté"
    assert text.get("zh") == "Poverty"
    assert text.get(None) == "Poverty"
    assert str(text) == "Poverty"
    with pytest.raises(AttributeError):
        text._texts = {}


def test_shared_inputs_declared_once(catalog):
    shared = {p.id for p in catalog.shared_inputs}
    assert {"pop", "hh_total", "city_area", "city_gdp"} <= shared
    pop = catalog.data_point("pop")
    users = [k.code for k in catalog.kpis if pop in k.data_points]
    assert len(users) > 20
    assert all(k.data_points[-1] is pop for k in catalog.kpis if k.code in users
               and len(k.data_points) == 2)


def test_data_point_constraints(catalog):
    points = {p.id: p for p in catalog.all_data_points}
    assert points["hh_internet"].part_of == "hh_total"
    assert points["w_consumed"].part_of == "w_supplied"
    assert points["cov_4g"].part_of == "pop"
    assert points["tt_peak"].part_of is None  # peak travel time exceeds free-flow time
    for point in points.values():
        if point.type == "percent":
            assert (point.minimum, point.maximum) == (0, 100)
        if point.type in ("count", "number"):
            assert point.minimum == 0
    assert points["gini"].maximum == 1
    assert points["resil_plan"].type == "boolean"
    assert catalog.item("EC: I: WS: 5C").typical_range == (90.0, 100.0)


def test_formulas_compute_known_results(catalog):
    def value(code, values):
        kpi = catalog.kpi(code)
        return compute_kpi(kpi.formula.as_dict(), values, [i.id for i in kpi.items])

    assert value("EC: ICT: ICT: 1C", {"hh_internet": 45, "hh_total": 50}) == {
        "EC: ICT: ICT: 1C": 90.0}
    assert value("SC: SH: SA: 9C", {"traffic_deaths": 3, "pop": 60_000}) == {
        "SC: SH: SA: 9C": pytest.approx(5.0)}
    assert value("EN: EN: WS: 2C", {"w_total": 3_650_000_000, "pop": 100_000}) == {
        "EN: EN: WS: 2C": pytest.approx(100.0)}
    assert value("EC: I: WS: 3C", {"w_supplied": 200, "w_consumed": 150}) == {
        "EC: I: WS: 3C": pytest.approx(25.0)}
    assert value("EC: ICT: PS: 1A", {"od_pub": 30, "ds_total": 120}) == {
        "EC: ICT: PS: 1A#od_pct": 25.0, "EC: ICT: PS: 1A#od_pub": 30.0}


@pytest.mark.parametrize("mutate, expected", [
    (lambda c, b: c["kpis"][0].__setitem__("level", "basic"),
     "KPI 'EC: ICT: ICT: 1C': field 'level': must be one of core, advanced"),
    (lambda c, b: c["kpis"][1].__setitem__("kind", "clever"),
     "KPI 'EC: ICT: ICT: 2C': field 'kind': must be one of smart, structural, sustainable"),
    (lambda c, b: c["kpis"][2].pop("name"), "KPI 'EC: ICT: ICT: 3C': field 'name'"),
    (lambda c, b: c["kpis"][2].__setitem__("name", {"fr": "Abonnements"}),
     "KPI 'EC: ICT: ICT: 3C': field 'name': needs a non-empty English"),
    (lambda c, b: c["kpis"].append(copy.deepcopy(c["kpis"][0])),
     "KPI 'EC: ICT: ICT: 1C': field 'code': duplicate"),
    (lambda c, b: c["kpis"][5]["data_points"].append("ghost"),
     "KPI 'EC: ICT: WS: 1C': field 'data_points': unknown data point 'ghost'"),
    (lambda c, b: c["kpis"][5]["formula"]["params"].__setitem__("numerator", "ghost"),
     "KPI 'EC: ICT: WS: 1C': field 'formula': uses 'ghost'"),
    (lambda c, b: c["kpis"][5]["formula"]["params"].pop("denominator"),
     "KPI 'EC: ICT: WS: 1C': field 'formula.params': formula 'ratio_percent' needs"),
    (lambda c, b: c["kpis"][3]["items"].pop(),
     "KPI 'EC: ICT: ICT: 4C': field 'items'"),
    (lambda c, b: c["kpis"][0].__setitem__("level", "advanced"),
     "KPI 'EC: ICT: ICT: 1C': field 'level': 'advanced' contradicts"),
    (lambda c, b: c["kpis"][0].__setitem__("category", "ec-nowhere"),
     "KPI 'EC: ICT: ICT: 1C': field 'category'"),
    (lambda c, b: c["kpis"][0].__setitem__("unit", "furlongs"),
     "KPI 'EC: ICT: ICT: 1C': field 'unit': unknown unit 'furlongs'"),
    (lambda c, b: next(p for p in c["data_points"] if p["id"] == "hh_internet").__setitem__(
        "part_of", "ghost"),
     "data point 'hh_internet': field 'part_of': unknown data point 'ghost'"),
    (lambda c, b: next(p for p in c["data_points"] if p["id"] == "bike_km").__setitem__(
        "part_of", "pop"),
     "data point 'bike_km': field 'part_of': 'pop' is measured in persons (count), not km"),
    (lambda c, b: b["targets"].append({"id": "EC: ICT: ICT: 9C",
                                       "direction": "higher_is_better"}),
     "benchmark 'EC: ICT: ICT: 9C': field 'id': no KPI or scored item"),
    (lambda c, b: b["targets"][0].__setitem__("direction", "up"),
     "benchmark 'EC: ICT: ICT: 1C': field 'direction': must be one of"),
    (lambda c, b: b.pop("version"), "field 'version'"),
])
def test_malformed_catalog_names_entry_and_field(raw, mutate, expected):
    data, bench = raw
    mutate(data, bench)
    with pytest.raises(CatalogError) as error:
        build_catalog(data, bench)
    assert expected in str(error.value)


def test_malformed_file_on_disk(tmp_path):
    broken = tmp_path / "kpis.json"
    broken.write_text("{ not json", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid JSON"):
        load_catalog(broken)
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "missing.json")


def test_benchmarks_replaceable_from_another_file(tmp_path):
    bench = json.loads(DEFAULT_BENCHMARKS.read_text(encoding="utf-8"))
    bench["version"] = "u4ssc-official-2027"
    bench["provisional"] = False
    for target in bench["targets"]:
        if target["id"] == "EN: EN: AQ: 1C#pm25":
            target["target"] = 10
    path = tmp_path / "official.json"
    path.write_text(json.dumps(bench), encoding="utf-8")

    replaced = load_catalog(benchmarks_path=path)
    assert replaced.benchmark_version == "u4ssc-official-2027"
    assert replaced.benchmark_provisional is False
    target = replaced.item("EN: EN: AQ: 1C#pm25").target
    assert (target.value, target.version) == (10.0, "u4ssc-official-2027")
    assert load_catalog().item("EN: EN: AQ: 1C#pm25").target.value == 5.0


def test_load_catalog_is_cached_and_objects_frozen(catalog):
    assert load_catalog() is catalog
    with pytest.raises(AttributeError):
        catalog.kpis[0].code = "changed"  # type: ignore[misc]
    assert hash(catalog.kpis[0].formula) == hash(catalog.kpis[0].formula)


def test_outage_time_is_caidi_minutes_per_interruption(catalog):
    """EC: I: ES: 2C follows the 2022 Verification Manual (p76): CAIDI, not SAIDI."""
    kpi = catalog.kpi("EC: I: ES: 2C")
    assert [p.id for p in kpi.data_points] == ["cust_int_duration", "cust_interruptions"]
    assert str(kpi.unit) == "minutes per interruption"
    assert (kpi.target.value, kpi.target.direction) == (60.0, "lower_is_better")
    # Ålesund's factsheet: 66.86 minutes per interruption.
    values = {"cust_int_duration": 6686.0, "cust_interruptions": 100.0}
    assert compute_kpi(kpi.formula.as_dict(), values, [kpi.code]) == {
        kpi.code: pytest.approx(66.86)}
    assert catalog.kpi("EC: I: T: 2A").kind == "sustainable"
