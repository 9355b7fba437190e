"""API errors as JSON: {"error": {code, message, detail}, "errors": {field: [messages]}}."""

from __future__ import annotations

import logging

from flask import Response, jsonify
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from intake.api import bp
from intake.errors import MESSAGES
from intake.extensions import db
from intake.services.values import CityFrozen

log = logging.getLogger(__name__)

API_MESSAGES = {
    401: (_l("Authentication required"),
          _l("Send a valid staff API token in the header Authorization: Bearer <token>.")),
    412: (_l("The value has changed since you read it"),
          _l("Nothing was saved. Read the value again and send its new ETag in If-Match.")),
    422: (_l("Some fields are missing or not valid."),
          _l("See the errors for each field.")),
    428: (_l("The header If-Match is required"),
          _l("Send the ETag you read in an If-Match header, so a newer value is never "
             "overwritten.")),
}


class ErrorBodySchema(Schema):
    code = fields.Integer(required=True)
    message = fields.String(required=True)
    detail = fields.String()
    field = fields.String()


class ApiErrorSchema(Schema):
    """Every error of the API; `errors` maps a field to its messages (validation errors)."""

    error = fields.Nested(ErrorBodySchema, required=True)
    errors = fields.Dict(keys=fields.String())


def plain(errors):
    """Marshmallow keeps lazy strings as they are; JSON needs plain ones."""
    if isinstance(errors, dict):
        return {str(key): plain(value) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [plain(value) if isinstance(value, dict | list | tuple) else str(value)
                for value in errors]
    return [str(errors)]


def _field_errors(data: dict) -> dict | None:
    found = data.get("errors") or data.get("messages")
    if not isinstance(found, dict) or not found:
        return None
    # webargs keys messages by location ({"json": {...}}); one location needs no key.
    if len(found) == 1:
        (location, inner), = found.items()
        if location in ("json", "query", "querystring", "headers") and isinstance(inner, dict):
            found = inner
    return plain(found)


def error_response(code: int, data: dict | None = None) -> Response:
    data = data or {}
    title, text = API_MESSAGES.get(code) or MESSAGES.get(code) or MESSAGES[500]
    body: dict = {"error": {"code": code, "message": str(data.get("message") or title),
                            "detail": str(text)}}
    errors = _field_errors(data)
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = code
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    if code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="U4SSC Intake API"'
    return response


@bp.errorhandler(CityFrozen)
def city_frozen(error: CityFrozen):
    db.session.rollback()
    body = {"error": {"code": 409, "message": str(_l("The city's figures are verified")),
                      "detail": str(error)}}
    response = jsonify(body)
    response.status_code = 409
    return response


@bp.errorhandler(HTTPException)
def api_error(error: HTTPException):
    code = error.code or 500
    if code == 304:  # flask-smorest's "not modified": no body
        return Response(status=304)
    if code >= 500:
        log.exception("API error %s", code)
    response = error_response(code, getattr(error, "data", None))
    if code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response
