"""The staff workspace: overview of cities, a city's page, the letters inbox."""

from flask import Blueprint

bp = Blueprint("secretariat", __name__, url_prefix="/staff")

from intake.secretariat import deadlines, views  # noqa: E402,F401
from intake.secretariat.helpers import template_helpers  # noqa: E402

bp.context_processor(template_helpers)
