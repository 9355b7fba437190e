"""The secretariat's export page: every city's data as CSV, XLSX or JSON."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, stream_with_context

from intake.i18n import current_language
from intake.models.user import UserRole
from intake.permissions import current_staff_user, staff_required
from intake.services.exports import FORMATS, export_filename, export_stream
from intake.services.values import catalog

bp = Blueprint("exports", __name__, url_prefix="/staff/exports")


@bp.get("/", endpoint="index")
@staff_required(UserRole.SECRETARIAT)
def index():
    book = catalog()
    return render_template("exports/index.html", catalog_version=book.version,
                           benchmark_version=book.benchmark_version)


@bp.get("/cities.<any(csv, xlsx, json, jsonl):fmt>", endpoint="download")
@staff_required(UserRole.SECRETARIAT)
def download(fmt: str):
    # Labels and units in the reader's language; codes and values are the same in all.
    return streamed_export(fmt, current_language(), current_staff_user())


def streamed_export(fmt: str, language: str, user) -> Response:
    """The export sent as it is written, with the lists' filters (?stage=&country=&q=)."""
    from intake.secretariat.overview import city_query
    from intake.secretariat.views import city_filters

    query = city_query(user, city_filters())
    response = Response(stream_with_context(export_stream(fmt, language, query)),
                        mimetype=FORMATS[fmt].split(";")[0])
    response.headers["Content-Type"] = FORMATS[fmt]
    response.headers.set("Content-Disposition", "attachment", filename=export_filename(fmt))
    response.headers["Cache-Control"] = "no-store"
    return response
