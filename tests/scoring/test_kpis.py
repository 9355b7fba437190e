"""KPI values from raw data points: every formula kind, missing data and bad numbers."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from scoring.kpis import FORMULA_KINDS, compute_all, compute_kpi, formula_inputs

RATIO = {"kind": "ratio_percent", "params": {"numerator": "hh_internet",
                                               "denominator": "hh_total"}}
ID = ["EC: ICT: ICT: 1C"]


def one(formula, values):
    return compute_kpi(formula, values, ["K"])["K"]


@pytest.mark.parametrize("kind, values, expected", [
    ("ratio_percent", {"n": 45, "d": 50}, 90.0),
    ("per_100k", {"n": 3, "d": 60_000}, 5.0),
    ("per_capita", {"n": 250_000, "d": 100_000}, 2.5),
    ("ratio", {"n": 13.8, "d": 12}, 1.15),
])
def test_ratio_kinds(kind, values, expected):
    formula = {"kind": kind, "params": {"numerator": "n", "denominator": "d"}}
    assert one(formula, values) == pytest.approx(expected)
    assert formula_inputs(formula) == ["n", "d"]


@pytest.mark.parametrize("kind", ["ratio_percent", "per_100k", "per_capita", "ratio"])
@pytest.mark.parametrize("values", [
    {"n": 5, "d": 0},            # zero denominator
    {"n": 5, "d": -10},          # impossible negative total
    {"n": 5},                    # denominator not reported
    {"n": None, "d": 10},        # "not available"
    {"n": math.nan, "d": 10},
    {"n": 5, "d": math.inf},
    {"n": "lots", "d": 10},
    {"n": True, "d": 10},        # a yes/no answer is not a number
    {"n": [1], "d": 10},
])
def test_ratio_kinds_give_none_instead_of_raising(kind, values):
    formula = {"kind": kind, "params": {"numerator": "n", "denominator": "d"}}
    assert one(formula, values) is None


def test_numbers_as_text_and_decimals_are_accepted():
    assert compute_kpi(RATIO, {"hh_internet": "45", "hh_total": Decimal("50")}, ID) == {
        ID[0]: 90.0}
    assert compute_kpi(RATIO, {"hh_internet": "4,5", "hh_total": 5}, ID) == {ID[0]: 90.0}


def test_huge_values_do_not_overflow():
    assert one({"kind": "per_100k", "params": {"numerator": "n", "denominator": "d"}},
               {"n": 1e308, "d": 1e-300}) is None


def test_per_capita_per_day():
    formula = {"kind": "per_capita_per_day",
               "params": {"numerator": "w", "denominator": "pop", "days": 365}}
    assert one(formula, {"w": 3_650_000_000, "pop": 100_000}) == pytest.approx(100.0)
    assert one(formula, {"w": 3_650_000_000, "pop": 0}) is None


def test_loss_percent():
    formula = {"kind": "loss_percent", "params": {"total": "supplied", "used": "consumed"}}
    assert one(formula, {"supplied": 200, "consumed": 150}) == pytest.approx(25.0)
    assert one(formula, {"supplied": 0, "consumed": 0}) is None
    assert one(formula, {"supplied": 200}) is None
    assert formula_inputs(formula) == ["supplied", "consumed"]


def test_direct_and_sum():
    assert one({"kind": "direct", "params": {"value": "gini"}}, {"gini": 0.31}) == 0.31
    assert one({"kind": "direct", "params": {"value": "gini"}}, {"gini": math.nan}) is None
    assert one({"kind": "direct", "params": {"value": "gini"}}, {}) is None
    formula = {"kind": "sum", "params": {"values": ["a", "b"]}}
    assert one(formula, {"a": 1.5, "b": 2}) == 3.5
    assert one(formula, {"a": 1.5}) is None


@pytest.mark.parametrize("answer, expected", [
    (True, True), (False, False), (1, True), (0, False), ("yes", True), ("Non", False),
    ("нет", False), ("نعم", True), (None, None), ("maybe", None), (0.5, None),
    (math.nan, None),
])
def test_yes_no(answer, expected):
    assert one({"kind": "yes_no", "params": {"value": "plan"}}, {"plan": answer}) is expected


def test_parts_percent_one_value_per_part():
    formula = {"kind": "parts_percent", "params": {"parts": ["cov_3g", "cov_4g"],
                                                   "total": "pop"}}
    ids = ["C#cov_3g", "C#cov_4g"]
    assert compute_kpi(formula, {"cov_3g": 900, "cov_4g": 1000, "pop": 1000}, ids) == {
        "C#cov_3g": 90.0, "C#cov_4g": 100.0}
    assert compute_kpi(formula, {"cov_3g": 900, "pop": 0}, ids) == {
        "C#cov_3g": None, "C#cov_4g": None}
    assert compute_kpi(formula, {"cov_3g": 900, "pop": 1000}, ids) == {
        "C#cov_3g": 90.0, "C#cov_4g": None}
    assert formula_inputs(formula) == ["cov_3g", "cov_4g", "pop"]


def test_parts_direct_and_yes_no_parts():
    air = {"kind": "parts_direct", "params": {"parts": ["pm25", "no2"]}}
    assert compute_kpi(air, {"pm25": 7.5, "no2": math.inf}, ["A#pm25", "A#no2"]) == {
        "A#pm25": 7.5, "A#no2": None}
    plan = {"kind": "yes_no_parts", "params": {"parts": ["udsp_compact", "udsp_resilient"]}}
    assert compute_kpi(plan, {"udsp_compact": True, "udsp_resilient": "no"},
                       ["U#udsp_compact", "U#udsp_resilient"]) == {
        "U#udsp_compact": True, "U#udsp_resilient": False}


def test_unknown_or_bare_part_ids_give_none():
    air = {"kind": "parts_direct", "params": {"parts": ["pm25"]}}
    assert compute_kpi(air, {"pm25": 7.5, "o3": 60}, ["A#o3", "A"]) == {"A#o3": None, "A": None}


def test_per_item_mixes_a_share_and_a_count():
    formula = {"kind": "per_item", "params": {"items": {
        "od_pct": {"kind": "ratio_percent",
                   "params": {"numerator": "od_pub", "denominator": "ds_total"}},
        "od_pub": {"kind": "direct", "params": {"value": "od_pub"}}}}}
    ids = ["O#od_pct", "O#od_pub"]
    assert compute_kpi(formula, {"od_pub": 30, "ds_total": 120}, ids) == {
        "O#od_pct": 25.0, "O#od_pub": 30.0}
    assert compute_kpi(formula, {"od_pub": 30, "ds_total": 0}, ids) == {
        "O#od_pct": None, "O#od_pub": 30.0}
    assert formula_inputs(formula) == ["od_pub", "ds_total"]


def test_unknown_kind_is_a_catalog_bug():
    with pytest.raises(ValueError, match="unknown formula kind"):
        compute_kpi({"kind": "magic", "params": {}}, {}, ["K"])


def test_missing_values_mapping_is_tolerated():
    assert compute_kpi(RATIO, None, ID) == {ID[0]: None}  # type: ignore[arg-type]


def test_compute_all_over_plain_dicts():
    kpis = [{"formula": RATIO, "items": ID},
            {"formula": {"kind": "direct", "params": {"value": "gini"}}, "items": ["G"]}]
    assert compute_all(kpis, {"hh_internet": 1, "hh_total": 4, "gini": 0.3}) == {
        ID[0]: 25.0, "G": 0.3}


def test_every_catalog_formula_kind_is_implemented():
    from forms.catalog.loading import load_catalog

    kinds = {k.formula.kind for k in load_catalog().kpis}
    assert kinds <= set(FORMULA_KINDS)
    for kpi in load_catalog().kpis:
        # With no data every KPI reports "not available" for every item, never an error.
        result = compute_kpi(kpi.formula.as_dict(), {}, [i.id for i in kpi.items])
        assert set(result) == {i.id for i in kpi.items}
        assert all(v is None for v in result.values())
