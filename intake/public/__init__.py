"""Public recognition pages: published cities, read-only and cacheable (/cities)."""

from flask import Blueprint

bp = Blueprint("public", __name__, url_prefix="/cities")

from intake.public import views  # noqa: E402,F401
