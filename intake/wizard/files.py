"""Evidence downloads and the XLSX/CSV/JSON workbook round trip."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm

from intake.i18n import current_language, normalise_language
from intake.services import evidence as evidence_service
from intake.services import workbook as workbook_service
from intake.wizard import bp
from intake.wizard.access import (
    actor,
    city_required,
)


# ------------------------------------------------------------------------------ evidence
@bp.get("/evidence/<int:file_id>")
@city_required
def evidence(file_id: int):
    record = evidence_service.get_evidence(g.city.id, file_id)
    if record is not None and g.member is not None and not g.scope.opens_kpi(record.kpi_code):
        record = None
    if record is None or not evidence_service.evidence_path(record).is_file():
        abort(404)
    return send_file(evidence_service.evidence_path(record), mimetype=record.content_type,
                     as_attachment=True, download_name=record.original_name)


# ------------------------------------------------------------------------------ workbooks
def _download(content, mimetype: str, extension: str) -> Response:
    name = f"u4ssc-{g.city.id}-data.{extension}"
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/export.xlsx")
@city_required
def export_xlsx():
    # Sheets and column headers in the city's language: the colleagues it circulates
    # among read that one, whoever downloads it.
    city_lang = normalise_language(g.city.locale) or current_language()
    return _download(workbook_service.export_xlsx(g.city.id, city_lang),
                     evidence_service.KINDS["xlsx"][0], "xlsx")


@bp.get("/export.csv")
@city_required
def export_csv():
    return _download(workbook_service.export_csv(g.city.id, current_language()), "text/csv", "csv")


@bp.get("/export.json")
@city_required
def export_json():
    return _download(workbook_service.export_json(g.city.id, current_language()),
                     "application/json", "json")


@bp.route("/import", methods=["GET", "POST"])
@city_required
def import_workbook():
    form = FlaskForm()
    if request.method == "GET":
        return render_template("wizard/import.html", city=g.city, form=form, plan=None)
    upload = request.files.get("workbook")
    if upload is None or not upload.filename:
        return render_template("wizard/import.html", city=g.city, form=form, plan=None,
                               error=_("Choose the workbook to upload.")), 400
    data = upload.stream.read(workbook_service.MAX_IMPORT_BYTES + 1)
    try:
        plan = workbook_service.plan_import(g.city.id, data, locale=current_language())
    except workbook_service.WorkbookError as error:
        return render_template("wizard/import.html", city=g.city, form=form, plan=None,
                               error=str(error.text)), 400
    ticket = workbook_service.keep_pending(g.city.id, data) if (
        plan.changes or plan.origins) else None
    return render_template("wizard/import.html", city=g.city, form=form, plan=plan,
                           ticket=ticket, lang=current_language())


@bp.post("/import/cancel")
@city_required
def import_cancel():
    workbook_service.drop_pending(g.city.id, request.form.get("ticket", ""))
    return redirect(url_for("wizard.import_workbook"))


@bp.post("/import/apply")
@city_required
def import_apply():
    ticket = request.form.get("ticket", "")
    data = workbook_service.load_pending(g.city.id, ticket)
    if data is None:
        flash(_("That upload is no longer available. Upload the workbook again."), "error")
        return redirect(url_for("wizard.import_workbook"))
    plan = workbook_service.apply_import(g.city.id, data, actor=actor(), locale=current_language())
    workbook_service.drop_pending(g.city.id, ticket)
    flash(ngettext("%(num)s value was updated from the workbook.",
                   "%(num)s values were updated from the workbook.", len(plan.changes)),
          "success")
    return redirect(url_for("wizard.home"))
