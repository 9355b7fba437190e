"""Thin views: the city's factsheet, initiatives, peers, consent, new year; staff advice."""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.utils import secure_filename
from wtforms.fields.choices import SelectChoice

from intake.gains import bp
from intake.gains.forms import (
    STATUS_LABELS,
    ConfirmForm,
    ConsentForm,
    InitiativeForm,
    NewYearForm,
    RecommendationForm,
    UnpublishForm,
)
from intake.i18n import current_language, normalise_language, text_direction
from intake.models.city import City, ProgrammeStage
from intake.permissions import staff_city_or_abort, staff_required
from intake.services import factsheet as factsheet_service
from intake.services import gains as gains_service
from intake.services import improvement as improvement_service
from intake.services import publication as publication_service
from intake.services import reference_years as reference_years_service
from intake.services.pipeline import TransitionError
from intake.wizard.access import city_required


def _actor() -> str:
    city = g.city
    return f"city {city.id} link ({city.focal_point_email or 'no e-mail'})"


def _category_labels() -> list[tuple[str, str]]:
    language = current_language()
    return [(c.id, c.name.get(language)) for c in gains_service.catalog().categories]


def _category_choices() -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in _category_labels()]


def _sheet(city: City, *, with_peers: bool = True):
    language = current_language()
    return factsheet_service.build_factsheet(city, language, text_direction(language) == "rtl",
                                             with_peers=with_peers)


def _pdf_response(city: City) -> Response:
    """The PDF is in the city's language unless the address asks for another (?lang=)."""
    language = normalise_language(request.args.get("lang")) or normalise_language(
        city.locale) or current_language()
    with force_locale(language):
        sheet = factsheet_service.build_factsheet(city, language,
                                                  text_direction(language) == "rtl")
        body = factsheet_service.pdf_bytes(sheet)
    response = Response(body, mimetype="application/pdf")
    stem = secure_filename(sheet.city.name).lower() or "city"
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}-factsheet.pdf"'
    return response


@bp.app_template_global()
def previous_year_values(city_id: int) -> dict:
    """Last reference year's figures for the wizard's fields (read once per request)."""
    cache = request.environ.setdefault("intake.previous_year_values", {})
    if city_id not in cache:
        cache[city_id] = reference_years_service.previous_year_values(city_id)
    return cache[city_id]


@bp.app_template_global()
def initiative_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


# ------------------------------------------------------------------------------ the city
@bp.get("/w/factsheet")
@city_required
def factsheet():
    return render_template("gains/factsheet.html", sheet=_sheet(g.city), staff=False,
                           pdf_url=url_for("gains.factsheet_pdf"))


@bp.get("/w/factsheet.pdf")
@city_required
def factsheet_pdf():
    return _pdf_response(g.city)


@bp.get("/w/peers")
@city_required
def peers():
    return render_template("gains/peers.html", sheet=_sheet(g.city))


@bp.route("/w/initiatives", methods=["GET", "POST"])
@city_required
def initiatives():
    form = InitiativeForm()
    form.category_id.choices = _category_choices()
    if request.method == "GET" and request.args.get("category"):
        form.category_id.data = request.args["category"]
    return _save_or_show_initiative(form, editing=None)


@bp.route("/w/initiatives/<int:initiative_id>", methods=["GET", "POST"])
@city_required
def edit_initiative(initiative_id: int):
    initiative = improvement_service.get_initiative(g.city.id, initiative_id)
    if initiative is None:
        abort(404)
    form = InitiativeForm(obj=initiative)
    form.category_id.choices = _category_choices()
    return _save_or_show_initiative(form, editing=initiative)


def _save_or_show_initiative(form: InitiativeForm, *, editing):
    """Save a new or edited initiative, or show the form again with its messages (422)."""
    if form.validate_on_submit():
        try:
            improvement_service.save_initiative(
                g.city.id, initiative_id=editing.id if editing is not None else None,
                category_id=form.category_id.data, title=form.title.data,
                description=form.description.data or "", status=form.status.data,
                link=form.link.data)
        except gains_service.GainsError as error:
            flash(str(error), "error")
        else:
            flash(_("The initiative was saved."), "success")
            return redirect(url_for("gains.initiatives"))
    status = 422 if form.errors else 200
    return render_template("gains/initiatives.html", form=form, editing=editing,
                           items=improvement_service.initiatives_of(g.city.id),
                           categories=dict(_category_labels()),
                           delete_form=ConfirmForm()), status


