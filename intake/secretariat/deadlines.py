"""Thin views: the secretariat sets a city's data-collection deadline and the default."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField
from wtforms.validators import DataRequired

from intake.models.user import UserRole
from intake.permissions import staff_city_or_abort, staff_required
from intake.secretariat import bp
from intake.services import reminders


class DeadlineForm(FlaskForm):
    due_on = DateField(validators=[DataRequired()])


class DefaultDaysForm(FlaskForm):
    days = IntegerField(validators=[DataRequired()])


@bp.app_template_global("collection_deadline_forms")
def collection_deadline_forms(city_id: int) -> dict:
    """What the city page's deadline card shows."""
    return {"deadline": reminders.deadline(city_id),
            "default_days": reminders.default_collection_days(),
            "deadline_form": DeadlineForm(formdata=None, due_on=reminders.deadline(city_id)),
            "days_form": DefaultDaysForm(formdata=None,
                                         days=reminders.default_collection_days())}


@bp.post("/cities/<int:city_id>/deadline")
@staff_required(UserRole.SECRETARIAT)
def set_deadline(city_id: int):
    city = staff_city_or_abort(city_id)
    form = DeadlineForm()
    if form.validate_on_submit():
        reminders.set_deadline(city.id, form.due_on.data)
        flash(_("The data-collection deadline is now %(date)s.",
                date=form.due_on.data.isoformat()), "success")
    else:
        flash(_("Give the deadline as a date."), "error")
    return redirect(url_for("secretariat.city_page", city_id=city.id) + "#deadline-title")


@bp.post("/cities/<int:city_id>/default-deadline")
@staff_required(UserRole.SECRETARIAT)
def set_default_days(city_id: int):
    city = staff_city_or_abort(city_id)
    form = DefaultDaysForm()
    try:
        if not form.validate_on_submit():
            raise reminders.DeadlineError(_("Give a number of days between 7 and 730."))
        reminders.set_default_collection_days(form.days.data)
    except reminders.DeadlineError as error:
        flash(str(error), "error")
    else:
        flash(_("New cities get %(num)s days to collect their data.", num=form.days.data),
              "success")
    return redirect(url_for("secretariat.city_page", city_id=city.id) + "#deadline-title")
