"""Thin views for the public entry pages."""

from __future__ import annotations

from functools import lru_cache

from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from intake.extensions import limiter
from intake.i18n import LANGUAGE_COOKIE, LANGUAGES, current_language
from intake.main import bp
from intake.redirects import safe_next
from intake.services import onboarding
from intake.services.fees_table import case_study_fee, fee_table
from intake.services.health import report_for


class ResumeForm(FlaskForm):
    link = StringField(_l("Your link"), validators=[DataRequired(), Length(max=2000)])


class ResumeByEmailForm(FlaskForm):
    email = EmailField(_l("Your e-mail address"), validators=[
        DataRequired(_l("Type the e-mail address you gave when registering your city.")),
        Length(max=320),
        Regexp(r"^\s*[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"'.]{2,}\s*$",
               message=_l("That e-mail address does not look right. Check it and try "
                          "again."))])


class ConfirmEmailForm(FlaskForm):
    """Only the CSRF token: confirming is a POST, so a mail scanner opening the link
    confirms nothing."""


@bp.get("/")
def home():
    if session.get("_flashes"):
        # A message meant for this visitor: render afresh, never from the shared cache.
        return _render_home.__wrapped__(current_language(), request.full_path)
    return _render_home(current_language(), request.full_path)


@lru_cache(maxsize=64)
def _render_home(language: str, full_path: str) -> str:
    # The home page holds no form and nothing personal: the same bytes for every visitor
    # of a language, so it is rendered once per language (and address) per process.
    return render_template("main/home.html", fee_rows=fee_table(),
                           case_study_fee=case_study_fee(), public_page=True)


@bp.route("/resume", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"])
def resume():
    by_email = ResumeByEmailForm(prefix="lost")
    form = ResumeForm(formdata=None if "lost-email" in request.form else request.form or None)
    if "lost-email" in request.form:
        if by_email.validate_on_submit():
            onboarding.resume_by_email(by_email.email.data, base=request.host_url)
            # The same answer whether or not the address is known.
            flash(_("If this address belongs to a city in the programme, we have sent its "
                    "links to it. Check your inbox (and your spam folder) in a few minutes."),
                  "success")
            return redirect(url_for("main.resume"))
        return render_template("main/resume.html", form=form, by_email=by_email), 400
    if form.validate_on_submit():
        target = _local_path_from_link(form.link.data)
        if target:
            return redirect(target)
        form.link.errors.append(
            _l("This does not look like a link from the portal. Copy the whole link from "
               "the e-mail we sent you, starting with http.")
        )
    return render_template("main/resume.html", form=form, by_email=by_email)


@bp.route("/confirm-email/<token>", methods=["GET", "POST"])
@limiter.limit("30/hour", methods=["POST"])
def confirm_email(token: str):
    city = onboarding.city_from_confirmation(token)
    if city is None:
        return render_template("main/confirm_email.html", city=None, form=None), 404
    form = ConfirmEmailForm()
    if form.validate_on_submit():
        onboarding.confirm_email(city, base=request.host_url)
        return render_template("main/confirm_email.html", city=city, form=None,
                               confirmed=True)
    return render_template("main/confirm_email.html", city=city, form=form,
                           confirmed=city.email_confirmed_at is not None)


def _local_path_from_link(link: str) -> str | None:
    """Keep only the path of a pasted portal link, so it can never redirect elsewhere."""
    from urllib.parse import urlsplit

    parts = urlsplit(link.strip())
    path = parts.path or ""
    if not path.startswith("/") or path.startswith("//"):
        return None
    known = request.host_url.rstrip("/")
    if parts.netloc and parts.netloc != urlsplit(known).netloc and not path.startswith(
        ("/w/", "/resume/", "/assistant", "/workspace")
    ):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


@bp.get("/language/<code>")
def choose_language(code: str):
    """Remember the visitor's language; a preference cookie, no data changes."""
    response = redirect(safe_next(request.args.get("next"), url_for("main.home")))
    if code in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True)
    return response


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers. 200 even while degraded (Redis or the database down),
    so a load balancer or supervisor never drops or restarts every node at once."""
    return jsonify(report_for(request.remote_addr)), 200


@bp.get("/readyz")
def readyz():
    """Readiness: 503 while the database is unreachable (Redis down only degrades: jobs wait
    as pending rows)."""
    report = report_for(request.remote_addr)
    return jsonify(report), (503 if report["status"] == "error" else 200)
