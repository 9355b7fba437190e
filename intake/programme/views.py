"""Thin views: record a milestone, download the invoice, track the case study."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from intake.i18n import current_language, text_direction
from intake.models.programme import CaseStudyStatus, MilestoneKind
from intake.models.user import UserRole
from intake.permissions import current_staff_user, staff_city_or_abort, staff_required
from intake.programme.forms import CaseStudyForm, ClearForm, MilestoneForm
from intake.services import programme
from intake.services.reports import filename

bp = Blueprint("programme", __name__, url_prefix="/staff/programme")


def _milestone_form(city, kind: MilestoneKind) -> MilestoneForm:
    form = MilestoneForm(formdata=None)
    if kind in programme.WITH_AMOUNT:
        amount, currency = programme.quoted_fee(city)
        if amount is not None:
            form.amount.data = f"{amount:.2f}"
        if currency in programme.CURRENCIES:
            form.currency.data = currency
    return form


def _kind_or_404(kind: str) -> MilestoneKind:
    try:
        return MilestoneKind(kind)
    except ValueError:
        abort(404)


def _render(city, *, forms: dict | None = None, status: int = 200):
    marks = programme.milestones_of(city.id)
    forms = forms or {}
    for kind in MilestoneKind:
        forms.setdefault(kind.value, _milestone_form(city, kind))
    study = programme.case_study_of(city.id)
    study_form = forms.pop("case_study", None) or CaseStudyForm(formdata=None, obj=study)
    study_form.status.choices = [SelectChoice(s.value, str(programme.CASE_STUDY_LABELS[s]))
                                 for s in CaseStudyStatus]
    return render_template(
        "programme/city.html", city=city, steps=programme.timeline(city), marks=marks,
        forms=forms, clear_form=ClearForm(formdata=None), kinds=list(MilestoneKind),
        label=programme.milestone_label, skippable=programme.SKIPPABLE,
        with_amount=programme.WITH_AMOUNT, study=study, study_form=study_form,
        case_study_chosen=programme.chose_case_study(city),
        study_label=lambda s: programme.CASE_STUDY_LABELS[CaseStudyStatus(s)],
    ), status


@bp.get("/cities/<int:city_id>")
@staff_required(UserRole.SECRETARIAT)
def city(city_id: int):
    return _render(staff_city_or_abort(city_id))


@bp.post("/cities/<int:city_id>/milestones/<kind>")
@staff_required(UserRole.SECRETARIAT)
def record(city_id: int, kind: str):
    city = staff_city_or_abort(city_id)
    step = _kind_or_404(kind)
    form = MilestoneForm()
    try:
        if not form.validate_on_submit():
            raise programme.ProgrammeError(_("The form was incomplete or has expired: "
                                             "check the fields and send it again."))
        amount = programme.parse_amount(form.amount.data) if step in programme.WITH_AMOUNT \
            else None
        programme.record_milestone(
            city.id, step, actor=current_staff_user(), status=form.status.data,
            on=form.occurred_on.data, amount=amount, currency=form.currency.data,
            reference=form.reference.data, note=form.note.data)
    except programme.ProgrammeError as problem:
        form.note.errors = [*form.note.errors, str(problem)]
        return _render(city, forms={kind: form}, status=400)
    flash(_("“%(step)s” is recorded.", step=programme.milestone_label(step)), "success")
    return redirect(url_for("programme.city", city_id=city.id) + f"#step-{step.value}")


@bp.post("/cities/<int:city_id>/milestones/<kind>/clear")
@staff_required(UserRole.SECRETARIAT)
def clear(city_id: int, kind: str):
    city = staff_city_or_abort(city_id)
    step = _kind_or_404(kind)
    if ClearForm().validate_on_submit() and programme.clear_milestone(city.id, step):
        flash(_("“%(step)s” is taken back.", step=programme.milestone_label(step)), "success")
    return redirect(url_for("programme.city", city_id=city.id))


@bp.get("/cities/<int:city_id>/invoice.pdf")
@staff_required(UserRole.SECRETARIAT)
def invoice(city_id: int):
    city = staff_city_or_abort(city_id)
    try:
        content = programme.invoice_pdf(city)
    except programme.ProgrammeError as problem:
        flash(str(problem), "error")
        return redirect(url_for("programme.city", city_id=city.id))
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{filename(city, "invoice", "pdf")}"')
    return response


@bp.post("/cities/<int:city_id>/case-study")
@staff_required(UserRole.SECRETARIAT)
def case_study(city_id: int):
    city = staff_city_or_abort(city_id)
    form = CaseStudyForm()
    try:
        if not form.validate_on_submit():
            raise programme.ProgrammeError(_("The form was incomplete or has expired: "
                                             "check the fields and send it again."))
        programme.save_case_study(
            city.id, actor=current_staff_user(), writer_name=form.writer_name.data,
            writer_email=form.writer_email.data, status=form.status.data,
            due_on=form.due_on.data, link=form.link.data, note=form.note.data)
    except programme.ProgrammeError as problem:
        form.note.errors = [*form.note.errors, str(problem)]
        return _render(city, forms={"case_study": form}, status=400)
    flash(_("The case study is saved."), "success")
    return redirect(url_for("programme.city", city_id=city.id) + "#case-study")


@bp.get("/cities/<int:city_id>/case-study-outline.md")
@staff_required(UserRole.SECRETARIAT)
def outline(city_id: int):
    city = staff_city_or_abort(city_id)
    language = current_language()
    text = programme.case_study_outline(city, language, text_direction(language) == "rtl")
    response = Response(text, mimetype="text/markdown")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{filename(city, "case-study-outline", "md")}"')
    return response
