"""Saving a step (figures, provenance, files) and an expired form that keeps what was typed."""

from __future__ import annotations

from flask import (
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import MultiDict

from forms.builder import field_name, kpi_field_prefix
from intake.i18n import current_language
from intake.services import evidence as evidence_service
from intake.services import team as team_service
from intake.services.wizard import checks as wizard_checks
from intake.services.wizard import drafts as wizard_drafts
from intake.services.wizard import saving as wizard_saving
from intake.services.wizard import steps as wizard_steps
from intake.wizard import bp
from intake.wizard import team_access as rendering_team
from intake.wizard.access import (
    actor,
    city_from_resume_field,
    city_from_session,
    city_required,
    member_for_expired_form,
    posted_version,
)
from intake.wizard.steps import display_findings, render_step, step_or_404


@bp.post("/c/<category_id>/<int:index>")
@city_required
def save(category_id: str, index: int):
    step = step_or_404(category_id, index)
    city = g.city
    formdata = request.form
    expected = posted_version()
    if expected is None:
        expected = -1  # garbled: treated as a stale copy (a conflict), never a crash
    submitted = wizard_drafts.input_from_form(step, formdata)
    if g.member is not None:
        submitted = rendering_team.within_scope(step, submitted)
        team_service.touch(g.member)
    overlong = wizard_checks.overlong_values(step, submitted)
    if overlong:
        shown = formdata.copy()
        for dp_id in overlong:
            shown[field_name(dp_id)] = submitted.values[dp_id]["text"]
        return render_step(step, shown, findings=overlong, status=422, notice=_(
            "Nothing on this page was saved: a figure is longer than its box allows. "
            "Correct it and save again."))
    action = formdata.get("action", "save")
    outcome = wizard_saving.save_step(city.id, step, submitted, expected_version=expected,
                                       actor=actor(), locale=current_language(), action=action)
    if outcome.status == "locked":
        flash(_("This category is marked complete, so nothing was changed. Reopen it to "
                "edit its figures."), "warning")
        return redirect(url_for("wizard.review", category_id=category_id))
    checked = outcome.checked
    if outcome.status == "conflict":
        return render_step(step, formdata, findings=checked.findings,
                            provenance_findings=checked.provenance_findings,
                            unjustified=checked.unjustified, status=409,
                            conflict=outcome.changes, version=outcome.version)
    refused = _save_uploads(step)
    delete_id = formdata.get("delete_evidence", "")
    if delete_id.isdigit() and _may_touch_evidence(int(delete_id)):
        evidence_service.delete_evidence(city.id, int(delete_id))
    if refused:
        # The figures are saved; the refused file is the one thing to fix, so say so here.
        return render_step(step, MultiDict(wizard_drafts.step_formdata(city.id, step)),
                            status=422)
    steps = wizard_steps.steps(category_id)
    if action == "back":
        return redirect(url_for("wizard.step", category_id=category_id, index=max(index - 1, 0)))
    if action in ("next", "review") and outcome.blocking:
        notice = (_("Some figures need attention before you go on. What you typed is saved "
                    "as a draft."))
        return render_step(step, MultiDict(wizard_drafts.step_formdata(city.id, step)),
                            findings=checked.findings,
                            provenance_findings=checked.provenance_findings,
                            unjustified=checked.unjustified, status=422, notice=notice)
    if action == "next" and index + 1 < len(steps):
        return redirect(url_for("wizard.step", category_id=category_id, index=index + 1))
    if action in ("next", "review"):
        return redirect(url_for("wizard.review", category_id=category_id))
    if action == "upload":
        return redirect(url_for("wizard.step", category_id=category_id, index=index,
                                _anchor="evidence"))
    if action == "save" and request.accept_mimetypes.best == "application/json":
        # wizard.js saves a draft without leaving the page: one round trip on a slow line,
        # not a post, a redirect and the page again. Findings are shown by reloading.
        found = any(checked.findings.values()) or bool(checked.provenance_findings)
        return jsonify(saved=True, version=outcome.version, findings=found,
                       message=_("Saved."))
    flash(_("Saved."), "success")
    return redirect(url_for("wizard.step", category_id=category_id, index=index))


def _may_touch_evidence(file_id: int) -> bool:
    """A colleague deletes only files of their own KPIs; the focal point, any of the city's."""
    if g.member is None:
        return True
    record = evidence_service.get_evidence(g.city.id, file_id)
    return record is not None and g.scope.opens_kpi(record.kpi_code)


def _save_uploads(step) -> int:
    """Store the files attached to a step; returns how many were refused (each flashed)."""
    refused = 0
    for kpi in step.kpis:
        upload = request.files.get(kpi_field_prefix(kpi.code) + "__evidence")
        if upload is None or not upload.filename:
            continue
        try:
            evidence_service.save_evidence(g.city.id, kpi.code, upload.filename, upload.stream,
                                           actor=actor())
        except evidence_service.EvidenceError as error:
            flash(str(error.text), "error")
            refused += 1
        else:
            flash(_("The file %(name)s was added.", name=upload.filename[:100]), "success")
    return refused


@bp.errorhandler(CSRFError)
def csrf_expired(error):
    """An expired form or session: show the step again with what was typed, never drop it."""
    endpoint = request.endpoint or ""
    args = request.view_args or {}
    member = member_for_expired_form()
    if request.method == "POST" and endpoint == "wizard.save":
        city = (g.city if member is not None
                else city_from_session() or city_from_resume_field())
        try:
            step = wizard_steps.get_step(args.get("category_id", ""), args.get("index", -1))
        except KeyError:
            step = None
        if city is not None and step is not None:
            g.city = city
            findings, prov = display_findings(city.id, step, request.form)
            notice = _("This page had been open for a long time, so for your security nothing "
                       "was saved yet. Your figures are still here: check them and press Save "
                       "again.")
            return render_step(step, request.form, findings=findings,
                                provenance_findings=prov, notice=notice, status=200,
                                version=posted_version())
    if member is not None or city_from_session() is not None:
        # Buttons such as "Mark category complete": nothing typed is lost, so say what
        # happened and go back to the page to press the button again.
        flash(_("This page had expired, so nothing was done. Please try again."), "warning")
        if endpoint in ("wizard.complete", "wizard.reopen") and "category_id" in args:
            return redirect(url_for("wizard.review", category_id=args["category_id"]))
        if endpoint.startswith("wizard.import"):
            return redirect(url_for("wizard.import_workbook"))
        return redirect(url_for("wizard.home"))
    return render_template("wizard/no_session.html", expired=True), 400
