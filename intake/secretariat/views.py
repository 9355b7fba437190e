"""Thin views of the staff workspace."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from intake.extensions import db
from intake.i18n import LANGUAGES, current_language
from intake.models.city import City, ProgrammeStage
from intake.models.letter import Letter
from intake.models.user import UserRole
from intake.permissions import (
    can_manage,
    can_move_city,
    current_staff_user,
    staff_city_or_abort,
    staff_required,
)
from intake.secretariat import bp, overview
from intake.secretariat.forms import AssignForm, ConfirmForm, MoveForm
from intake.services import accounts, pipeline, spam

SEARCH_MAX = 100


def _stage_arg() -> ProgrammeStage | None:
    value = request.args.get("stage", "")
    try:
        return ProgrammeStage(value) if value else None
    except ValueError:
        return None


@bp.get("/", endpoint="overview")
@staff_required()
def overview_page():
    stage = _stage_arg()
    search = request.args.get("q", "").strip()[:SEARCH_MAX]
    overdue_only = request.args.get("overdue") == "1"
    rows = overview.city_rows(current_staff_user(), stage=stage, search=search,
                              overdue_only=overdue_only, language=current_language())
    return render_template(
        "secretariat/overview.html", rows=rows, stage=stage, search=search,
        overdue_only=overdue_only, counts=overview.stage_counts(current_staff_user()),
        stages=list(ProgrammeStage), stage_label=pipeline.stage_label,
        overdue_days=pipeline.OVERDUE_AFTER_DAYS,
        categories=overview.catalog().categories,
    )


@bp.get("/cities/<int:city_id>")
@staff_required()
def city_page(city_id: int):
    city = staff_city_or_abort(city_id)
    return _render_city(city)


def _render_city(city: City, *, move_form: MoveForm | None = None,
                 assign_form: AssignForm | None = None, status: int = 200):
    user = current_staff_user()
    current = ProgrammeStage(city.stage)
    forward = pipeline.next_stage(current)
    back = pipeline.previous_stage(current)
    row = overview.city_row(city, language=current_language())
    if move_form is None:
        move_form = MoveForm(formdata=None, expected_stage=current.value)
    if assign_form is None:
        assign_form = AssignForm(formdata=None)
    assigned = pipeline.verifiers_of(city.id)
    assigned_ids = {v.id for v in assigned}
    assign_form.verifier.choices = [
        (v.id, f"{v.display_name} <{v.email}>")
        for v in accounts.list_users(UserRole.VERIFIER, active_only=True)
        if v.id not in assigned_ids
    ]
    letters = db.session.execute(
        db.select(Letter).where(Letter.city_id == city.id).order_by(Letter.created_at.desc())
    ).scalars().all()
    return render_template(
        "secretariat/city.html", city=city, row=row, current=current,
        stages=list(ProgrammeStage), stage_label=pipeline.stage_label,
        forward=forward if forward and can_move_city(user, city.id, current, forward) else None,
        back=back if back and can_move_city(user, city.id, current, back) else None,
        history=pipeline.history(city.id), move_form=move_form, assign_form=assign_form,
        remove_form=ConfirmForm(formdata=None), verifiers=assigned,
        can_manage=can_manage(user), letters=letters, languages=LANGUAGES,
        overdue_days=pipeline.OVERDUE_AFTER_DAYS, spam_form=ConfirmForm(formdata=None),
    ), status


@bp.post("/cities/<int:city_id>/stage")
@staff_required()
def move_city(city_id: int):
    city = staff_city_or_abort(city_id)
    form = MoveForm()
    if not form.validate_on_submit():
        flash(_("The step could not be changed: the form was incomplete."), "error")
        return _render_city(city, move_form=form, status=400)
    user = current_staff_user()
    try:
        target = pipeline.parse_stage(form.to_stage.data)
        if not can_move_city(user, city.id, ProgrammeStage(city.stage), target):
            abort(403)
        pipeline.move_city(city.id, target, actor=user, note=form.note.data,
                           expected_stage=form.expected_stage.data)
    except pipeline.TransitionError as problem:
        db.session.refresh(city)
        form.note.errors = [str(problem)]
        return _render_city(city, move_form=form, status=409)
    flash(_("%(city)s is now at the step “%(stage)s”. The focal point is informed by e-mail.",
            city=city.name, stage=pipeline.stage_label(target)), "success")
    return redirect(url_for("secretariat.city_page", city_id=city.id))


@bp.post("/cities/<int:city_id>/reject-spam")
@staff_required(UserRole.SECRETARIAT)
def reject_spam(city_id: int):
    city = staff_city_or_abort(city_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    name = city.name
    spam.reject_as_spam(city.id, actor=current_staff_user())
    flash(_("%(city)s was rejected as spam: its letter, links and pending e-mails are "
            "removed.", city=name), "success")
    return redirect(url_for("secretariat.overview"))


@bp.post("/cities/<int:city_id>/verifiers")
@staff_required(UserRole.SECRETARIAT)
def assign_verifier(city_id: int):
    city = staff_city_or_abort(city_id)
    form = AssignForm()
    assigned_ids = {v.id for v in pipeline.verifiers_of(city.id)}
    form.verifier.choices = [(v.id, v.email) for v in
                             accounts.list_users(UserRole.VERIFIER, active_only=True)
                             if v.id not in assigned_ids]
    if not form.validate_on_submit():
        return _render_city(city, assign_form=form, status=400)
    try:
        pipeline.assign_verifier(city.id, form.verifier.data, actor=current_staff_user())
    except pipeline.TransitionError as problem:
        form.verifier.errors = [str(problem)]
        return _render_city(city, assign_form=form, status=400)
    flash(_("The verifier is assigned and informed by e-mail."), "success")
    return redirect(url_for("secretariat.city_page", city_id=city.id))


@bp.post("/cities/<int:city_id>/verifiers/<int:user_id>/remove")
@staff_required(UserRole.SECRETARIAT)
def remove_verifier(city_id: int, user_id: int):
    city = staff_city_or_abort(city_id)
    if ConfirmForm().validate_on_submit() and pipeline.unassign_verifier(city.id, user_id):
        flash(_("The verifier no longer has access to this city."), "success")
    return redirect(url_for("secretariat.city_page", city_id=city.id))


@bp.get("/letters")
@staff_required(UserRole.SECRETARIAT)
def letters():
    search = request.args.get("q", "").strip()[:SEARCH_MAX]
    language = request.args.get("language") if request.args.get("language") in LANGUAGES \
        else None
    package = request.args.get("package") if request.args.get("package") in (
        "verification", "case_study") else None
    economy = request.args.get("economy") if request.args.get("economy") in (
        "developed", "developing") else None
    rows = overview.letter_rows(search=search, language=language, package=package,
                                economy=economy)
    return render_template("secretariat/letters.html", rows=rows, search=search,
                           language=language, package=package, economy=economy,
                           languages=LANGUAGES)
