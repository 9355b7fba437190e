"""Thin views of the staff workspace."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext

from intake.extensions import db
from intake.i18n import LANGUAGES, current_language
from intake.models.api_token import ApiToken
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
from intake.secretariat.forms import (
    AssignForm,
    BulkForm,
    ConfirmForm,
    MoveForm,
    ReopenVerificationForm,
    TokenForm,
)
from intake.services import (
    accounts,
    api_tokens,
    duplicates,
    links,
    onboarding,
    paging,
    pipeline,
    programme,
    signed_letters,
    spam,
    verification,
)
from intake.services.values import FROZEN_STAGES

SEARCH_MAX = 100


def _stage_arg() -> ProgrammeStage | None:
    value = request.args.get("stage", "")
    try:
        return ProgrammeStage(value) if value else None
    except ValueError:
        return None


def city_filters() -> overview.CityFilters:
    """The list's filters from the query string; anything unknown is ignored."""
    verifier = request.args.get("verifier", "")
    country = request.args.get("country", "").strip().upper()
    return overview.CityFilters(
        stage=_stage_arg(), search=request.args.get("q", "").strip()[:SEARCH_MAX],
        country=country if len(country) == 2 and country.isalpha() else None,
        verifier_id=int(verifier) if verifier.isdigit() and len(verifier) < 10 else None,
        overdue_only=request.args.get("overdue") == "1",
        milestone=(request.args.get("milestone") if request.args.get("milestone")
                   in overview.MILESTONE_FILTERS else None))


def sort_args(sorts: dict, default: str) -> tuple[str, bool]:
    sort = request.args.get("sort", default)
    return (sort if sort in sorts else default), request.args.get("dir") == "desc"


@bp.get("/", endpoint="overview")
@staff_required()
def overview_page():
    user = current_staff_user()
    filters = city_filters()
    sort, descending = sort_args(overview.CITY_SORTS, overview.DEFAULT_CITY_SORT)
    page, per_page = paging.clamp(request.args.get("page", 1),
                                  request.args.get("per_page", paging.PER_PAGE))
    found = overview.city_page(user, filters=filters, sort=sort, descending=descending,
                               page=page, per_page=per_page, language=current_language())
    verifiers = accounts.list_users(UserRole.VERIFIER, active_only=True) \
        if can_manage(user) else []
    return render_template(
        "secretariat/overview.html", rows=found.items, page=found, filters=filters,
        stage=filters.stage, search=filters.search, overdue_only=filters.overdue_only,
        sort=sort, descending=descending, counts=overview.stage_counts(user),
        stages=list(ProgrammeStage), stage_label=pipeline.stage_label,
        overdue_days=pipeline.OVERDUE_AFTER_DAYS, verifiers=verifiers,
        bulk_form=BulkForm(formdata=None), can_manage=can_manage(user),
        categories=overview.catalog().categories, milestone_labels=_milestone_labels(),
    )


def _milestone_labels() -> dict[str, str]:
    """The pipeline's milestone columns (keys of overview.MILESTONE_COLUMNS), labelled."""
    from intake.models.programme import MilestoneKind
    from intake.services.programme import milestone_label

    return {"fee_invoiced": milestone_label(MilestoneKind.FEE_INVOICED),
            "fee_paid": milestone_label(MilestoneKind.FEE_PAID),
            "signed_letter": _("Signed letter received"),
            "certificate": milestone_label(MilestoneKind.CERTIFICATE_ISSUED),
            "award": milestone_label(MilestoneKind.AWARD_NOMINATED)}


@bp.post("/bulk")
@staff_required(UserRole.SECRETARIAT)
def bulk_action():
    form = BulkForm()
    back = request.form.get("next") or ""
    target = back if back.startswith("/staff/") and not back.startswith("//") \
        else url_for("secretariat.overview")
    ids = [int(value) for value in request.form.getlist("city_ids")
           if value.isdigit() and len(value) < 10][:paging.MAX_PER_PAGE]
    if not form.validate_on_submit() or not ids:
        flash(_("Select at least one city and an action."), "error")
        return redirect(target)
    user = current_staff_user()
    try:
        outcome = pipeline.bulk_action(ids, form.action.data, actor=user,
                                       to_stage=form.to_stage.data or None,
                                       verifier_id=form.verifier.data or None,
                                       note=form.note.data)
    except pipeline.TransitionError as problem:
        flash(str(problem), "error")
        return redirect(target)
    flash(ngettext("Done for %(num)d city.", "Done for %(num)d cities.", outcome.done),
          "success")
    for name, problem in outcome.refused:
        flash(_("%(city)s: %(problem)s", city=name, problem=problem), "error")
    return redirect(target)


