"""Category wizards: steps, server-side drafts, optimistic locking, review and completion."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy.exc import IntegrityError

from forms.builder import (
    QUALITY_TIER_IDS,
    Step,
    field_name,
    kpi_field_prefix,
    result_field_name,
    steps_for_category,
)
from forms.fields import format_plain, parse_value, parse_year, read_count
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
from intake import signals
from intake.cache import RenderedPages
from intake.extensions import db
from intake.models import City
from intake.models.submission import COMPLETE
from intake.services import values as value_service
from intake.services.values import Entry, catalog

PER_CAPITA_FORMULAS = {"per_100k", "per_capita", "per_capita_per_day"}


# ------------------------------------------------------------------------------ catalog
# What pages derive from the catalog alone (steps, labels per language) is kept per catalog
# object: a changed catalog file loads a new object, which gets its own entries.
_derived = RenderedPages(maxsize=256)


def _from_catalog(cat: Any, key: tuple, build: Callable[[], Any]) -> Any:
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
    return _from_catalog(cat, ("steps", category_id),
                         lambda: steps_for_category(cat, category_id))


def get_step(category_id: str, index: int) -> Step:
    all_steps = steps(category_id)
    if not 0 <= index < len(all_steps):
        raise KeyError(index)
    return all_steps[index]


# ------------------------------------------------------------------------------ progress
def _has_direct(row: Any) -> bool:
    return row is not None and (row.not_available or (row.valid and row.raw_text.strip() != ""))


def reported_directly(kpi: Any, rows: dict) -> bool:
    """Every item of the KPI has a result the city reported itself."""
    return all(_has_direct(rows.get(item.result_key)) for item in kpi.items)


def _given(row: Any) -> bool:
    return row is not None and row.valid and not row.not_available and row.value is not None


def not_needed(kpi: Any, rows: dict) -> set[str]:
    """Inputs a KPI can do without: coverage by area where it is given by inhabitants (or
    the other way round), as the methodology allows either."""
    by_area = kpi.formula.params.get("by_area") if kpi.formula.kind == "parts_percent" else None
    if not by_area:
        return set()
    pairs = dict(by_area.get("parts") or {})
    skip: set[str] = set()
    for part, alternative in pairs.items():
        if _given(rows.get(part)):
            skip.add(alternative)
        elif _given(rows.get(alternative)):
            skip.add(part)
    if set(pairs.values()) <= skip:
        skip.add(by_area["total"])
    if set(pairs) <= skip:
        skip.add(kpi.formula.params["total"])
    return skip


def _answered(kpi: Any, rows: dict) -> bool:
    if reported_directly(kpi, rows):
        return True
    optional = not_needed(kpi, rows)
    for dp in kpi.data_points:
        if dp.id in optional:
            continue
        row = rows.get(dp.id)
        if row is None or not (row.not_available or row.valid):
            return False
    return True


@dataclass(frozen=True)
class CategoryProgress:
    category: Any
    answered: int
    total: int
    status: str  # not_started | in_progress | complete
    current_step: int


def workspace(city_id: int) -> dict:
    """The three dimensions, each category's progress, and the next step to take."""
    cat = catalog()
    rows = value_service.value_rows(city_id)
    states = value_service.category_states(city_id)
    by_dimension: dict[str, list[CategoryProgress]] = {d.id: [] for d in cat.dimensions}
    next_category: CategoryProgress | None = None
    for category in cat.categories:
        kpis = cat.kpis_in(category.id)
        state = states.get(category.id)
        answered = sum(1 for kpi in kpis if _answered(kpi, rows))
        status = state.status if state else value_service.NOT_STARTED
        progress = CategoryProgress(category, answered, len(kpis), status,
                                    state.current_step if state else 0)
        by_dimension[category.dimension].append(progress)
        if status != COMPLETE and (next_category is None or (
                next_category.status == value_service.NOT_STARTED
                and status != value_service.NOT_STARTED)):
            next_category = progress
    complete = sum(1 for s in states.values() if s.status == COMPLETE)
    return {"dimensions": [(d, by_dimension[d.id]) for d in cat.dimensions],
            "next": next_category, "complete": complete, "total": len(cat.categories)}


