"""Wizard steps from the catalog, and a fresh WTForms class per step built with type()."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import wtforms
from wtforms import fields as wt
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from forms.fields import field_for
from forms.origins import load_origins
from forms.rules import N_

# The data-quality tiers of the U4SSC template, best first.
QUALITY_TIERS: tuple[tuple[str, str], ...] = (
    ("accurate", N_("Accurate measurement")),
    ("survey", N_("Extrapolation from a survey or sample")),
    ("higher_level", N_("Extrapolation from regional or national data")),
    ("assumption", N_("Estimate based on assumptions")),
    ("personal", N_("Personal estimate")),
    ("unknown", N_("Unknown")),
)
QUALITY_TIER_IDS = tuple(tier for tier, _label in QUALITY_TIERS)
MAX_SOURCE_LENGTH = 500
MAX_JUSTIFICATION_LENGTH = 1000


def origin_field(translate: Callable[[str], str]) -> wt.SelectField:
    """Who produced a figure (forms/data/data_origins.json), chosen beside each value."""
    return wt.SelectField(
        translate(N_("Data origin")),
        choices=[SelectChoice("", translate(N_("Choose…")))]
        + [SelectChoice(origin.code, translate(origin.label)) for origin in load_origins()],
        validate_choice=False)


@dataclass(frozen=True)
class Step:
    """One page of a category wizard: the shared city figures, or one KPI."""

    category_id: str
    index: int
    kind: str  # "shared" | "kpi"
    kpis: tuple[Any, ...]
    data_points: tuple[Any, ...]

    @property
    def key(self) -> str:
        return f"{self.category_id}/{self.index}"


def steps_for_category(catalog: Any, category_id: str) -> tuple[Step, ...]:
    """First the shared figures the category needs (population …), then one step per KPI."""
    kpis = tuple(catalog.kpis_in(category_id))
    shared: list[Any] = []
    for kpi in kpis:
        for dp in kpi.data_points:
            if dp.shared and all(dp.id != seen.id for seen in shared):
                shared.append(dp)
    steps: list[Step] = []
    if shared:
        steps.append(Step(category_id, 0, "shared", (), tuple(shared)))
    for kpi in kpis:
        own = tuple(dp for dp in kpi.data_points if not dp.shared)
        steps.append(Step(category_id, len(steps), "kpi", (kpi,), own))
    return tuple(steps)


def field_name(data_point_id: str) -> str:
    return "dp_" + re.sub(r"\W+", "_", data_point_id)


def result_field_name(item_id: str) -> str:
    """The form field of a scored item's directly reported result."""
    return "res_" + re.sub(r"\W+", "_", item_id)


def kpi_field_prefix(kpi_code: str) -> str:
    return "kpi_" + re.sub(r"\W+", "_", kpi_code).strip("_").lower()


# Steps × languages × base classes in use; the least recently used class is rebuilt.
MAX_FORM_CLASSES = 512
# Keyed by the step object itself (held here, so its id cannot be reused): a reloaded
# catalog makes new steps, which get new classes instead of ones with stale fields.
_cache: OrderedDict[tuple, tuple[Step, type]] = OrderedDict()
_cache_lock = threading.Lock()


def build_step_form(step: Step, *, base: type = wtforms.Form,
                    translate: Callable[[str], str] = str, locale: str = "en") -> type:
    """A WTForms class for a step: per data point the value, "not available" and a
    justification box (for warnings); per KPI its provenance. Cached per step and locale."""
    key = (id(step), locale, base)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] is step:
            _cache.move_to_end(key)
            return cached[1]
    attrs: dict[str, Any] = {
        "version": wt.HiddenField(),
        "resume": wt.HiddenField(validators=[Optional(), Length(max=500)]),
    }
    for dp in step.data_points:
        name = field_name(dp.id)
        attrs[name] = field_for(dp, translate=translate, locale=locale)
        attrs[name + "__na"] = wt.BooleanField(translate(N_("Not available")))
        attrs[name + "__origin"] = origin_field(translate)
        attrs[name + "__why"] = wt.TextAreaField(
            translate(N_("Why is this figure right?")),
            validators=[Optional(), Length(max=MAX_JUSTIFICATION_LENGTH)],
            render_kw={"rows": "2", "maxlength": str(MAX_JUSTIFICATION_LENGTH)})
    for kpi in step.kpis:
        prefix = kpi_field_prefix(kpi.code)
        attrs[prefix + "__tier"] = wt.SelectField(
            translate(N_("Data quality")),
            choices=[SelectChoice("", translate(N_("Choose…")))]
            + [SelectChoice(tier, translate(label)) for tier, label in QUALITY_TIERS],
            validate_choice=False)
        attrs[prefix + "__source"] = wt.StringField(
            translate(N_("Source")), validators=[Optional(), Length(max=MAX_SOURCE_LENGTH)],
            render_kw={"maxlength": str(MAX_SOURCE_LENGTH), "autocomplete": "off"})
        attrs[prefix + "__year"] = wt.StringField(
            translate(N_("Reference year")),
            render_kw={"inputmode": "numeric", "maxlength": "4", "autocomplete": "off"})
    safe = re.sub(r"\W+", "_", step.key)
    form_class = type(f"StepForm_{safe}_{locale}", (base,), attrs)
    with _cache_lock:
        _cache[key] = (step, form_class)
        _cache.move_to_end(key)
        while len(_cache) > MAX_FORM_CLASSES:
            _cache.popitem(last=False)
    return form_class
