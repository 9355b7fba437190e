"""Checking a step's input: parsing, rules, checks across values, provenance, direct results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from forms.builder import QUALITY_TIER_IDS, Step
from forms.fields import parse_value, parse_year, read_count
from forms.origins import read_origin
from forms.rules import (
    ERROR,
    MAX_NUMBER_LENGTH,
    WARNING,
    Message,
    RuleContext,
    check_across,
    check_value,
    evaluate,
    message,
)
from intake.extensions import db
from intake.models import City
from intake.services import values as value_service
from intake.services.values import Entry, catalog
from intake.services.wizard.drafts import StepInput
from intake.services.wizard.steps import from_catalog, labels_for

PER_CAPITA_FORMULAS = {"per_100k", "per_capita", "per_capita_per_day"}


# ------------------------------------------------------------------------------ checking
def rule_context(city_id: int, locale: str) -> RuleContext:
    cat = catalog()
    city = db.session.get(City, city_id)
    rows = value_service.value_rows(city_id)
    per_capita = from_catalog(cat, ("per_capita",), lambda: frozenset(
        kpi.formula.params.get("numerator") for kpi in cat.kpis
        if kpi.formula.kind in PER_CAPITA_FORMULAS and kpi.formula.params.get("numerator")))
    labels = labels_for(cat, locale)
    return RuleContext(
        values=value_service.get_city_values(city_id),
        previous={k: r.previous_value for k, r in rows.items() if r.previous_value is not None},
        population=float(city.population) if city and city.population else None,
        current_year=datetime.now(UTC).year,
        per_capita_ids=per_capita,
        labels=labels,
    )


def across_findings(data_point_ids, values: Mapping[str, Any], labels: Mapping[str, str]
                    ) -> dict[str, list[Message]]:
    """The checks across values (parts within their whole, shares summing to 100, tiers in
    order) for the KPIs using these data points: the same as a wizard step runs."""
    wanted = set(data_point_ids)
    found: dict[str, list[Message]] = {}
    for kpi in catalog().kpis:
        if any(dp.id in wanted for dp in kpi.data_points):
            for dp_id, messages in check_across(kpi.formula.params, values, labels).items():
                if dp_id in wanted:
                    found.setdefault(dp_id, []).extend(messages)
    return found


@dataclass
class Checked:
    entries: list[Entry]
    findings: dict[str, list[Message]]
    provenance: dict[str, dict]
    provenance_findings: dict[str, list[Message]]
    unjustified: set[str]

    @property
    def has_errors(self) -> bool:
        return any(m.tier == ERROR for ms in self.findings.values() for m in ms) or bool(
            self.provenance_findings)

    @property
    def blocking(self) -> bool:
        return self.has_errors or bool(self.unjustified)


def check_step(city_id: int, step: Step, submitted: StepInput, locale: str) -> Checked:
    """Parse and check a step's input: errors, warnings, and what to store."""
    context = rule_context(city_id, locale)
    parsed_values: dict[str, float | bool | None] = {}
    findings: dict[str, list[Message]] = {}
    for dp in step.data_points:
        posted = submitted.values.get(dp.id, {})
        if posted.get("na"):
            continue
        if dp.type == "count":
            # A share typed where a count is asked: offer it as a share of its known total.
            total = context.values.get(dp.part_of) if dp.part_of else None
            parsed = read_count(posted.get("text", ""), locale, posted.get("meant"),
                                total=total if isinstance(total, int | float)
                                and not isinstance(total, bool) else None,
                                total_label=context.labels.get(dp.part_of or "", ""))
        else:
            parsed = parse_value(dp.type, posted.get("text", ""), locale, posted.get("meant"))
        if parsed.error is not None:
            error = parsed.error
            findings[dp.id] = [Message(error.id, error.tier, error.text, error.params, dp.id)]
        elif parsed.value is not None:
            parsed_values[dp.id] = parsed.value
    for dp_id, found in evaluate(step.data_points, parsed_values, context).items():
        findings.setdefault(dp_id, []).extend(found)
    for kpi in step.kpis:
        if not any(m.tier == ERROR for dp in kpi.data_points
                   for m in findings.get(dp.id, [])):
            for dp_id, found in check_across(kpi.formula.params, parsed_values,
                                             context.labels).items():
                findings.setdefault(dp_id, []).extend(found)
    entries: list[Entry] = []
    unjustified: set[str] = set()
    for dp in step.data_points:
        posted = submitted.values.get(dp.id, {})
        found = findings.get(dp.id, [])
        has_error = any(m.tier == ERROR for m in found)
        why = (posted.get("why") or "").strip()[:1000]
        if any(m.tier == WARNING for m in found) and not has_error and not why:
            unjustified.add(dp.id)
        text = posted.get("text", "")
        na = bool(posted.get("na"))
        value = None if na else parsed_values.get(dp.id)
        if not na and not text.strip():
            # An emptied field is an unanswered one: store it so the draft stays exact.
            entries.append(Entry(dp.id, text, None, valid=False, justification=why or None,
                                 origin=_origin(posted)))
            continue
        entries.append(Entry(dp.id, text, value, not_available=na,
                             valid=na or (value is not None and not has_error),
                             meant=posted.get("meant"), justification=why or None,
                             findings=[m.as_dict() for m in found] or None,
                             origin=_origin(posted)))
    _check_direct(city_id, step, submitted, context, locale, findings, entries, unjustified)
    provenance: dict[str, dict] = {}
    provenance_findings: dict[str, list[Message]] = {}
    for kpi in step.kpis:
        posted = submitted.provenance.get(kpi.code, {})
        year_text = (posted.get("year") or "").strip()
        year = parse_year(year_text, locale)
        stored = {"quality_tier": posted.get("tier") if posted.get("tier") in QUALITY_TIER_IDS
                  else None,
                  "source": posted.get("source", ""), "reference_year_text": year_text}
        if year.error is not None:
            provenance_findings[kpi.code] = [year.error]
            stored["reference_year"] = None
        elif year.value is not None and year.value > context.current_year:
            provenance_findings[kpi.code] = [message(
                "year_in_future", value=int(year.value), current_year=context.current_year)]
            stored["reference_year"] = None
        else:
            stored["reference_year"] = int(year.value) if year.value is not None else None
        provenance[kpi.code] = stored
    return Checked(entries, findings, provenance, provenance_findings, unjustified)


