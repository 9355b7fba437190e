"""Local KPIs: the city's page (/w/local-kpis) and the staff's decisions (/staff/…/local-kpis)."""

from flask import Blueprint

bp = Blueprint("localkpi", __name__)

from intake.local_kpis import views  # noqa: E402,F401
