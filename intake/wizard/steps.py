"""The step pages of a category wizard and the live preview of its KPI values."""

from __future__ import annotations

from flask import (
    abort,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from forms.builder import build_step_form
from intake.i18n import current_language
from intake.services import evidence as evidence_service
from intake.services import guidance
from intake.services import values as value_service
from intake.services.links import (
    workspace_token,
)
from intake.services.reference_years import previous_year_values
from intake.services.wizard import checks as wizard_checks
from intake.services.wizard import drafts as wizard_drafts
from intake.services.wizard import review as wizard_review
from intake.services.wizard import steps as wizard_steps
from intake.wizard import bp, hints, rendering
from intake.wizard.access import (
    SESSION_TOKEN,
    city_required,
)
from intake.wizard.helpers import format_number


# ------------------------------------------------------------------------------ steps
def step_or_404(category_id: str, index: int):
    try:
        return wizard_steps.get_step(category_id, index)
    except KeyError:
        abort(404)


def _form_class(step):
    return build_step_form(step, base=FlaskForm, translate=_, locale=current_language())


def render_step(step, formdata: MultiDict, *, findings=None, provenance_findings=None,
                 unjustified=(), status=200, conflict=None, version=None, notice=None):
    city = g.city
    lang = current_language()
    catalog = value_service.catalog()
    category = catalog.category(step.category_id)
    all_steps = wizard_steps.steps(step.category_id)
    state = value_service.category_state(city.id, step.category_id)
    if version is None:
        version = state.version if state is not None else 0
    skeleton = rendering.skeleton(catalog, step, category, all_steps, lang, _form_class(step))
    page = rendering.render_step_page(
        skeleton, step, formdata, city_name=city.name, notice=notice, conflict=conflict,
        status=state.status if state is not None else value_service.NOT_STARTED,
        labels=lambda: wizard_steps.data_point_labels(lang), version=version,
        # A colleague's page never carries the city's own link.
        resume="" if g.get("member") is not None else (
            session.get(SESSION_TOKEN) or workspace_token(city)),
        findings=findings or {}, provenance_findings=provenance_findings or {},
        unjustified=set(unjustified), computed=wizard_review.counted_for_step(city.id, step),
        files=evidence_service.evidence_for(city.id, [kpi.code for kpi in step.kpis]),
        last_year=previous_year_values(city.id), lang=lang,
        origins=wizard_drafts.assistant_figures(city.id, step),
        intro=hints.category_intro(catalog.kpis_in(step.category_id),
                                   guidance.reference_year(city.id)),
        failed_save=status == 422)
    return render_template("wizard/step.html", page=page), status


def display_findings(city_id: int, step, formdata) -> tuple[dict, dict]:
    submitted = wizard_drafts.input_from_form(step, formdata)
    typed_results = {item_id for item_id, posted in submitted.results.items()
                     if posted["text"].strip()}
    if not any(v["text"].strip() for v in submitted.values.values()) and not any(
            p["year"] for p in submitted.provenance.values()) and not typed_results:
        return {}, {}
    checked = wizard_checks.check_step(city_id, step, submitted, current_language())
    typed = {dp_id for dp_id, posted in submitted.values.items() if posted["text"].strip()}
    typed |= {value_service.catalog().result_point(item_id).id for item_id in typed_results}
    shown = {dp_id: found for dp_id, found in checked.findings.items() if dp_id in typed}
    return shown, checked.provenance_findings


@bp.get("/c/<category_id>/<int:index>")
@city_required
def step(category_id: str, index: int):
    step = step_or_404(category_id, index)
    data = wizard_drafts.step_formdata(g.city.id, step)
    offered = guidance.offer_previous_provenance(g.city.id, step, data)
    formdata = MultiDict(data)
    findings, prov_findings = display_findings(g.city.id, step, formdata)
    notice = (_("Source, quality and year are filled in as for the KPI before (“same as "
                "above”). Check them, change what differs, and save.") if offered else None)
    return render_step(step, formdata, findings=findings, provenance_findings=prov_findings,
                        notice=notice)


@bp.get("/c/<category_id>")
@city_required
def category(category_id: str):
    try:
        wizard_steps.steps(category_id)
    except KeyError:
        abort(404)
    if g.member is not None and not g.scope.whole(category_id):
        first = next(s for s in wizard_steps.steps(category_id) if g.scope.opens_step(s))
        return redirect(url_for("wizard.step", category_id=category_id, index=first.index))
    state = value_service.category_state(g.city.id, category_id)
    if state is not None and state.status == "complete":
        return redirect(url_for("wizard.review", category_id=category_id))
    return redirect(url_for("wizard.step", category_id=category_id,
                            index=state.current_step if state else 0))


@bp.get("/c/<category_id>/<int:index>/preview")
@city_required
def preview(category_id: str, index: int):
    """Live KPI values for the figures being typed (JSON for wizard.js; nothing is saved)."""
    step = step_or_404(category_id, index)
    submitted = wizard_drafts.input_from_form(step, request.args)
    values = value_service.get_city_values(g.city.id)
    checked = wizard_checks.check_step(g.city.id, step, submitted, current_language())
    for entry in checked.entries:
        if entry.not_available:
            values[entry.data_point_id] = None
        elif entry.valid and entry.value is not None:
            values[entry.data_point_id] = entry.value
        else:
            values.pop(entry.data_point_id, None)
    result = {}
    from intake.services.results import counted_results

    for kpi in step.kpis:
        counted = counted_results(kpi, values)
        result[kpi.code] = [{"id": item.id, "label": item.label.get(current_language()),
                             "unit": item.unit.get(current_language()),
                             "value": format_number(counted[item.id][0]),
                             "reported_directly": counted[item.id][1]}
                            for item in kpi.items]
    return jsonify(result)
