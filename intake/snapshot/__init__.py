"""The City Snapshot: the benchmarking wheel, its table, and SVG/PDF downloads."""

from flask import Blueprint

bp = Blueprint("snapshot", __name__, url_prefix="/snapshot")

from intake.snapshot import views  # noqa: E402,F401
