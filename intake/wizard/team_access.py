"""What a colleague's personal link may open in the workspace, and the pages it answers with."""

from __future__ import annotations

from flask import g, render_template, request
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from intake.extensions import db
from intake.i18n import current_language
from intake.models.city import City
from intake.services import team as team_service
from intake.services import values as value_service
from intake.services.wizard.steps import get_step

# Endpoints a colleague may reach, each checked against what is handed to them.
_BY_STEP = {"wizard.step", "wizard.save", "wizard.preview"}
_BY_CATEGORY = {"wizard.category"}
_WHOLE_CATEGORY = {"wizard.review", "wizard.complete", "wizard.reopen"}
_ALWAYS = {"wizard.home", "wizard.evidence", "wizard.missing"}


def colleague_link_headers(response):
    """A colleague's link never leaves in a Referer nor stays in a shared cache."""
    if request.endpoint in ("wizard.colleague_enter", "wizard.stop_reminders") \
            or g.get("member") is not None:
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "private, no-store"
    return response


def member_may(endpoint: str | None, args: dict) -> bool:
    scope = g.scope
    if endpoint in _ALWAYS:
        return True
    category_id = args.get("category_id", "")
    if endpoint in _BY_CATEGORY:
        return scope.opens_category(category_id)
    if endpoint in _WHOLE_CATEGORY:
        return scope.whole(category_id)
    if endpoint in _BY_STEP:
        if not scope.opens_category(category_id):
            return False
        try:
            step = get_step(category_id, args.get("index", -1))
        except KeyError:
            return True  # the view answers 404 for a step that does not exist
        return scope.opens_step(step)
    # The city's own link, workbooks, the team page: never through a colleague's link.
    return False


def not_yours():
    city = g.city
    return render_template("wizard/team_not_yours.html", city=city, member=g.member), 403


def stopped_link(member, state: str):
    """A revoked or replaced link: say what to do, naming the focal point."""
    city = db.session.get(City, member.city_id) if member is not None else None
    return render_template("wizard/team_link_stopped.html", member=member, city=city,
                           state=state), 403


def within_scope(step, submitted):
    """Drop what a colleague posted outside their KPIs (a single-KPI assignment)."""
    scope = g.scope
    if scope.whole(step.category_id):
        return submitted
    allowed = scope.data_points(step)
    submitted.values = {k: v for k, v in submitted.values.items() if k in allowed}
    submitted.provenance = {k: v for k, v in submitted.provenance.items()
                            if scope.opens_kpi(k)}
    return submitted


class MissingFigureForm(FlaskForm):
    kpi_code = SelectField(validators=[DataRequired()], validate_choice=False)
    note = TextAreaField(validators=[Length(max=team_service.MAX_NOTE)])


def missing_choices(member) -> list[tuple[str, str]]:
    lang = current_language()
    cat = value_service.catalog()
    scope = team_service.scope_of(member)
    choices = []
    for kpi in cat.kpis:
        if scope.opens_kpi(kpi.code):
            choices.append((kpi.code, f"{kpi.code} · {kpi.name.get(lang)}"))
    return choices


def member_home(form: MissingFigureForm | None = None, status: int = 200):
    member = g.member
    if form is None:
        form = MissingFigureForm()
    form.kpi_code.choices = missing_choices(member)
    items = team_service.progress(member.city_id, list(member.assignments))
    focal_point = g.city.focal_point_name or g.city.name
    return render_template("wizard/team_member_home.html", city=g.city, member=member,
                           items=items, form=form, lang=current_language(),
                           tasks=team_service.member_tasks(member),
                           focal_point=focal_point), status