def workspace_scores(city_id: int, language: str) -> dict:
    """Each complete category's latest score and band, and the overall score so far."""
    from intake.secretariat.overview import (
        category_cells,
        latest_scores,
        overall_score,
        states_by_city,
    )

    scores = latest_scores([city_id]).get(city_id, {})
    cells = category_cells(states_by_city([city_id]).get(city_id, {}), scores, language)
    percent, band = overall_score(cells, scores)
    return {"categories": {cell.id: cell for cell in cells if cell.percent is not None},
            "percent": percent, "band": band}


# ------------------------------------------------------------------------------ drafts
@dataclass
class StepInput:
    """What a step's form posted, as plain text (never lost, even when invalid)."""

    values: dict[str, dict] = field(default_factory=dict)  # dp id → text, na, why, meant
    provenance: dict[str, dict] = field(default_factory=dict)  # kpi code → tier, source, year
    # "I have the figure already": kpi code → ticked, and item id → text, why.
    direct: dict[str, bool] = field(default_factory=dict)
    results: dict[str, dict] = field(default_factory=dict)


def input_from_form(step: Step, data: Any) -> StepInput:
    """Read a step's posted fields from a mapping (request.form or a WTForms form's data)."""
    submitted = StepInput()
    for dp in step.data_points:
        name = field_name(dp.id)
        submitted.values[dp.id] = {
            "text": _text(data.get(name)),
            "na": _checked(data.get(name + "__na")),
            "why": _text(data.get(name + "__why")),
            "meant": _text(data.get(name + "__meant")) or None,
        }
    for kpi in step.kpis:
        prefix = kpi_field_prefix(kpi.code)
        submitted.provenance[kpi.code] = {
            "tier": _text(data.get(prefix + "__tier")),
            "source": _text(data.get(prefix + "__source")),
            "year": _text(data.get(prefix + "__year")),
        }
        submitted.direct[kpi.code] = _checked(data.get(prefix + "__direct"))
        for item in kpi.items:
            name = result_field_name(item.id)
            submitted.results[item.id] = {"text": _text(data.get(name)),
                                          "why": _text(data.get(name + "__why"))}
    return submitted


def _text(value: Any) -> str:
    if value is None or value is False:
        return ""
    # Kept as typed, except NUL: no PostgreSQL text column can hold it.
    return str(value).replace("\x00", "")


def _checked(value: Any) -> bool:
    return value in (True, "y", "on", "yes", "true", "1")


def step_formdata(city_id: int, step: Step) -> dict[str, str]:
    """The stored draft as form data: exactly what was typed last time."""
    rows = value_service.value_rows(city_id, [dp.id for dp in step.data_points])
    data: dict[str, str] = {}
    for dp in step.data_points:
        row = rows.get(dp.id)
        if row is None:
            continue
        name = field_name(dp.id)
        data[name] = row.raw_text or ""
        if row.not_available:
            data[name + "__na"] = "y"
        if row.justification:
            data[name + "__why"] = row.justification
        if row.meant:
            data[name + "__meant"] = row.meant
    prov = value_service.provenance_rows(city_id, [k.code for k in step.kpis])
    for kpi in step.kpis:
        row = prov.get(kpi.code)
        if row is None:
            continue
        prefix = kpi_field_prefix(kpi.code)
        data[prefix + "__tier"] = row.quality_tier or ""
        data[prefix + "__source"] = row.source or ""
        data[prefix + "__year"] = row.reference_year_text or ""
    results = value_service.value_rows(
        city_id, [item.result_key for kpi in step.kpis for item in kpi.items])
    for kpi in step.kpis:
        direct = False
        for item in kpi.items:
            row = results.get(item.result_key)
            if row is None or not (row.raw_text.strip() or row.not_available):
                continue
            direct = True
            name = result_field_name(item.id)
            data[name] = row.raw_text or ""
            if row.justification:
                data[name + "__why"] = row.justification
        if direct:
            data[kpi_field_prefix(kpi.code) + "__direct"] = "y"
    return data


def assistant_figures(city_id: int, step: Step) -> dict[str, Any]:
    """The step's figures as the intake assistant was given them (not changed since)."""
    from intake.services.participation import ASSISTANT

    rows = value_service.value_rows(city_id, [dp.id for dp in step.data_points])
    return {dp_id: row for dp_id, row in rows.items() if row.updated_by == ASSISTANT}


def stored_findings(city_id: int, step: Step) -> dict[str, list[Message]]:
    rows = value_service.value_rows(city_id, [dp.id for dp in step.data_points] + [
        item.result_key for kpi in step.kpis for item in kpi.items])
    return {dp_id: [Message(**f) for f in (row.findings or [])]
            for dp_id, row in rows.items() if row.findings}