@bp.get("/cities/<int:city_id>")
@staff_required()
def city_page(city_id: int):
    city = staff_city_or_abort(city_id)
    return _render_city(city)


def _render_city(city: City, *, move_form: MoveForm | None = None,
                 assign_form: AssignForm | None = None,
                 reopen_form: ReopenVerificationForm | None = None,
                 new_links: dict[str, str] | None = None, status: int = 200):
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
        programme_steps=programme.timeline(city),
        history=pipeline.history(city.id), move_form=move_form, assign_form=assign_form,
        remove_form=ConfirmForm(formdata=None), verifiers=assigned,
        can_manage=can_manage(user), letters=letters, languages=LANGUAGES,
        overdue_days=pipeline.OVERDUE_AFTER_DAYS, confirm_form=ConfirmForm(formdata=None),
        spam_form=ConfirmForm(formdata=None),
        email_confirmed=onboarding.is_confirmed(city),
        frozen=current in FROZEN_STAGES,
        reopen_form=reopen_form or ReopenVerificationForm(formdata=None),
        new_links=new_links,
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


@bp.post("/cities/<int:city_id>/reopen-verification")
@staff_required(UserRole.SECRETARIAT)
def reopen_verification(city_id: int):
    city = staff_city_or_abort(city_id)
    form = ReopenVerificationForm()
    if not form.validate_on_submit():
        return _render_city(city, reopen_form=form, status=400)
    try:
        verification.reopen_verification(city.id, actor=current_staff_user(),
                                         reason=form.reason.data)
    except verification.VerificationError as problem:
        db.session.refresh(city)
        form.reason.errors = [str(problem)]
        return _render_city(city, reopen_form=form, status=409)
    flash(_("Verification of %(city)s is reopened: its public page and certificate are "
            "withdrawn until it is verified again, and its KPI verdicts are to be checked "
            "again.", city=city.name), "success")
    return redirect(url_for("secretariat.city_page", city_id=city.id))


