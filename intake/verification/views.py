"""Thin views of the staff verification pages."""

from __future__ import annotations

import re

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from forms.builder import QUALITY_TIERS
from intake.i18n import current_language, text_direction
from intake.models.city import City
from intake.models.submission import COMPLETE
from intake.permissions import (
    current_staff_user,
    staff_city_or_abort,
    staff_required,
)
from intake.services import datapoint_checks, reports
from intake.services import evidence as evidence_service
from intake.services import values as value_service
from intake.services import verification as service
from intake.services.origins import label as origin_label
from intake.services.wizard import review as wizard_review
from intake.services.wizard.steps import data_point_labels
from intake.verification import bp
from intake.verification.forms import (
    ConfirmForm,
    DataPointCheckForm,
    MarkForm,
    QuestionForm,
    ReplyForm,
)
from intake.wizard.helpers import render_message


def _lang() -> str:
    return current_language()


def anchor(code: str) -> str:
    """An HTML id for a KPI code or data point id ("EC: ICT: ICT: 1C" → "EC-ICT-ICT-1C")."""
    return re.sub(r"[^A-Za-z0-9_]+", "-", code).strip("-")


@bp.context_processor
def _helpers() -> dict:
    return {"quality_labels": {tier: _(label) for tier, label in QUALITY_TIERS},
            "render_message": render_message, "anchor": anchor,
            "origin_label": origin_label,
            "target_label": lambda q: service.target_label(q, _lang())}


# ------------------------------------------------------------------------------ city home
@bp.get("/<int:city_id>/")
@staff_required()
def city(city_id: int):
    city = staff_city_or_abort(city_id)
    cat = value_service.catalog()
    states = value_service.category_states(city.id)
    marks = service.verdicts(city.id)
    rows = []
    for category in cat.categories:
        codes = [k.code for k in cat.kpis_in(category.id)]
        state = states.get(category.id)
        rows.append({"category": category,
                     "status": state.status if state else value_service.NOT_STARTED,
                     "total": len(codes),
                     "verified": sum(1 for c in codes if c in marks
                                     and marks[c].status == "verified"),
                     "not_verified": sum(1 for c in codes if c in marks
                                         and marks[c].status == "not_verified")})
    return render_template("verification/city.html", city=city, rows=rows, lang=_lang(),
                           open_questions=service.open_count(city.id),
                           certified=reports.has_certificate(city))


# ------------------------------------------------------------------------------ review
def _review_page(city: City, category_id: str, *, question_form: QuestionForm | None = None,
                 mark_errors: dict | None = None, dp_errors: dict | None = None,
                 status: int = 200):
    cat = value_service.catalog()
    try:
        category = cat.category(category_id)
    except KeyError:
        abort(404)
    items = wizard_review.review(city.id, category.id)
    threads: dict[str, list] = {}
    for question in service.questions(city.id):
        threads.setdefault(question.kpi_code or "", []).append(question)
    return render_template(
        "verification/review.html", city=city, category=category, items=items,
        submitted=value_service.category_status(city.id, category.id) == COMPLETE,
        marks=service.verdicts(city.id), threads=threads, lang=_lang(),
        question_form=question_form, mark_errors=mark_errors or {},
        dp_states=datapoint_checks.states(city.id), dp_form=DataPointCheckForm(formdata=None),
        dp_errors=dp_errors or {},
    ), status


@bp.get("/<int:city_id>/c/<category_id>")
@staff_required()
def review(city_id: int, category_id: str):
    return _review_page(staff_city_or_abort(city_id), category_id)


@bp.post("/<int:city_id>/kpi/<kpi_code>")
@staff_required()
def mark(city_id: int, kpi_code: str):
    city = staff_city_or_abort(city_id)
    form = MarkForm()
    try:
        kpi = value_service.catalog().kpi(kpi_code)
    except KeyError:
        abort(404)
    if not form.validate_on_submit():
        errors = [e for field in (form.status, form.note) for e in field.errors] or [
            _("The form had expired. Please try again.")]
        return _review_page(city, kpi.category, mark_errors={kpi.code: errors}, status=400)
    try:
        service.mark_kpi(city.id, kpi.code, form.status.data, actor=current_staff_user(),
                         note=form.note.data)
    except service.VerificationError as problem:
        return _review_page(city, kpi.category, mark_errors={kpi.code: [str(problem)]},
                            status=409)
    flash(_("%(code)s is marked “%(status)s”.", code=kpi.code,
            status=_("verified") if form.status.data == "verified" else _("not verified")),
          "success")
    return redirect(url_for("verification.review", city_id=city.id, category_id=kpi.category)
                    + f"#kpi-{anchor(kpi.code)}")


@bp.get("/<int:city_id>/evidence/<int:file_id>")
@staff_required()
def evidence(city_id: int, file_id: int):
    city = staff_city_or_abort(city_id)
    record = evidence_service.get_evidence(city.id, file_id)
    if record is None or not evidence_service.evidence_path(record).is_file():
        abort(404)
    return send_file(evidence_service.evidence_path(record), mimetype=record.content_type,
                     as_attachment=True, download_name=record.original_name)