def current_version(city_id: int, category_id: str) -> int:
    state = value_service.category_state(city_id, category_id)
    return state.version if state is not None else 0


# ------------------------------------------------------------------------------ checking
def rule_context(city_id: int, locale: str) -> RuleContext:
    cat = catalog()
    city = db.session.get(City, city_id)
    rows = value_service.value_rows(city_id)
    per_capita = _from_catalog(cat, ("per_capita",), lambda: frozenset(
        kpi.formula.params.get("numerator") for kpi in cat.kpis
        if kpi.formula.kind in PER_CAPITA_FORMULAS and kpi.formula.params.get("numerator")))
    labels = _labels(cat, locale)
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


def data_point_labels(locale: str) -> dict[str, str]:
    return dict(_labels(catalog(), locale))


def _labels(cat: Any, locale: str) -> Mapping[str, str]:
    """Read-only: shared by every request in this language."""
    return _from_catalog(cat, ("labels", locale), lambda: MappingProxyType(
        {dp.id: dp.label.get(locale) for dp in _all_data_points(cat)}))


def _all_data_points(cat: Any) -> list[Any]:
    seen: dict[str, Any] = {}
    for kpi in cat.kpis:
        for dp in kpi.data_points:
            seen.setdefault(dp.id, dp)
    return list(seen.values())


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
            entries.append(Entry(dp.id, text, None, valid=False, justification=why or None))
            continue
        entries.append(Entry(dp.id, text, value, not_available=na,
                             valid=na or (value is not None and not has_error),
                             meant=posted.get("meant"), justification=why or None,
                             findings=[m.as_dict() for m in found] or None))
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
                                 findings=[m.as_dict() for m in found] or None))


# ------------------------------------------------------------------------------ saving
@dataclass
class SaveOutcome:
    status: str  # saved | conflict | locked
    version: int
    checked: Checked | None = None
    changes: list = field(default_factory=list)  # ValueAudit rows since the stale copy

    @property
    def blocking(self) -> bool:
        return self.checked is not None and self.checked.blocking


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


def save_step(city_id: int, step: Step, submitted: StepInput, *, expected_version: int,
              actor: str, locale: str = "en", action: str = "save") -> SaveOutcome:
    """Save a step as a draft (always, even invalid) unless the copy is stale or locked.

    `action` ("next", "back", "save") decides where "continue" lands next time.
    """
    category_id = step.category_id
    checked = check_step(city_id, step, submitted, locale)
    last = len(steps(category_id)) - 1
    if action == "next" and not checked.blocking:
        current_step = min(step.index + 1, last)
    elif action == "back":
        current_step = max(step.index - 1, 0)
    else:
        current_step = step.index
    # One statement claims the version and records the step when the copy is current and
    # the category open; only a refused claim reads the state to say why.
    try:
        version = value_service.try_lock(city_id, category_id, expected_version,
                                         current_step=current_step)
    except IntegrityError:
        db.session.rollback()
        version = None
    if version is None:
        state = value_service.category_state(city_id, category_id)
        locked = state is not None and state.status == COMPLETE
        locked_version = state.version if state is not None else 0
        db.session.rollback()
        if locked:
            return SaveOutcome("locked", locked_version)
        return SaveOutcome("conflict", current_version(city_id, category_id), checked,
                           value_service.audit_since(city_id, category_id, expected_version))
    changed = value_service.store_entries(city_id, checked.entries, actor=actor,
                                          category_id=category_id, category_version=version)
    value_service.store_provenance(city_id, checked.provenance, actor=actor)
    db.session.commit()
    if changed:
        # The saved category was open for editing (its claim succeeded), so the receivers
        # need not look its state up again; the others (a shared figure such as the
        # population feeds many) are re-scored by one job, not one per category.
        signals.data_changed_in(city_id, value_service.categories_using(changed),
                                open_category=category_id)
    return SaveOutcome("saved", version, checked)


# ------------------------------------------------------------------------------ computing
def compute(kpi: Any, values: dict) -> dict[str, float | bool | None]:
    from scoring.kpis import compute_kpi

    return compute_kpi(kpi.formula.as_dict(), values, [item.id for item in kpi.items])


def computed_for_step(city_id: int, step: Step) -> dict[str, dict]:
    values = value_service.get_city_values(city_id)
    return {kpi.code: compute(kpi, values) for kpi in step.kpis}


