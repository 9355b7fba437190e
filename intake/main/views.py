"""Thin views for the public entry pages."""

from __future__ import annotations

from functools import lru_cache

from flask import jsonify, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from intake.i18n import LANGUAGE_COOKIE, LANGUAGES, current_language
from intake.main import bp
from intake.services.fees_table import case_study_fee, fee_table
from intake.services.health import report_for


class ResumeForm(FlaskForm):
    link = StringField(_l("Your link"), validators=[DataRequired(), Length(max=2000)])


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
def resume():
    form = ResumeForm()
    if form.validate_on_submit():
        target = _local_path_from_link(form.link.data)
        if target:
            return redirect(target)
        form.link.errors.append(
            _l("This does not look like a link from the portal. Copy the whole link from "
               "the e-mail we sent you, starting with http.")
        )
    return render_template("main/resume.html", form=form)


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
    target = request.args.get("next") or url_for("main.home")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.home")
    response = redirect(target)
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
