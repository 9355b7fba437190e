"""The JSON API under /api/v1/: one module per resource, registered on one blueprint."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Each resource module adds its routes to `bp` when imported.
from intake.api import catalog, conversations, fee, health  # noqa: E402,F401
