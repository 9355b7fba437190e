"""Home page, language choice, resume-by-link and the health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from intake.main import views  # noqa: E402,F401
