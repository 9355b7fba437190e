"""Thin views: the city reads the verifier's questions, answers them, downloads its report."""

from __future__ import annotations

from functools import wraps

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from intake.i18n import current_language, text_direction
from intake.models.city import City
from intake.permissions import current_city
from intake.questions import bp
from intake.services import reports
from intake.services import verification as service
from intake.services.verification import MAX_TEXT
from intake.verification.views import no_certificate, pdf_response
from intake.wizard.helpers import render_message


class AnswerForm(FlaskForm):
    text = TextAreaField(validators=[Length(max=MAX_TEXT)])
    new_value = StringField(validators=[Length(max=200)])


def _signed_in_city() -> City | None:
    return current_city()


def city_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        city = _signed_in_city()
        if city is None:
            return render_template("wizard/no_session.html"), 401
        g.city = city
        return view(*args, **kwargs)

    return wrapper


@bp.context_processor
def _helpers() -> dict:
    return {"render_message": render_message,
            "target_label": lambda q: service.target_label(q, current_language())}


def _page(*, failed: dict | None = None, status: int = 200):
    return render_template("questions/list.html", city=g.city,
                           questions=service.questions(g.city.id),
                           open_questions=service.open_count(g.city.id), failed=failed or {},
                           certified=reports.has_certificate(g.city)), status


@bp.get("/")
@city_required
def index():
    return _page()


@bp.post("/<int:question_id>/answer")
@city_required
def answer(question_id: int):
    if service.get_question(question_id, city_id=g.city.id) is None:
        abort(404)
    form = AnswerForm()
    typed = {"text": request.form.get("text", "")[:MAX_TEXT],
             "new_value": request.form.get("new_value", "")[:200]}
    if not form.validate_on_submit():
        errors = [e for field in (form.text, form.new_value) for e in field.errors] or [
            _("This page had expired. Your answer is still below: send it again.")]
        return _page(failed={question_id: {**typed, "errors": errors}}, status=400)
    try:
        result = service.answer_question(
            question_id, form.text.data or "", city_id=g.city.id,
            new_value=form.new_value.data or None, locale=current_language(),
            author_name=g.city.focal_point_name or g.city.name,
            # The audit trail names the person, as the wizard does for the focal point.
            actor=f"{g.city.focal_point_name or g.city.name} (focal point)")
    except service.ValueRefused as refused:
        errors = [render_message(m) for m in refused.messages] or [
            _("Give the corrected value, or leave the field empty.")]
        return _page(failed={question_id: {**typed, "errors": errors, "value_error": True}},
                     status=400)
    except service.VerificationError as problem:
        return _page(failed={question_id: {**typed, "errors": [str(problem)]}}, status=400)
    if result.changed:
        flash(_("Thank you: your answer is sent and the value is updated."), "success")
    else:
        flash(_("Thank you: your answer is sent to the verifier."), "success")
    return redirect(url_for("questions.index") + f"#q-{question_id}")


def _report():
    language = current_language()
    return reports.build_report(g.city, language, text_direction(language) == "rtl")


def _verified_only():
    if not reports.has_certificate(g.city):
        return no_certificate(g.city, url_for("questions.index"))
    return None


@bp.get("/report")
@city_required
def report():
    refused = _verified_only()
    if refused:
        return refused
    return reports.report_html(_report(), staff=False, pdf_url=url_for("questions.report_pdf"),
                               certificate_url=url_for("questions.certificate"))


@bp.get("/report.pdf")
@city_required
def report_pdf():
    refused = _verified_only()
    if refused:
        return refused
    return pdf_response(reports.report_pdf(_report()),
                        reports.filename(g.city, "verification-report", "pdf"))


@bp.get("/certificate.pdf")
@city_required
def certificate():
    refused = _verified_only()
    if refused:
        return refused
    language = current_language()
    return pdf_response(reports.certificate_pdf(g.city, language,
                                                text_direction(language) == "rtl"),
                        reports.filename(g.city, "certificate", "pdf"))


@bp.app_context_processor
def _open_questions() -> dict:
    # The workspace page (another blueprint) shows how many questions wait for an answer.
    return {"open_verifier_questions": service.open_count}