@bp.post("/cities/<int:city_id>/rotate-link")
@staff_required(UserRole.SECRETARIAT)
def rotate_link(city_id: int):
    city = staff_city_or_abort(city_id)
    if not ConfirmForm().validate_on_submit():
        return _render_city(city, status=400)
    city = links.rotate_city_links(city.id)
    # Shown once, on this answer only: the new links are never stored in clear or e-mailed
    # from here; the secretariat passes them on to the city.
    response = make_response(_render_city(city, new_links={
        "workspace": links.workspace_url(city), "snapshot": links.snapshot_url(city)}))
    response.headers["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------------------ API tokens
def _tokens_page(*, form: TokenForm | None = None, new_token: str | None = None,
                 status: int = 200):
    user = current_staff_user()
    rows = api_tokens.all_tokens() if can_manage(user) else api_tokens.tokens_of(user)
    response = make_response(render_template(
        "secretariat/tokens.html", tokens=rows, form=form or TokenForm(formdata=None),
        revoke_form=ConfirmForm(formdata=None), new_token=new_token,
        show_owner=can_manage(user)), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/tokens")
@staff_required()
def tokens():
    return _tokens_page()


@bp.post("/tokens")
@staff_required()
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _tokens_page(form=form, status=400)
    _row, token = api_tokens.create_token(current_staff_user(), form.name.data)
    # Shown on this answer only: the token is stored as a hash and cannot be shown again.
    return _tokens_page(new_token=token)


@bp.post("/tokens/<int:token_id>/revoke")
@staff_required()
def revoke_token(token_id: int):
    user = current_staff_user()
    # Ids are 32-bit in the database: a larger one is simply not found.
    row = db.session.get(ApiToken, token_id) if token_id < 2**31 else None
    if row is None:
        abort(404)
    if not can_manage(user) and row.user_id != user.id:
        abort(403)
    if ConfirmForm().validate_on_submit():
        if api_tokens.revoke_token(token_id):
            flash(_("The token “%(name)s” is revoked: programs using it are refused from now "
                    "on.", name=row.name), "success")
    else:
        abort(400)
    return redirect(url_for("secretariat.tokens"))


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
    sort, descending = sort_args(overview.LETTER_SORTS, overview.DEFAULT_LETTER_SORT)
    # Newest first unless the list was explicitly sorted the other way.
    descending = request.args.get("dir", "desc") == "desc"
    page, per_page = paging.clamp(request.args.get("page", 1),
                                  request.args.get("per_page", paging.PER_PAGE))
    found = overview.letter_page(search=search, language=language, package=package,
                                 economy=economy, sort=sort, descending=descending, page=page,
                                 per_page=per_page)
    return render_template("secretariat/letters.html", rows=found.items, page=found,
                           search=search, language=language, package=package,
                           economy=economy, languages=LANGUAGES, sort=sort,
                           descending=descending, confirm_form=ConfirmForm(formdata=None))


# ------------------------------------------------------------------------------ first hour
@bp.get("/letters/<int:letter_id>/signed")
@staff_required()
def signed_letter(letter_id: int):
    letter = db.session.get(Letter, letter_id)
    if letter is None:
        abort(404)
    staff_city_or_abort(letter.city_id)
    path = signed_letters.signed_path(letter)
    if path is None or not path.is_file():
        abort(404)
    return send_file(path, mimetype=letter.signed_content_type, as_attachment=True,
                     download_name=letter.signed_name or path.name)


@bp.post("/letters/<int:letter_id>/acknowledge")
@staff_required(UserRole.SECRETARIAT)
def acknowledge_signed_letter(letter_id: int):
    letter = db.session.get(Letter, letter_id)
    if letter is None:
        abort(404)
    city_id = letter.city_id
    if ConfirmForm().validate_on_submit():
        if signed_letters.acknowledge(letter_id, actor=current_staff_user()) is not None:
            flash(_("The signed letter is acknowledged."), "success")
        else:
            flash(_("No signed letter has been received for this letter yet."), "error")
    back = request.form.get("back")
    if back == "letters":
        return redirect(url_for("secretariat.letters"))
    return redirect(url_for("secretariat.city_page", city_id=city_id))


@bp.post("/cities/<int:city_id>/resend-link")
@staff_required(UserRole.SECRETARIAT)
def resend_link(city_id: int):
    city = staff_city_or_abort(city_id)
    if ConfirmForm().validate_on_submit():
        outcome = onboarding.resend(city, base=request.host_url)
        if outcome == "links":
            flash(_("The links were e-mailed again to %(address)s.",
                    address=city.focal_point_email), "success")
        elif outcome == "confirmation":
            flash(_("%(address)s is not confirmed yet, so the confirmation e-mail was sent "
                    "again; the links follow once it is confirmed.",
                    address=city.focal_point_email), "warning")
        else:
            flash(_("This city has no focal point e-mail address."), "error")
    return redirect(url_for("secretariat.city_page", city_id=city.id))


@bp.post("/duplicates/<int:flag_id>/merge", endpoint="merge_duplicate",
         defaults={"action": "merge"})
@bp.post("/duplicates/<int:flag_id>/dismiss", endpoint="dismiss_duplicate",
         defaults={"action": "dismiss"})
@staff_required(UserRole.SECRETARIAT)
def resolve_duplicate(flag_id: int, action: str):
    from intake.models import PossibleDuplicate

    flag = db.session.get(PossibleDuplicate, flag_id)
    if flag is None:
        abort(404)
    city_id = flag.original_id
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("secretariat.city_page", city_id=city_id))
    try:
        if action == "merge":
            kept = duplicates.merge(flag_id, actor=current_staff_user())
            flash(_("The two registrations are merged into %(city)s (the older one); the "
                    "letters moved to it.", city=kept.name), "success")
        else:
            duplicates.dismiss(flag_id, actor=current_staff_user())
            flash(_("Marked as two different cities."), "success")
    except duplicates.DuplicateError as problem:
        flash(str(problem), "error")
    return redirect(url_for("secretariat.city_page", city_id=city_id))