def _check_direct(city_id: int, step: Step, submitted: StepInput, context: RuleContext,
                  locale: str, findings: dict[str, list[Message]], entries: list[Entry],
                  unjustified: set[str]) -> None:
    """Results typed under "I have the figure already": parsed and checked like any figure
    (the same checks as the API and the import); unticked, a stored one is withdrawn."""
    cat = catalog()
    stored = value_service.value_rows(
        city_id, [item.result_key for kpi in step.kpis for item in kpi.items])
    for kpi in step.kpis:
        ticked = submitted.direct.get(kpi.code, False)
        for item in kpi.items:
            point = cat.result_point(item.id)
            posted = submitted.results.get(item.id, {})
            text = posted.get("text", "") if ticked else ""
            why = (posted.get("why") or "").strip()[:1000] if ticked else ""
            if not text.strip():
                row = stored.get(point.id)
                if row is not None and (row.raw_text or row.not_available):
                    entries.append(Entry(point.id, text, None, valid=False))
                continue  # nothing given, nothing kept: no row, no audit
            parsed = parse_value(point.type, text, locale)
            if parsed.error is not None:
                error = parsed.error
                found = [Message(error.id, error.tier, error.text, error.params, point.id)]
            else:
                found = check_value(point, parsed.value, context)
            if found:
                findings[point.id] = found
            has_error = any(m.tier == ERROR for m in found)
            if any(m.tier == WARNING for m in found) and not has_error and not why:
                unjustified.add(point.id)
            entries.append(Entry(point.id, text, None if has_error else parsed.value,
                                 valid=not has_error and parsed.value is not None,
                                 justification=why or None,
                                 findings=[m.as_dict() for m in found] or None,
                                 origin=_origin(posted)))


def _origin(posted: Mapping) -> str | None:
    """The chosen data origin; none for a blank choice or a code not in the list (a select
    offers only listed codes, so anything else was not chosen in the page)."""
    return read_origin(posted.get("origin"))[0]


def overlong_values(step: Step, submitted: StepInput) -> dict[str, list[Message]]:
    """Figures longer than their input allows (the form's `maxlength`), per data point.

    A browser never sends these; a script does (a 450 kB "number" stored as a draft and
    copied into every audit row). They are refused whole, never stored or cut.
    """
    found: dict[str, list[Message]] = {}
    for dp in step.data_points:
        text = submitted.values.get(dp.id, {}).get("text", "")
        limit = 4 if dp.type == "year" else MAX_NUMBER_LENGTH
        if len(text.strip()) > limit:
            error = message("too_long", dp.id)
            found[dp.id] = [error]
            submitted.values[dp.id]["text"] = text.strip()[:limit]
    return found
