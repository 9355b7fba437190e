"""GET /api/v1/health: the same report as /healthz, under the API prefix."""

from flask import jsonify

from intake.api import bp
from intake.extensions import csrf
from intake.services.health import check_health

csrf.exempt(bp)  # the API authenticates with tokens and JSON bodies, not cookies and forms


@bp.get("/health")
def health():
    report = check_health()
    return jsonify(report), (200 if report["status"] == "ok" else 503)
