"""GET /api/v1/catalog?lang=xx: the KPI catalog and its benchmark targets in one language."""

from __future__ import annotations

import json

from flask import Response, current_app, jsonify, request
from flask_babel import gettext as _
from marshmallow import INCLUDE, Schema, fields, validate

from forms.catalog.loading import load_catalog
from forms.catalog.serialise import catalog_as_dict
from intake.api import bp
from intake.i18n import LANGUAGES, normalise_language


def configured_catalog():
    """The catalog the app uses; KPI_CATALOG_PATH / KPI_BENCHMARKS_PATH may replace the files."""
    return load_catalog(current_app.config.get("KPI_CATALOG_PATH"),
                        benchmarks_path=current_app.config.get("KPI_BENCHMARKS_PATH"))


class CatalogQuerySchema(Schema):
    lang = fields.String(load_default="en", validate=validate.OneOf(list(LANGUAGES)))


class CatalogSchema(Schema):
    """The catalog in one language (documentation of the response)."""

    class Meta:
        unknown = INCLUDE

    version = fields.String()
    benchmark_version = fields.String()
    benchmark_provisional = fields.Boolean()
    language = fields.String()
    shared_inputs = fields.List(fields.Dict())
    dimensions = fields.List(fields.Dict(), metadata={
        "description": "Dimensions → categories → KPIs with data points, items and targets."})


_CACHE: dict[str, tuple[object, bytes]] = {}


def _serialized(lang: str, catalog) -> bytes:
    """The JSON body per language, rebuilt only when load_catalog hands back a new object."""
    cached = _CACHE.get(lang)
    if cached is None or cached[0] is not catalog:
        body = json.dumps(catalog_as_dict(catalog, lang), ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")
        cached = _CACHE[lang] = (catalog, body)
    return cached[1]


@bp.get("/catalog", tags=["public"])
@bp.doc(parameters=[{"in": "query", "schema": CatalogQuerySchema}])
@bp.response(200, CatalogSchema)
@bp.alt_response(400, response="BAD_REQUEST")
def catalog():
    """The 91 KPIs, their data points, formulas and benchmark targets in one language"""
    lang = normalise_language(request.args.get("lang", "en"))
    if lang is None:
        return jsonify({"error": {
            "code": 400,
            "field": "lang",
            "message": _("Unknown language"),
            "detail": _("The field 'lang' must be one of: %(choices)s.",
                        choices=", ".join(LANGUAGES)),
        }}), 400
    body = _serialized(lang, configured_catalog())
    response = Response(body, mimetype="application/json")
    response.headers["Content-Language"] = lang
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
