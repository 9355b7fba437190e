"""GET /api/v1/exports/cities.{csv,xlsx,json}: every city's data (secretariat only)."""

from __future__ import annotations

from flask import Response

from intake.api import bp
from intake.api.auth import token_required
from intake.models.user import UserRole
from intake.services.exports import FORMATS, export_all

TAGS = ["exports"]


def _download(fmt: str) -> Response:
    export = export_all(fmt)
    response = Response(export.body, mimetype=export.media_type.split(";")[0])
    response.headers["Content-Type"] = export.media_type
    response.headers.set("Content-Disposition", "attachment", filename=export.filename)
    response.headers["Cache-Control"] = "no-store"
    return response


def _documented(fmt: str, description: str):
    schema = ({"type": "object"} if fmt == "json"
              else {"type": "string", "format": "binary"} if fmt == "xlsx"
              else {"type": "string"})
    content_type = FORMATS[fmt].split(";")[0]
    return bp.doc(responses={"200": {
        "description": description,
        "content": {content_type: {"schema": schema}},
    }})


@bp.get("/exports/cities.csv", tags=TAGS)
@token_required(UserRole.SECRETARIAT)
@_documented("csv", "One row per city and data point, with the catalog and benchmark "
                    "versions; text that looks like a formula starts with an apostrophe.")
def export_cities_csv():
    """Every city's data as CSV (UTF-8 with a byte-order mark)"""
    return _download("csv")


@bp.get("/exports/cities.xlsx", tags=TAGS)
@token_required(UserRole.SECRETARIAT)
@_documented("xlsx", "Sheets About (versions) and Data; no cell is a formula.")
def export_cities_xlsx():
    """Every city's data as an Excel workbook"""
    return _download("xlsx")


@bp.get("/exports/cities.json", tags=TAGS)
@token_required(UserRole.SECRETARIAT)
@_documented("json", "The versions, then each city with its category states and values.")
def export_cities_json():
    """Every city's data as JSON"""
    return _download("json")
