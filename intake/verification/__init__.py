"""Staff verification pages: review each KPI, question the city, audit trail, report."""

from flask import Blueprint

bp = Blueprint("verification", __name__, url_prefix="/staff/verify")

from intake.verification import views  # noqa: E402,F401
