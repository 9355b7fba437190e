"""Thin views: find the city (its own session or a read-only snapshot link), render it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _

from intake.cache import RenderedPages
from intake.extensions import db
from intake.i18n import current_language, text_direction
from intake.models import City
from intake.permissions import current_city
from intake.services.links import (
    LinkError,
    city_from_snapshot_token,
    snapshot_claims,
    snapshot_key_matches,
)
from intake.services.scoring import retry_scoring_job
from intake.snapshot import bp
from intake.snapshot.cache import snapshot_state
from intake.snapshot.data import build_snapshot
from intake.snapshot.render import render_pdf, render_svg


def _claims(token: str) -> tuple[int, str]:
    try:
        return snapshot_claims(token)
    except LinkError as error:
        abort(410 if error.reason == "expired" else 404)


def _city(token: str | None) -> City:
    if token is not None:
        try:
            return city_from_snapshot_token(token)
        except LinkError as error:
            abort(410 if error.reason == "expired" else 404)
    city = current_city()  # opened by the workspace link (/w/<token>)
    if city is None:
        abort(403)
    return city


def _snapshot(token: str | None):
    language = current_language()
    return build_snapshot(_city(token), language, text_direction(language) == "rtl")


def _links(token: str | None) -> dict[str, str]:
    if token is None:
        return {"svg": url_for("snapshot.wheel_svg"), "pdf": url_for("snapshot.pdf"),
                "page": url_for("snapshot.page")}
    return {"svg": url_for("snapshot.token_wheel_svg", token=token),
            "pdf": url_for("snapshot.token_pdf", token=token),
            "page": url_for("snapshot.token_page", token=token)}


_rendered_pages = RenderedPages()


def _page(token: str | None):
    city = None
    if token is not None:
        # The link is checked against the access key read with the fingerprint: a page kept
        # in memory is sent without loading the city.
        city_id, link_key = _claims(token)
    else:
        city = _city(None)
        city_id = city.id
    state = snapshot_state(city_id)
    if token is not None and not snapshot_key_matches(state.access_key, link_key):
        abort(404)
    language = current_language()
    key = (city_id, language, token, state.fingerprint)
    personal = bool(session.get("_flashes"))
    if not personal:
        page = _rendered_pages.get(key)
        if page is not None:
            return page
    city = city or db.session.get(City, city_id)
    if city is None:  # removed since the query above
        abort(404)
    snapshot = build_snapshot(city, language, text_direction(language) == "rtl")
    # A failed job shows a Retry form with this visitor's CSRF token: never shared.
    personal = personal or any(job.state == "failed" for _category, job in snapshot.jobs)
    page = render_template("snapshot/page.html", snapshot=snapshot, links=_links(token),
                           token=token, public_page=not personal)
    if not personal:
        _rendered_pages.put(key, page)
    return page


def _svg(token: str | None):
    snapshot = _snapshot(token)
    return render_svg(snapshot)


def _pdf(token: str | None):
    city = _city(token)
    language = current_language()
    snapshot = build_snapshot(city, language, text_direction(language) == "rtl")
    return render_pdf(snapshot, key=(city.id, language, snapshot_state(city.id).fingerprint))


def _retry(token: str | None, job_id: str):
    city = _city(token)
    if retry_scoring_job(city.id, job_id):
        flash(_("Scoring was started again."), "success")
    else:
        flash(_("This scoring job cannot be retried: it is not one of yours or it has "
                "not failed."), "warning")
    target = _links(token)["page"]
    return redirect(target + "#scoring-jobs")


@bp.get("/")
def page():
    return _page(None)


@bp.get("/wheel.svg")
def wheel_svg():
    return _svg(None)


@bp.get("/snapshot.pdf")
def pdf():
    return _pdf(None)


@bp.post("/retry/<job_id>")
def retry(job_id: str):
    return _retry(None, job_id)


@bp.get("/<token>")
def token_page(token: str):
    return _page(token)


@bp.get("/<token>/wheel.svg")
def token_wheel_svg(token: str):
    return _svg(token)


@bp.get("/<token>/snapshot.pdf")
def token_pdf(token: str):
    return _pdf(token)


@bp.post("/<token>/retry/<job_id>")
def token_retry(token: str, job_id: str):
    return _retry(token, job_id)


@bp.context_processor
def quality_labels():
    from forms.builder import QUALITY_TIERS

    return {"quality_labels": {tier: _(label) for tier, label in QUALITY_TIERS}}
