"""GET /api/v1/health: the same report as /readyz, under the API prefix."""

from flask import jsonify, request
from marshmallow import INCLUDE, Schema, fields

from intake.api import bp
from intake.extensions import csrf
from intake.services.health import report_for

csrf.exempt(bp)  # the API authenticates with tokens and JSON bodies, not cookies and forms


class HealthSchema(Schema):
    class Meta:
        unknown = INCLUDE

    status = fields.String(metadata={"description": "ok, degraded or error."})
    database = fields.Dict()
    redis = fields.Dict()


@bp.get("/health", tags=["public"])
@bp.response(200, HealthSchema)
@bp.alt_response(503, schema=HealthSchema, description="The database is unreachable.")
def health():
    """Whether the database (and Redis, when configured) answer; 200 while only degraded"""
    report = report_for(request.remote_addr)
    return jsonify(report), (503 if report["status"] == "error" else 200)
