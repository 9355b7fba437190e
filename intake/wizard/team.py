"""Thin views of the city team: the focal point's team page and a colleague's personal link."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional

from intake.i18n import current_language
from intake.permissions import remember_member
from intake.services import team as team_service
from intake.services import values as value_service
from intake.wizard import bp
from intake.wizard.access import city_required
from intake.wizard.team_access import MissingFigureForm, member_home, stopped_link


@bp.get("/colleague/<token>")
def colleague_enter(token: str):
    member, state = team_service.member_for_token(token)
    if state != "ok":
        if member is None:
            return render_template("wizard/link_error.html", reason="invalid"), 404
        return stopped_link(member, state)
    remember_member(member)
    return redirect(url_for("wizard.home"))


def focal_point_required(view):
    """The team is managed from the city's own link only, never from a colleague's."""

    def wrapper(*args, **kwargs):
        if g.member is not None:
            abort(403)
        return view(*args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return city_required(wrapper)


# ------------------------------------------------------------------------------ colleague
@bp.post("/missing")
@city_required
def missing():
    if g.member is None:
        return redirect(url_for("wizard.team"))
    form = MissingFigureForm()
    if not form.validate_on_submit():
        flash(_("This page had expired, so nothing was done. Please try again."), "warning")
        return member_home(form, status=400)
    try:
        team_service.report_missing(g.member, form.kpi_code.data, form.note.data or "")
    except team_service.TeamError as error:
        form.note.errors = [str(error)]
        return member_home(form, status=400)
    flash(_("Your focal point has been told that you do not have this figure."), "success")
    return redirect(url_for("wizard.home"))


# ------------------------------------------------------------------------------ focal point
class InviteForm(FlaskForm):
    name = StringField(validators=[Length(max=200)])
    email = EmailField(validators=[Length(max=320)])
    department = StringField(validators=[Length(max=200)])
    categories = SelectMultipleField(validate_choice=False)
    kpis = SelectMultipleField(validate_choice=False)
    due_on = DateField(validators=[Optional()])


class AssignForm(FlaskForm):
    target = StringField(validators=[Length(max=130)])
    member = StringField(validators=[Length(max=12)])
    due_on = DateField(validators=[Optional()])


def _page(invite_form: InviteForm | None = None, status: int = 200, error: str | None = None):
    city = g.city
    lang = current_language()
    assignments = team_service.assignments(city.id)
    members = team_service.members(city.id)
    progress = team_service.progress(city.id, assignments)
    by_member = {m.id: [p for p in progress if p.assignment.member_id == m.id] for m in members}
    cat = value_service.catalog()
    return render_template(
        "wizard/team.html", city=city, lang=lang, members=members, by_member=by_member,
        invite_form=invite_form or InviteForm(), action_form=FlaskForm(), error=error,
        dimensions=[(d, [c for c in cat.categories if c.dimension == d.id])
                    for d in cat.dimensions], kpis=cat.kpis, tasks=team_service.open_tasks(city.id),
        kpi_name=lambda code: cat.kpi(code).name.get(lang)), status


@bp.get("/team")
@focal_point_required
def team():
    return _page()


@bp.post("/team/invite")
@focal_point_required
def team_invite():
    form = InviteForm()
    if not form.validate_on_submit():
        message = (form.due_on.errors and _("Give the due date as a date, or leave it empty.")
                   or _("This page had expired, so nothing was done. Please try again."))
        return _page(form, status=400, error=message)
    try:
        member = team_service.invite(
            g.city.id, name=form.name.data or "", email=form.email.data or "",
            department=form.department.data or "", categories=form.categories.data or [],
            kpis=form.kpis.data or [], due_on=form.due_on.data)
    except team_service.TeamError as problem:
        return _page(form, status=400, error=str(problem))
    flash(_("We e-mailed %(name)s a personal link to %(address)s.", name=member.name,
            address=member.email), "success")
    return redirect(url_for("wizard.team"))


def _checked_action() -> bool:
    if not FlaskForm().validate_on_submit():
        flash(_("This page had expired, so nothing was done. Please try again."), "warning")
        return False
    return True


@bp.post("/team/assign")
@focal_point_required
def team_assign():
    form = AssignForm()
    if not form.validate_on_submit():
        flash(_("Give the due date as a date, or leave it empty."), "error")
        return redirect(url_for("wizard.team"))
    category_id, _sep, kpi_code = (form.target.data or "").partition("|")
    member = form.member.data or ""
    try:
        team_service.assign(g.city.id, category_id=category_id, kpi_code=kpi_code,
                            member_id=int(member) if member.isdigit() else None,
                            due_on=form.due_on.data)
    except team_service.TeamError as problem:
        flash(str(problem), "error")
    else:
        if member.isdigit():
            flash(_("Reassigned. What was typed so far is kept."), "success")
        else:
            flash(_("Taken back: you now enter these figures yourself. What was typed so far "
                    "is kept."), "success")
    return redirect(url_for("wizard.team"))


@bp.post("/team/<int:member_id>/revoke")
@focal_point_required
def team_revoke(member_id: int):
    if _checked_action():
        try:
            member = team_service.revoke(g.city.id, member_id)
        except team_service.TeamError as problem:
            flash(str(problem), "error")
        else:
            flash(_("The link of %(name)s no longer works.", name=member.name), "success")
    return redirect(url_for("wizard.team"))


@bp.post("/team/<int:member_id>/fresh-link")
@focal_point_required
def team_fresh_link(member_id: int):
    if _checked_action():
        try:
            member = team_service.fresh_link(g.city.id, member_id)
        except team_service.TeamError as problem:
            flash(str(problem), "error")
        else:
            flash(_("The old link of %(name)s no longer works; a new one is on its way to "
                    "%(address)s.", name=member.name, address=member.email), "success")
    return redirect(url_for("wizard.team"))


@bp.post("/team/tasks/<int:task_id>/resolve")
@focal_point_required
def team_resolve(task_id: int):
    if _checked_action():
        target = request.form.get("reassign", "")
        try:
            team_service.resolve_task(g.city.id, task_id,
                                      reassign_to=int(target) if target.isdigit() else None)
        except team_service.TeamError as problem:
            flash(str(problem), "error")
        else:
            flash(_("The task is closed."), "success")
    return redirect(url_for("wizard.team"))


# ------------------------------------------------------------------------------ reminders
@bp.route("/reminders/stop/<token>", methods=["GET", "POST"])
def stop_reminders(token: str):
    """One click from an e-mail: a GET only asks, the confirming POST (with CSRF) stops."""
    from intake.services import reminders

    address = reminders.address_from_stop_token(token)
    if address is None:
        return render_template("wizard/link_error.html", reason="invalid"), 404
    form = FlaskForm()
    done = False
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        reminders.stop_reminders(address)
        done = True
    return render_template("wizard/reminders_stop.html", form=form, address=address,
                           done=done or reminders.stopped(address))
