"""What a city gains: factsheet, initiatives, peers, consent (/w/…); staff advice (/staff/gains)."""

from flask import Blueprint

bp = Blueprint("gains", __name__)

from intake.gains import views  # noqa: E402,F401
