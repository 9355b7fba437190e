"""The scoring job function: JSON in, JSON out, deterministic, no database."""

import copy
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.jobs import PayloadError, input_hash, score_category


def payload(values, **overrides):
    data = {
        "city_id": 7,
        "category_id": "ec-ict-infrastructure",
        "catalog_version": "cat-1",
        "benchmark_version": "bench-1",
        "kpis": [
            {"code": "K1", "sub_dimension": "ICT",
             "formula": {"kind": "ratio_percent",
                         "params": {"numerator": "hh_internet", "denominator": "hh_total"}},
             "items": [{"id": "K1", "target": 100.0, "direction": "higher_is_better"}]},
            {"code": "K2", "sub_dimension": "ICT",
             "formula": {"kind": "parts_direct", "params": {"parts": ["pm25", "no2"]}},
             "items": [{"id": "K2#pm25", "target": 5.0, "direction": "lower_is_better"},
                       {"id": "K2#no2", "target": None, "direction": None}]},
            {"code": "K3", "sub_dimension": "ICT",
             "formula": {"kind": "yes_no", "params": {"value": "plan"}},
             "items": [{"id": "K3", "target": True, "direction": "yes_no"}]},
            {"code": "K4", "sub_dimension": "ICT",
             "formula": {"kind": "direct", "params": {"value": "hotspots"}},
             "items": [{"id": "K4", "target": None, "direction": None}]},
        ],
        "values": values,
    }
    data.update(overrides)
    return data


FULL = {"hh_internet": 80, "hh_total": 100, "pm25": 20, "no2": 30, "plan": True,
        "hotspots": 12}


def by_id(result):
    return {item["id"]: item for item in result["items"]}


def test_scores_every_item_and_the_category():
    result = score_category(payload(FULL))
    items = by_id(result)
    assert (items["K1"]["value"], items["K1"]["percent"], items["K1"]["band"],
            items["K1"]["status"]) == (80.0, 80.0, 3, "scored")
    # lower is better: 5 / 20 = 25 %
    assert (items["K2#pm25"]["percent"], items["K2#pm25"]["band"]) == (25.0, 1)
    assert items["K2#no2"]["status"] == "no_target" and items["K2#no2"]["value"] == 30.0
    assert (items["K3"]["percent"], items["K3"]["band"]) == (100.0, 4)
    assert items["K4"]["status"] == "no_target"
    # points 3, 1, 4 → 8 / 12
    assert result["percent"] == pytest.approx(66.6666667)
    assert result["band"] == 3
    assert (result["scored"], result["reported"], result["total"]) == (3, 5, 5)
    assert result["catalog_version"] == "cat-1" and result["benchmark_version"] == "bench-1"
    assert items["K1"]["sub_dimension"] == "ICT"


def test_missing_and_not_available_inputs_are_not_reported():
    values = dict(FULL, hh_internet=None)  # "not available"
    del values["pm25"]  # never entered
    items = by_id(score_category(payload(values)))
    assert items["K1"]["status"] == "not_reported" and items["K1"]["band"] is None
    assert items["K2#pm25"]["status"] == "not_reported"
    assert items["K2#no2"]["status"] == "no_target"


def test_zero_denominator_is_not_reported_not_an_error():
    items = by_id(score_category(payload(dict(FULL, hh_total=0))))
    assert items["K1"]["status"] == "not_reported"


def test_unmet_yes_no_target_is_band_1():
    items = by_id(score_category(payload(dict(FULL, plan=False))))
    assert (items["K3"]["percent"], items["K3"]["band"]) == (0.0, 1)


def test_nothing_scored_gives_no_category_percent():
    result = score_category(payload({}))
    assert result["percent"] is None and result["band"] is None and result["scored"] == 0


def test_output_is_plain_json_and_input_is_untouched():
    data = payload(FULL)
    before = copy.deepcopy(data)
    result = score_category(data)
    assert data == before
    assert json.loads(json.dumps(result, allow_nan=False)) == result


def test_same_input_same_output_and_hash():
    first, second = score_category(payload(FULL)), score_category(payload(dict(FULL)))
    assert first == second
    assert first["input_hash"] == input_hash(payload(FULL))
    changed = score_category(payload(dict(FULL, hh_internet=81)))
    assert changed["input_hash"] != first["input_hash"]
    rebenched = score_category(payload(FULL, benchmark_version="bench-2"))
    assert rebenched["input_hash"] != first["input_hash"]


def test_hash_ignores_key_order():
    data = payload(FULL)
    reordered = dict(reversed(list(data.items())))
    assert input_hash(reordered) == input_hash(data)


@pytest.mark.parametrize("broken", [
    {"city_id": "seven"},
    {"kpis": [{"code": "K", "formula": {}, "items": []}]},
    {"kpis": [{"code": "K", "formula": {"kind": "direct", "params": {"value": "x"}},
               "items": [{"id": "K", "target": 1, "direction": "sideways"}]}]},
    {"values": "not a dict"},
    {"category_id": None},
])
def test_malformed_payload_is_refused_clearly(broken):
    data = payload(FULL)
    data.update(broken)
    with pytest.raises(PayloadError):
        score_category(data)


@given(numerator=st.floats(min_value=0, max_value=1e7, allow_nan=False),
       denominator=st.floats(min_value=1, max_value=1e7, allow_nan=False))
def test_deterministic_and_bounded(numerator, denominator):
    values = dict(FULL, hh_internet=numerator, hh_total=denominator)
    first = score_category(payload(values))
    assert first == score_category(payload(values))
    for item in first["items"]:
        if item["status"] == "scored":
            assert 0 <= item["percent"] <= 100 and item["band"] in (1, 2, 3, 4)
    assert first["percent"] is None or 25 <= first["percent"] <= 100