# ------------------------------------------------------------------------------ questions
@bp.post("/<int:city_id>/questions")
@staff_required()
def ask(city_id: int):
    city = staff_city_or_abort(city_id)
    form = QuestionForm()
    category_id = request.form.get("category", "")[:80]
    back = request.form.get("back") == "questions"
    if form.validate_on_submit():
        try:
            question = service.open_question(city.id, form.target.data, form.text.data,
                                             actor=current_staff_user())
        except service.VerificationError as problem:
            form.text.errors = [str(problem)]
        else:
            flash(_("Question #%(number)s is sent; the focal point is informed by e-mail.",
                    number=question.id), "success")
            if back or not category_id:
                return redirect(url_for("verification.questions", city_id=city.id))
            target = url_for("verification.review", city_id=city.id, category_id=category_id)
            return redirect(f"{target}#kpi-{anchor(question.kpi_code or '')}")
    elif not form.text.errors:
        form.text.errors = [_("The form had expired. Please try again.")]
    try:
        value_service.catalog().category(category_id)
    except KeyError:
        return _questions_page(city, question_form=form, status=400)
    return _review_page(city, category_id, question_form=form, status=400)


def _questions_page(city: City, *, question_form: QuestionForm | None = None,
                    reply_errors: dict | None = None, status: int = 200):
    return render_template("verification/questions.html", city=city,
                           questions=service.questions(city.id), lang=_lang(),
                           question_form=question_form, reply_errors=reply_errors or {},
                           ), status


@bp.get("/<int:city_id>/questions")
@staff_required()
def questions(city_id: int):
    return _questions_page(staff_city_or_abort(city_id))


@bp.post("/<int:city_id>/questions/<int:question_id>/reply")
@staff_required()
def reply(city_id: int, question_id: int):
    city = staff_city_or_abort(city_id)
    if service.get_question(question_id, city_id=city.id) is None:
        abort(404)
    form = ReplyForm()
    if not form.validate_on_submit():
        errors = form.text.errors or [_("The form had expired. Please try again.")]
        return _questions_page(city, reply_errors={question_id: (errors, form.text.data)},
                               status=400)
    service.reply_as_staff(question_id, form.text.data, city_id=city.id, actor=current_staff_user())
    flash(_("Your reply is sent; the focal point is informed by e-mail."), "success")
    return redirect(url_for("verification.questions", city_id=city.id) + f"#q-{question_id}")


@bp.post("/<int:city_id>/questions/<int:question_id>/close")
@staff_required()
def close(city_id: int, question_id: int):
    city = staff_city_or_abort(city_id)
    if service.get_question(question_id, city_id=city.id) is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        service.close_question(question_id, city_id=city.id, actor=current_staff_user())
        flash(_("Question #%(number)s is closed.", number=question_id), "success")
    return redirect(url_for("verification.questions", city_id=city.id) + f"#q-{question_id}")


# ------------------------------------------------------------------------------ audit
@bp.get("/<int:city_id>/audit")
@staff_required()
def audit(city_id: int):
    city = staff_city_or_abort(city_id)
    labels = data_point_labels(_lang())
    return render_template("verification/audit.html", city=city,
                           rows=service.audit_trail(city.id), labels=labels)


@bp.get("/<int:city_id>/audit.csv")
@staff_required()
def audit_csv(city_id: int):
    city = staff_city_or_abort(city_id)
    response = Response(service.audit_csv(city.id, _lang()), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{reports.filename(city, "audit", "csv")}"')
    return response


# ------------------------------------------------------------------------------ report
def _report(city: City):
    language = _lang()
    return reports.build_report(city, language, text_direction(language) == "rtl")


@bp.get("/<int:city_id>/report.html")
@staff_required()
def report_html(city_id: int):
    city = staff_city_or_abort(city_id)
    return reports.report_html(_report(city), staff=True,
                               pdf_url=url_for("verification.report_pdf", city_id=city.id),
                               certificate_url=url_for("verification.certificate",
                                                       city_id=city.id))


def pdf_response(content: bytes, name: str) -> Response:
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/<int:city_id>/report.pdf")
@staff_required()
def report_pdf(city_id: int):
    city = staff_city_or_abort(city_id)
    return pdf_response(reports.report_pdf(_report(city)),
                        reports.filename(city, "verification-report", "pdf"))


def no_certificate(city: City, back_url: str):
    return render_template("verification/no_certificate.html", city=city,
                           back_url=back_url), 409


@bp.get("/<int:city_id>/certificate.pdf")
@staff_required()
def certificate(city_id: int):
    city = staff_city_or_abort(city_id)
    if not reports.has_certificate(city):
        return no_certificate(city, url_for("verification.city", city_id=city.id))
    language = _lang()
    return pdf_response(reports.certificate_pdf(city, language,
                                                text_direction(language) == "rtl"),
                        reports.filename(city, "certificate", "pdf"))


@bp.post("/<int:city_id>/dp/<data_point_id>")
@staff_required()
def check_data_point(city_id: int, data_point_id: str):
    """YES or NO on one figure (the manual's template records both, per data point)."""
    city = staff_city_or_abort(city_id)
    category_id = datapoint_checks.category_of(data_point_id, request.form.get("category"))
    if category_id is None:
        abort(404)
    form = DataPointCheckForm()
    if not form.validate_on_submit():
        return _review_page(city, category_id, dp_errors={data_point_id: [
            _("The form had expired. Please try again.")]}, status=400)
    try:
        datapoint_checks.check_data_point(city.id, data_point_id, form.status.data,
                                          actor=current_staff_user(), note=form.note.data)
    except service.VerificationError as problem:
        return _review_page(city, category_id, dp_errors={data_point_id: [str(problem)]},
                            status=409)
    return redirect(url_for("verification.review", city_id=city.id, category_id=category_id)
                    + f"#dp-{anchor(data_point_id)}")
