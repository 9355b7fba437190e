"""GET /api/v1/fee: the participation fee for a population, economy type and package."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from intake.api import bp
from intake.fees import ECONOMIES, PACKAGES, FeeQuote, quote_fee
from intake.i18n import current_language
from intake.letter.money import format_fee

# No city is larger; the cap also keeps the value inside a 32-bit database integer.
MAX_POPULATION = 100_000_000


class FeeQuerySchema(Schema):
    """The query parameters of a fee quote; every bad field is reported, not just the first."""

    class Meta:
        unknown = EXCLUDE  # ?lang= and cache-busters are not errors

    population = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(
            min=1, max=MAX_POPULATION,
            error=_l("The population must be a whole number between 1 and 100,000,000."),
        ),
        error_messages={
            "required": _l("The population is required."),
            "invalid": _l("The population must be a whole number, for example 250000."),
            "null": _l("The population is required."),
        },
    )
    economy = fields.String(
        required=True,
        validate=validate.OneOf(ECONOMIES, error=_l(
            "The economy must be 'developed' or 'developing'.")),
        error_messages={"required": _l("The economy type is required."),
                        "null": _l("The economy type is required.")},
    )
    package = fields.String(
        load_default="verification",
        validate=validate.OneOf(PACKAGES, error=_l(
            "The package must be 'verification' or 'case_study'.")),
    )


class FeeQuoteSchema(Schema):
    """The quote (documentation of the response; the view builds it with quote_json)."""

    amount = fields.String(metadata={"description": "Decimal, as text, e.g. \"30000\"."})
    band = fields.String()
    economy = fields.String()
    package = fields.String()
    population = fields.Integer()
    currencies = fields.List(fields.String())
    travel_costs_extra = fields.Boolean()
    locale = fields.String()
    formatted = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "The amount per currency, formatted for the request's language."})


def _plain(errors):
    """Marshmallow keeps lazy strings as they are; JSON needs plain ones."""
    if isinstance(errors, dict):
        return {str(key): _plain(value) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [str(value) for value in errors]
    return [str(errors)]


def parse_fee_query(data) -> tuple[FeeQuote | None, dict]:
    """Quote from raw (string) parameters: (quote, {}) or (None, {field: [messages]})."""
    # Flask's args are a MultiDict; a repeated parameter counts as its first value.
    raw = {key: data.get(key) for key in data} if hasattr(data, "getlist") else dict(data)
    try:
        values = FeeQuerySchema().load(raw)
    except ValidationError as error:
        return None, _plain(error.messages)
    return quote_fee(values["population"], values["economy"], values["package"]), {}


def quote_json(quote: FeeQuote) -> dict:
    """The quote as JSON, with the amounts formatted for the current locale by Babel."""
    payload = quote.as_dict()
    payload["locale"] = current_language()
    payload["formatted"] = {currency: format_fee(quote.amount, currency)
                            for currency in quote.currencies}
    return payload


@bp.get("/fee", tags=["public"])
@bp.doc(parameters=[{"in": "query", "schema": FeeQuerySchema}])
@bp.response(200, FeeQuoteSchema)
@bp.alt_response(400, response="BAD_REQUEST")
def fee():
    """The participation fee for a population, economy type and package (public)"""
    quote, errors = parse_fee_query(request.args)
    if errors:
        return jsonify({"error": {"code": 400, "message": str(_l(
            "Some parameters are missing or not valid."))}, "errors": errors}), 400
    return jsonify(quote_json(quote))
