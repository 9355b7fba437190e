"""A category's review page, marking it complete and reopening it."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    g,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from forms.builder import QUALITY_TIERS
from intake.i18n import current_language
from intake.services import values as value_service
from intake.services.wizard import review as wizard_review
from intake.services.wizard import steps as wizard_steps
from intake.wizard import bp
from intake.wizard.access import (
    actor,
    city_required,
)


# ------------------------------------------------------------------------------ review
@bp.get("/c/<category_id>/review")
@city_required
def review(category_id: str):
    try:
        items = wizard_review.review(g.city.id, category_id)
    except KeyError:
        abort(404)
    return _render_review(category_id, items)


def _render_review(category_id, items, status=200, open_kpis=None):
    category = value_service.catalog().category(category_id)
    return render_template("wizard/review.html", city=g.city, category=category, items=items,
                           lang=current_language(), status=value_service.category_status(
                               g.city.id, category_id),
                           steps=wizard_steps.steps(category_id), open_kpis=open_kpis,
                           tiers=dict(QUALITY_TIERS), form=FlaskForm(),
                           frozen=value_service.is_frozen(g.city.id)), status


@bp.post("/c/<category_id>/complete")
@city_required
def complete(category_id: str):
    try:
        open_kpis = wizard_review.complete_category(g.city.id, category_id, actor=actor())
    except KeyError:
        abort(404)
    if open_kpis:
        return _render_review(category_id, wizard_review.review(g.city.id, category_id),
                              status=422, open_kpis=open_kpis)
    flash(_("The category is marked complete and handed over for scoring."), "success")
    return redirect(url_for("wizard.review", category_id=category_id))


@bp.post("/c/<category_id>/reopen")
@city_required
def reopen(category_id: str):
    try:
        value_service.reopen_category(g.city.id, category_id, actor=actor())
    except KeyError:
        abort(404)
    flash(_("The category is open again for changes."), "success")
    return redirect(url_for("wizard.review", category_id=category_id))
