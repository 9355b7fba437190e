"""The JSON API under /api/v1/: one module per resource, on one documented blueprint.

flask-smorest builds the OpenAPI document at /api/v1/openapi.json from the routes and their
marshmallow schemas; the public routes (fee, catalog, conversations, health) keep their
hand-made JSON, the staff resources are dumped and loaded through schemas.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api, Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

API_DESCRIPTION = """\
The U4SSC Intake API. The fee, the KPI catalog, the intake assistant and the health check
are public. Letters, cities, values, scores and exports are for staff: send
`Authorization: Bearer <token>` with a token made by `flask users token --email … --name …`.
A secretariat token sees every city; a verifier's token only the cities assigned to them.
A city's own data is not available through the API (cities use their workspace link).
"""


class IntakeApi(Api):
    """flask-smorest without its app-wide error handler: HTML pages keep theirs."""

    def _register_error_handlers(self) -> None:
        # The blueprint's own handler (intake.api.errors) answers API errors in JSON.
        return None


def init_api(app: Flask) -> IntakeApi:
    for key, value in {
        "API_TITLE": "U4SSC Intake API",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }.items():
        app.config.setdefault(key, value)
    from intake.api.errors import ApiErrorSchema

    api = IntakeApi(spec_kwargs={"info": {"description": API_DESCRIPTION}})
    api.ERROR_SCHEMA = ApiErrorSchema
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer",
                       "description": "A staff token from `flask users token`."})
    api.register_blueprint(bp)
    return api


# Each resource module adds its routes to `bp` when imported.
from intake.api import (  # noqa: E402
    catalog,
    cities,
    conversations,
    errors,
    exports,
    fee,
    health,
    letters,
    local_kpis,
    results,
    scores,
    values,
)

__all__ = ["bp", "catalog", "cities", "conversations", "errors", "exports", "fee", "health",
           "init_api", "letters", "local_kpis", "results", "scores", "values"]
