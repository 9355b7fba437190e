"""Validation rules: blocking errors and justifiable warnings, with fixing advice."""

from dataclasses import dataclass

import pytest

from forms.rules import ERROR, RULES, WARNING, RuleContext, check_parts_sum, evaluate


@dataclass(frozen=True)
class DP:
    id: str
    type: str = "count"
    minimum: float | None = 0
    maximum: float | None = None
    part_of: str | None = None
    typical_range: tuple | None = None


def ids(findings, dp_id):
    return [m.id for m in findings.get(dp_id, [])]


def test_negative_count_and_fraction_are_errors():
    findings = evaluate([DP("a"), DP("b")], {"a": -1, "b": 2.5}, RuleContext())
    assert ids(findings, "a") == ["negative"]
    assert ids(findings, "b") == ["not_whole"]
    assert findings["a"][0].tier == ERROR


def test_share_above_100_percent():
    findings = evaluate([DP("s", "percent", maximum=100)], {"s": 101}, RuleContext())
    assert ids(findings, "s") == ["percent_over_100"]
    assert "100 %" in findings["s"][0].render()
    assert evaluate([DP("s", "percent")], {"s": 100}, RuleContext()) == {}


def test_part_larger_than_total_uses_stored_total():
    part = DP("hh_internet", part_of="hh_total")
    context = RuleContext(values={"hh_total": 1000}, labels={"hh_total": "Households"})
    findings = evaluate([part], {"hh_internet": 1200}, context)
    assert ids(findings, "hh_internet") == ["part_exceeds_total"]
    assert "Households" in findings["hh_internet"][0].render()
    # The same step may correct the total: its new value wins over the stored one.
    assert evaluate([part, DP("hh_total")], {"hh_internet": 1200, "hh_total": 1500},
                    context) == {}


def test_year_in_future():
    findings = evaluate([DP("y", "year")], {"y": 2031}, RuleContext(current_year=2026))
    assert ids(findings, "y") == ["year_in_future"]
    assert evaluate([DP("y", "year")], {"y": 2026}, RuleContext(current_year=2026)) == {}


def test_non_finite_blocks():
    assert ids(evaluate([DP("a", "number")], {"a": float("inf")}, RuleContext()), "a") == [
        "not_finite"]


def test_warnings_per_capita_typical_range_and_change():
    context = RuleContext(population=10_000, per_capita_ids=frozenset({"subs"}),
                          previous={"km": 100})
    findings = evaluate(
        [DP("subs"), DP("rate", "percent", typical_range=(10, 60)), DP("km", "number")],
        {"subs": 50_000, "rate": 95, "km": 350}, context)
    assert ids(findings, "subs") == ["per_capita_implausible"]
    assert ids(findings, "rate") == ["outside_typical_range"]
    assert ids(findings, "km") == ["large_change"]
    assert all(m.tier == WARNING for ms in findings.values() for m in ms)
    assert "5" in findings["subs"][0].render()


def test_population_typed_in_the_same_step_is_used():
    context = RuleContext(population=1_000_000, per_capita_ids=frozenset({"subs"}))
    findings = evaluate([DP("subs"), DP("pop")], {"subs": 50_000, "pop": 10_000}, context)
    assert ids(findings, "subs") == ["per_capita_implausible"]


def test_errors_suppress_warnings_for_the_same_value():
    findings = evaluate([DP("p", "percent", typical_range=(1, 5))], {"p": 120}, RuleContext())
    assert ids(findings, "p") == ["percent_over_100"]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_message_renders_with_its_parameters(rule):
    import re

    params = {name: 1 for name in re.findall(r"%\((\w+)\)s", rule.text)}
    text = rule.text % params
    assert text and "%(" not in text


def test_shares_of_one_whole_cannot_add_up_to_more_than_it():
    parts = ["a", "b", "c"]
    assert check_parts_sum(parts, {"a": 60, "b": 40, "c": None}, 100) == {}
    found = check_parts_sum(parts, {"a": 60, "b": 45}, 100)
    assert set(found) == {"a", "b"}
    assert "105" in found["a"][0].render()
