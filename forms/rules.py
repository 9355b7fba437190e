"""Validation rules as data: blocking errors and warnings a user may justify and pass."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"

# A large change from the previous year's value: more than double or less than half.
CHANGE_FACTOR = 2.0
# Nothing the KPIs count per inhabitant plausibly exceeds this many per person.
PER_CAPITA_LIMIT = 3.0
# Keep the raw text of a number short enough to be a number: a 100 kB paste is a mistake.
MAX_NUMBER_LENGTH = 60
EARLIEST_YEAR = 1900


def N_(text: str) -> str:
    """Mark a message for extraction; the web app translates it with gettext at render time."""
    return text


@dataclass(frozen=True)
class Message:
    """A finding about one data point: an English template plus its parameters.

    `forms` cannot import Flask, so the web layer translates `text` with gettext and
    fills in `params` (numbers formatted for the user's locale).
    """

    id: str
    tier: str
    text: str
    params: Mapping[str, Any] = field(default_factory=dict)
    data_point_id: str | None = None

    def render(self, translate=lambda text: text) -> str:
        return translate(self.text) % dict(self.params)

    def as_dict(self) -> dict:
        return {"id": self.id, "tier": self.tier, "text": self.text,
                "params": dict(self.params), "data_point_id": self.data_point_id}


@dataclass(frozen=True)
class Rule:
    id: str
    tier: str
    text: str
    # Data point types the rule applies to; empty means every type.
    types: tuple[str, ...] = ()


# The rules, in the order they are checked. The first three come from parsing (forms.fields).
RULES: tuple[Rule, ...] = (
    Rule("not_a_number", ERROR,
         N_("“%(text)s” is not a number. Type digits only, for example 1234 or 12.5.")),
    Rule("too_long", ERROR,
         N_("This is too long to be a number. Type the figure only, for example 1234.")),
    Rule("not_finite", ERROR,
         N_("This number is too large to be real. Check for a typing mistake and type "
            "the figure without exponents.")),
    Rule("ambiguous", ERROR,
         N_("“%(text)s” could mean %(grouped)s or %(decimal)s. Choose which one you meant, "
            "or type it without a thousands separator.")),
    Rule("not_yes_no", ERROR, N_("Choose yes or no.")),
    Rule("percent_in_count", ERROR,
         N_("“%(text)s” is a percentage, but this field asks for a number (of persons, "
            "households …), not a share. Type the number itself.")),
    Rule("percent_in_count_total", ERROR,
         N_("“%(text)s” is a percentage, but this field asks for a number, not a share. "
            "%(percent)s %% of %(total_label)s (%(total)s) would be %(converted)s: use that "
            "if it is what you meant, or type the number itself.")),
    Rule("not_a_year", ERROR, N_("Type a year with four digits, for example 2024.")),
    Rule("negative", ERROR,
         N_("This cannot be negative. Type the figure without a minus sign."),
         ("count", "number", "percent")),
    Rule("not_whole", ERROR,
         N_("This is a count, so it must be a whole number. Round it to the nearest unit."),
         ("count",)),
    Rule("percent_over_100", ERROR,
         N_("A share cannot be above 100 %%. Type a percentage between 0 and 100."),
         ("percent",)),
    Rule("below_minimum", ERROR,
         N_("This must be at least %(minimum)s."), ("count", "number", "percent")),
    Rule("above_maximum", ERROR,
         N_("This must be at most %(maximum)s."), ("count", "number", "percent")),
    Rule("part_exceeds_total", ERROR,
         N_("This part (%(value)s) is larger than its total, %(total_label)s (%(total)s). "
            "Check both figures: a part cannot exceed the whole."),
         ("count", "number")),
    Rule("parts_sum_over", ERROR,
         N_("Together these parts add up to %(total)s, more than %(limit)s. Check the "
            "figures: the parts cannot add up to more than the whole."),
         ("count", "number", "percent")),
    Rule("year_in_future", ERROR,
         N_("%(value)s is in the future. Give the year the figure refers to, at the latest "
            "%(current_year)s."), ("year",)),
    Rule("year_too_early", ERROR,
         N_("%(value)s is too early. Give a year from %(earliest)s onwards."), ("year",)),
    Rule("shares_not_100", WARNING,
         N_("Together these shares add up to %(total)s %%, not 100 %% (the manual allows "
            "%(tolerance)s points either way). Check that no share is missing or counted "
            "twice; if the figures are right, explain why in a few words."),
         ("percent",)),
    Rule("tiers_out_of_order", WARNING,
         N_("%(value)s %% receive this treatment, more than the %(lower)s %% of %(lower_label)s. "
            "Each treatment level includes the ones before it, so the shares cannot grow. "
            "If the figures are right, explain why in a few words."), ("percent",)),
    Rule("per_capita_implausible", WARNING,
         N_("This is %(ratio)s per inhabitant for a population of %(population)s, which is "
            "unusually high. Check the figure and the population; if it is right, explain "
            "why in a few words."), ("count", "number")),
    Rule("outside_typical_range", WARNING,
         N_("%(value)s is outside the range verifiers usually see (%(low)s to %(high)s). "
            "If it is right, explain why in a few words."), ("count", "number", "percent")),
    Rule("large_change", WARNING,
         N_("This changed from %(previous)s last year to %(value)s. If the change is real, "
            "explain it in a few words."), ("count", "number", "percent")),
    Rule("justification_needed", ERROR,
         N_("Explain the warning in a few words, or correct the figure, before you go on.")),
)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def message(rule_id: str, data_point_id: str | None = None, **params: Any) -> Message:
    rule = RULES_BY_ID[rule_id]
    return Message(rule.id, rule.tier, rule.text, params, data_point_id)


@dataclass(frozen=True)
class RuleContext:
    """What the rules may look at beyond the step's own figures."""

    # Every known value of the city (this step's figures override the stored ones).
    values: Mapping[str, float | bool | None] = field(default_factory=dict)
    # Previous reporting year's values, for the large-change warning.
    previous: Mapping[str, float | bool | None] = field(default_factory=dict)
    population: float | None = None
    current_year: int = 2100
    # Data points whose KPI divides them by the population (per 100 000, per capita).
    per_capita_ids: frozenset[str] = frozenset()
    # Labels of total data points, for the part-exceeds-total message.
    labels: Mapping[str, str] = field(default_factory=dict)


def _applies(rule_id: str, dp_type: str) -> bool:
    types = RULES_BY_ID[rule_id].types
    return not types or dp_type in types


def check_value(data_point: Any, value: float | bool | None, context: RuleContext) -> list[Message]:
    """Errors first, then warnings, for one parsed value (None = empty or not available)."""
    if value is None or isinstance(value, bool):
        return []
    dp_id, dp_type = data_point.id, data_point.type
    found: list[Message] = []
    if not math.isfinite(value):
        return [message("not_finite", dp_id)]
    if dp_type == "year":
        if value > context.current_year:
            found.append(message("year_in_future", dp_id, value=int(value),
                                 current_year=context.current_year))
        elif value < EARLIEST_YEAR:
            found.append(message("year_too_early", dp_id, value=int(value),
                                 earliest=EARLIEST_YEAR))
        return found
    if value < 0 and _applies("negative", dp_type):
        return [message("negative", dp_id)]
    if dp_type == "count" and value != int(value) and not getattr(data_point, "fte", False):
        found.append(message("not_whole", dp_id))
    if dp_type == "percent" and value > 100:
        found.append(message("percent_over_100", dp_id))
    minimum = getattr(data_point, "minimum", None)
    maximum = getattr(data_point, "maximum", None)
    if minimum is not None and value < minimum and minimum > 0:
        found.append(message("below_minimum", dp_id, minimum=minimum))
    if (maximum is not None and value > maximum
            and not (dp_type == "percent" and maximum == 100)):
        found.append(message("above_maximum", dp_id, maximum=maximum))
    total_id = getattr(data_point, "part_of", None)
    total = context.values.get(total_id) if total_id else None
    if (isinstance(total, int | float) and not isinstance(total, bool)
            and _applies("part_exceeds_total", dp_type) and value > total):
        found.append(message("part_exceeds_total", dp_id, value=value, total=total,
                             total_label=context.labels.get(total_id, total_id)))
    if found:
        return found
    return _warnings(data_point, value, context)


def _warnings(data_point: Any, value: float, context: RuleContext) -> list[Message]:
    dp_id, dp_type = data_point.id, data_point.type
    found: list[Message] = []
    population = context.population
    if (dp_id in context.per_capita_ids and population and population > 0
            and _applies("per_capita_implausible", dp_type)
            and value / population > PER_CAPITA_LIMIT):
        found.append(message("per_capita_implausible", dp_id,
                             ratio=round(value / population, 1), population=population))
    typical = getattr(data_point, "typical_range", None)
    if typical and _applies("outside_typical_range", dp_type):
        low, high = typical
        if (low is not None and value < low) or (high is not None and value > high):
            found.append(message("outside_typical_range", dp_id, value=value, low=low,
                                 high=high))
    previous = context.previous.get(dp_id)
    if (isinstance(previous, int | float) and not isinstance(previous, bool)
            and _applies("large_change", dp_type) and _large_change(previous, value)):
        found.append(message("large_change", dp_id, previous=previous, value=value))
    return found


def _large_change(previous: float, value: float) -> bool:
    if previous == value:
        return False
    if previous <= 0 or value <= 0:
        # From or to zero: a change worth a word unless both are tiny shares.
        return max(abs(previous), abs(value)) >= 1
    ratio = value / previous
    return ratio > CHANGE_FACTOR or ratio < 1 / CHANGE_FACTOR


def evaluate(data_points: Iterable[Any], values: Mapping[str, float | bool | None],
             context: RuleContext) -> dict[str, list[Message]]:
    """Findings per data point id for a step's parsed values (ids without findings omitted)."""
    merged = {**context.values, **{k: v for k, v in values.items() if v is not None}}
    context = RuleContext(values=merged, previous=context.previous,
                          population=_population(merged, context),
                          current_year=context.current_year,
                          per_capita_ids=context.per_capita_ids, labels=context.labels)
    findings: dict[str, list[Message]] = {}
    for data_point in data_points:
        found = check_value(data_point, values.get(data_point.id), context)
        if found:
            findings[data_point.id] = found
    return findings


def _population(values: Mapping[str, Any], context: RuleContext) -> float | None:
    pop = values.get("pop")
    if isinstance(pop, int | float) and not isinstance(pop, bool) and pop > 0:
        return float(pop)
    return context.population


# Shares of one whole may miss 100 by this many points (rounding in published figures).
SHARES_TOLERANCE = 2.0


def check_parts_sum(parts: Iterable[str], values: Mapping[str, float | bool | None],
                    limit: float, tolerance: float = SHARES_TOLERANCE
                    ) -> dict[str, list[Message]]:
    """Shares of one whole (waste treatment, mode share): more than the whole (beyond the
    tolerance) is an error; every share given and short of it by more, a warning."""
    parts = list(parts)
    given = {p: v for p in parts if isinstance(v := values.get(p), int | float)
             and not isinstance(v, bool)}
    total = math.fsum(given.values())
    if not given:
        return {}
    if total > limit + tolerance + 1e-9:
        return {p: [message("parts_sum_over", p, total=round(total, 2), limit=limit)]
                for p in given}
    if len(given) == len(parts) and total < limit - tolerance - 1e-9:
        return {p: [message("shares_not_100", p, total=round(total, 2),
                            tolerance=tolerance)] for p in given}
    return {}


def check_tiers(tiers: Iterable[str], values: Mapping[str, float | bool | None],
                labels: Mapping[str, str] | None = None) -> dict[str, list[Message]]:
    """Cumulative levels (primary ⊇ secondary ⊇ tertiary treatment) cannot grow."""
    found: dict[str, list[Message]] = {}
    previous: tuple[str, float] | None = None
    for tier in tiers:
        value = values.get(tier)
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        if previous is not None and value > previous[1] + 1e-9:
            found[tier] = [message("tiers_out_of_order", tier, value=value, lower=previous[1],
                                   lower_label=(labels or {}).get(previous[0], previous[0]))]
        previous = (tier, value)
    return found


def check_across(formula_params: Mapping[str, Any], values: Mapping[str, Any],
                 labels: Mapping[str, str] | None = None) -> dict[str, list[Message]]:
    """The checks across one KPI's values (wizard, API and import alike)."""
    found: dict[str, list[Message]] = {}
    limit = formula_params.get("sum_max")
    if limit is not None:
        for dp_id, messages in check_parts_sum(formula_params.get("parts", ()), values,
                                               float(limit)).items():
            found.setdefault(dp_id, []).extend(messages)
    if formula_params.get("ordered"):
        for dp_id, messages in check_tiers(formula_params.get("parts", ()), values,
                                           labels).items():
            found.setdefault(dp_id, []).extend(messages)
    return found


def errors(findings: Iterable[Message]) -> list[Message]:
    return [m for m in findings if m.tier == ERROR]


def warnings(findings: Iterable[Message]) -> list[Message]:
    return [m for m in findings if m.tier == WARNING]
