"""A step's form as posted and as stored: the draft, exactly as typed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from forms.builder import Step, field_name, kpi_field_prefix, result_field_name
from intake.services import values as value_service


# ------------------------------------------------------------------------------ drafts
@dataclass
class StepInput:
    """What a step's form posted, as plain text (never lost, even when invalid)."""

    # dp id → text, na, why, meant, origin
    values: dict[str, dict] = field(default_factory=dict)
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
            "origin": _text(data.get(name + "__origin")).strip(),
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
                                          "why": _text(data.get(name + "__why")),
                                          "origin": _text(data.get(name + "__origin")).strip()}
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
        if row.origin:
            data[name + "__origin"] = row.origin
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
            if row.origin:
                data[name + "__origin"] = row.origin
        if direct:
            data[kpi_field_prefix(kpi.code) + "__direct"] = "y"
    return data


def assistant_figures(city_id: int, step: Step) -> dict[str, Any]:
    """The step's figures as the intake assistant was given them (not changed since)."""
    from intake.services.participation import ASSISTANT

    rows = value_service.value_rows(city_id, [dp.id for dp in step.data_points])
    return {dp_id: row for dp_id, row in rows.items() if row.updated_by == ASSISTANT}