def counted_for_step(city_id: int, step: Step) -> dict[str, dict]:
    """Per KPI: item id → (value that counts, reported directly?, computed from raw inputs)."""
    from intake.services.results import counted_results

    values = value_service.get_city_values(city_id)
    return {kpi.code: counted_results(kpi, values) for kpi in step.kpis}


# ------------------------------------------------------------------------------ review
@dataclass
class KpiReview:
    kpi: Any
    computed: dict[str, float | bool | None]
    provenance: Any
    missing: list[Any]  # data points without a usable answer
    invalid: list[Any]  # drafts that do not parse or break a rule
    warnings: list[tuple[Any, Message, str | None]]  # (data point, warning, justification)
    unjustified: list[Any]
    evidence: list[Any]
    values: list[tuple[Any, Any]]  # (data point, row)
    # Item ids whose result the city reported itself (it counts over `raw`, the computed one).
    direct: frozenset[str] = frozenset()
    raw: dict[str, float | bool | None] = field(default_factory=dict)
    results: list[tuple[Any, Any]] = field(default_factory=list)  # (result point, row)

    @property
    def reported_directly(self) -> bool:
        return bool(self.direct) and len(self.direct) == len(self.kpi.items)

    @property
    def ready(self) -> bool:
        return not (self.missing or self.invalid or self.unjustified)


def review(city_id: int, category_id: str) -> list[KpiReview]:
    from intake.services.evidence import evidence_for

    cat = catalog()
    kpis = cat.kpis_in(category_id)
    rows = value_service.value_rows(city_id)
    values = value_service.get_city_values(city_id)
    prov = value_service.provenance_rows(city_id, [k.code for k in kpis])
    files = evidence_for(city_id)
    result = []
    from intake.services.results import counted_results

    for kpi in kpis:
        missing, invalid, warns, unjustified, shown = [], [], [], [], []
        direct_kpi = reported_directly(kpi, rows)
        optional = not_needed(kpi, rows)
        for dp in kpi.data_points:
            row = rows.get(dp.id)
            shown.append((dp, row))
            if row is None or (not row.raw_text.strip() and not row.not_available):
                # A reported result counts, and an alternative input (coverage by area or
                # by inhabitants) stands in: then this input is optional.
                if not direct_kpi and dp.id not in optional:
                    missing.append(dp)
                continue
            if not (row.valid or row.not_available):
                if not direct_kpi:
                    invalid.append(dp)
                continue
            for found in row.findings or []:
                if found["tier"] == WARNING and not row.not_available:
                    warns.append((dp, Message(**found), row.justification))
                    if not row.justification:
                        unjustified.append(dp)
        results = []
        for item in kpi.items:
            point = cat.result_point(item.id)
            row = rows.get(point.id)
            if not _has_direct(row):
                if row is not None and row.raw_text.strip():
                    invalid.append(point)  # typed as a result but refused by a check
                continue
            results.append((point, row))
            for found in row.findings or []:
                if found["tier"] == WARNING and not row.not_available:
                    warns.append((point, Message(**found), row.justification))
                    if not row.justification:
                        unjustified.append(point)
        counted = counted_results(kpi, values)
        result.append(KpiReview(
            kpi, {item_id: c[0] for item_id, c in counted.items()}, prov.get(kpi.code),
            missing, invalid, warns, unjustified, files.get(kpi.code, []), shown,
            direct=frozenset(item_id for item_id, c in counted.items() if c[1]),
            raw={item_id: c[2] for item_id, c in counted.items()}, results=results))
    return result


def complete_category(city_id: int, category_id: str, *, actor: str) -> list[KpiReview]:
    """Mark complete when every KPI is answered; otherwise return the KPIs still open."""
    open_kpis = [item for item in review(city_id, category_id) if not item.ready]
    if not open_kpis:
        value_service.mark_category_complete(city_id, category_id, actor=actor)
    return open_kpis


def first_open_step(city_id: int, category_id: str) -> int:
    """The step to go back to: the first with a missing or invalid answer."""
    open_codes = {item.kpi.code for item in review(city_id, category_id) if not item.ready}
    rows = value_service.value_rows(city_id)
    for step in steps(category_id):
        if step.kind == "shared":
            if any(rows.get(dp.id) is None or not (rows[dp.id].valid or rows[dp.id].not_available)
                   for dp in step.data_points):
                return step.index
        elif any(k.code in open_codes for k in step.kpis):
            return step.index
    return 0


def plain(value: float | bool | None) -> str:
    return format_plain(value)
