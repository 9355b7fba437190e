"""The secretariat's export page: every city's data as CSV, XLSX or JSON.

Small exports stream from the link; an export of more than EXPORT_INLINE_MAX_CITIES cities
is prepared by a background job (a progress page, then a download link).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _

from intake.i18n import current_language
from intake.models.user import UserRole
from intake.permissions import current_staff_user, staff_required
from intake.services import export_jobs
from intake.services.exports import FORMATS, export_filename, export_stream
from intake.services.values import catalog

bp = Blueprint("exports", __name__, url_prefix="/staff/exports")

# The list filters an export keeps from the address it was asked from.
FILTER_ARGS = ("stage", "country", "q", "verifier", "overdue")


def filter_args() -> dict[str, str]:
    return {name: request.args[name] for name in FILTER_ARGS if request.args.get(name)}


@bp.get("/", endpoint="index")
@staff_required(UserRole.SECRETARIAT)
def index():
    from intake.secretariat.views import city_filters

    user = current_staff_user()
    book = catalog()
    count = export_jobs.count_cities(user, city_filters())
    return render_template("exports/index.html", catalog_version=book.version,
                           benchmark_version=book.benchmark_version, city_count=count,
                           large=count > current_app.config["EXPORT_INLINE_MAX_CITIES"],
                           inline_max=current_app.config["EXPORT_INLINE_MAX_CITIES"],
                           retention=current_app.config["EXPORT_RETENTION_HOURS"],
                           filters=filter_args(), recent=export_jobs.recent_exports(user))


@bp.get("/cities.<any(csv, xlsx, json, jsonl):fmt>", endpoint="download")
@staff_required(UserRole.SECRETARIAT)
def download(fmt: str):
    from intake.secretariat.views import city_filters

    user = current_staff_user()
    if export_jobs.is_large(user, city_filters()):
        # Too large to hold a page open for: offer to prepare it in the background.
        flash(_("This export is large: prepare it below and download it when it is ready."),
              "info")
        return redirect(url_for("exports.index", **filter_args()), code=303)
    # Labels and units in the reader's language; codes and values are the same in all.
    return streamed_export(fmt, current_language(), user)


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


@bp.post("/jobs/cities.<fmt>", endpoint="start")
@staff_required(UserRole.SECRETARIAT)
def start(fmt: str):
    """Prepare an export in the background (filters from the address, as on the links)."""
    from intake.secretariat.views import city_filters

    if fmt not in FORMATS:
        abort(404)

    export = export_jobs.start_export(current_staff_user(), fmt, current_language(),
                                      city_filters())
    return redirect(url_for("exports.job", export_id=export.id), code=303)


def _own_export(export_id: int):
    export = export_jobs.find_export(current_staff_user(), export_id)
    if export is None:
        abort(404)
    return export


@bp.get("/jobs/<int:export_id>", endpoint="job")
@staff_required(UserRole.SECRETARIAT)
def job(export_id: int):
    found = export_jobs.status(_own_export(export_id))
    response = Response(render_template("exports/job.html", item=found,
                                        progress_text=progress_text(found)))
    response.headers["Cache-Control"] = "no-store"
    return response


def progress_text(found) -> str:
    return _("%(done)s of %(total)s cities written (%(percent)s %%).", done=found.export.done,
             total=found.export.total, percent=found.percent)


@bp.get("/jobs/<int:export_id>.json", endpoint="job_status")
@staff_required(UserRole.SECRETARIAT)
def job_status(export_id: int):
    """The progress the page's script polls."""
    found = export_jobs.status(_own_export(export_id))
    response = jsonify(state=str(found.state), done=found.export.done,
                       total=found.export.total, percent=found.percent,
                       finished=found.finished, ready=found.ready,
                       text=progress_text(found))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/jobs/<int:export_id>/file", endpoint="job_file")
@staff_required(UserRole.SECRETARIAT)
def job_file(export_id: int):
    found = export_jobs.status(_own_export(export_id))
    if not found.ready:
        abort(404)
    response = send_file(export_jobs.export_path(found.export),
                         mimetype=FORMATS[found.export.fmt].split(";")[0],
                         as_attachment=True, download_name=found.filename,
                         conditional=False, etag=False, max_age=0)
    response.headers["Content-Type"] = FORMATS[found.export.fmt]
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/jobs/<int:export_id>/retry", endpoint="job_retry")
@staff_required(UserRole.SECRETARIAT)
def job_retry(export_id: int):
    export = _own_export(export_id)
    export_jobs.retry_export(export)
    return redirect(url_for("exports.job", export_id=export_id), code=303)
