"""The secretariat's export page: every city's data as CSV, XLSX or JSON."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from intake.i18n import current_language
from intake.models.user import UserRole
from intake.permissions import staff_required
from intake.services.exports import export_all
from intake.services.values import catalog

bp = Blueprint("exports", __name__, url_prefix="/staff/exports")


@bp.get("/", endpoint="index")
@staff_required(UserRole.SECRETARIAT)
def index():
    book = catalog()
    return render_template("exports/index.html", catalog_version=book.version,
                           benchmark_version=book.benchmark_version)


@bp.get("/cities.<any(csv, xlsx, json):fmt>", endpoint="download")
@staff_required(UserRole.SECRETARIAT)
def download(fmt: str):
    # Labels and units in the reader's language; codes and values are the same in all.
    export = export_all(fmt, current_language())
    response = Response(export.body, mimetype=export.media_type.split(";")[0])
    response.headers["Content-Type"] = export.media_type
    response.headers.set("Content-Disposition", "attachment", filename=export.filename)
    response.headers["Cache-Control"] = "no-store"
    return response