@bp.post("/w/initiatives/<int:initiative_id>/delete")
@city_required
def delete_initiative(initiative_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if improvement_service.delete_initiative(g.city.id, initiative_id):
        flash(_("The initiative was deleted."), "success")
    else:
        flash(_("This initiative does not exist (any more)."), "warning")
    return redirect(url_for("gains.initiatives"))


@bp.route("/w/consent", methods=["GET", "POST"])
@city_required
def consent():
    form = ConsentForm()
    if form.validate_on_submit():
        try:
            publication_service.give_consent(g.city.id, actor=_actor(),
                                       include_initiatives=form.include_initiatives.data)
        except gains_service.GainsError as error:
            flash(str(error), "error")
        else:
            flash(_("Thank you: the secretariat can now publish your city's results."),
                  "success")
            return redirect(url_for("gains.consent"))
    current = publication_service.consent_of(g.city.id)
    status = 422 if form.errors else 200
    return render_template("gains/consent.html", form=form, consent=current,
                           revoke_form=ConfirmForm(), city=g.city,
                           verified=ProgrammeStage(g.city.stage) in gains_service.VERIFIED_STAGES
                           ), status


@bp.post("/w/consent/revoke")
@city_required
def revoke_consent():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        revoked = publication_service.revoke_consent(g.city.id, actor=_actor())
    except TransitionError as error:
        flash(str(error), "error")
    else:
        if revoked:
            flash(_("Consent revoked: your city is no longer on the public pages."), "success")
    return redirect(url_for("gains.consent"))


@bp.route("/w/new-year", methods=["GET", "POST"])
@city_required
def new_year():
    form = NewYearForm()
    if form.validate_on_submit():
        try:
            closed = reference_years_service.start_new_reference_year(
                g.city.id, form.year.data, actor=_actor(),
                carry_evidence=form.carry_evidence.data)
        except gains_service.GainsError as error:
            flash(str(error), "error")
        else:
            flash(_("Reference year %(year)s has started. Last year's figures (%(closed)s) "
                    "are shown beside each field.", year=str(form.year.data),
                    closed=str(closed)), "success")
            return redirect(url_for("wizard.home"))
    status = 422 if form.errors else 200
    return render_template("gains/new_year.html", form=form,
                           years=reference_years_service.history_years(g.city.id)), status


# ---------------------------------------------------------------------------- the staff
def _staff_page(city: City, form: RecommendationForm | None = None, status: int = 200):
    form = form or RecommendationForm()
    form.category_id.choices = _category_choices()
    return render_template(
        "gains/staff.html", city=city, form=form, confirm_form=ConfirmForm(),
        unpublish_form=UnpublishForm(),
        recommendations=improvement_service.recommendations_by_category(city.id),
        categories=_category_labels(), consent=publication_service.consent_of(city.id),
        stage=ProgrammeStage(city.stage)), status


@bp.route("/staff/gains/<int:city_id>", methods=["GET", "POST"])
@staff_required("secretariat")
def staff(city_id: int):
    city = staff_city_or_abort(city_id)
    form = RecommendationForm()
    form.category_id.choices = _category_choices()
    if form.validate_on_submit():
        raw_id = form.recommendation_id.data
        try:
            improvement_service.save_recommendation(
                city.id, category_id=form.category_id.data, text=form.text.data,
                author=current_user.display_name,
                recommendation_id=int(raw_id) if raw_id and raw_id.isdigit() else None)
        except gains_service.GainsError as error:
            flash(str(error), "error")
        else:
            flash(_("The recommendation was saved."), "success")
            return redirect(url_for("gains.staff", city_id=city.id))
    return _staff_page(city, form, 422 if form.errors else 200)


@bp.post("/staff/gains/<int:city_id>/generate")
@staff_required("secretariat")
def staff_generate(city_id: int):
    city = staff_city_or_abort(city_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = improvement_service.generate_draft(city.id, author=current_user.display_name)
    flash(_("%(num)s draft recommendations were written; edit them before the city sees "
            "the factsheet.", num=count), "success")
    return redirect(url_for("gains.staff", city_id=city.id))


@bp.post("/staff/gains/<int:city_id>/recommendations/<int:recommendation_id>/delete")
@staff_required("secretariat")
def staff_delete_recommendation(city_id: int, recommendation_id: int):
    city = staff_city_or_abort(city_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if improvement_service.delete_recommendation(city.id, recommendation_id):
        flash(_("The recommendation was deleted."), "success")
    return redirect(url_for("gains.staff", city_id=city.id))


@bp.post("/staff/gains/<int:city_id>/publish")
@staff_required("secretariat")
def staff_publish(city_id: int):
    city = staff_city_or_abort(city_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        publication_service.publish_city(city.id, actor=current_user)
    except (gains_service.GainsError, TransitionError) as error:
        flash(str(error), "error")
    else:
        flash(_("%(city)s is now on the public pages.", city=city.name), "success")
    return redirect(url_for("gains.staff", city_id=city.id))


@bp.post("/staff/gains/<int:city_id>/unpublish")
@staff_required("secretariat")
def staff_unpublish(city_id: int):
    city = staff_city_or_abort(city_id)
    form = UnpublishForm()
    if not form.validate_on_submit():
        flash(_("Say why the city is taken off the public pages; the focal point receives "
                "the note."), "error")
        return redirect(url_for("gains.staff", city_id=city.id))
    try:
        publication_service.unpublish_city(city.id, actor=current_user, note=form.note.data)
    except TransitionError as error:
        flash(str(error), "error")
    else:
        flash(_("%(city)s was taken off the public pages.", city=city.name), "success")
    return redirect(url_for("gains.staff", city_id=city.id))


@bp.get("/staff/gains/<int:city_id>/factsheet")
@staff_required("secretariat")
def staff_factsheet(city_id: int):
    city = staff_city_or_abort(city_id)
    return render_template("gains/factsheet.html", sheet=_sheet(city), staff=True,
                           pdf_url=url_for("gains.staff_factsheet_pdf", city_id=city.id))


@bp.get("/staff/gains/<int:city_id>/factsheet.pdf")
@staff_required("secretariat")
def staff_factsheet_pdf(city_id: int):
    return _pdf_response(staff_city_or_abort(city_id))
