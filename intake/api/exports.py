"""GET /api/v1/exports/cities.{csv,xlsx,json}: every city's data (secretariat only)."""

from __future__ import annotations

from flask import Response

from intake.api import bp
from intake.api.auth import api_user, token_required
from intake.models.user import UserRole
from intake.services.exports import FORMATS

TAGS = ["exports"]


def _download(fmt: str) -> Response:
    from intake.exports import streamed_export

    # Streamed as written; the same filters as the city list (stage, country, q).
    return streamed_export(fmt, "en", api_user())


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


@bp.get("/exports/cities.jsonl", tags=TAGS)
@token_required(UserRole.SECRETARIAT)
@_documented("jsonl", "JSON lines: the versions on the first line, then one city per line.")
def export_cities_jsonl():
    """Every city's data as JSON lines, streamed"""
    return _download("jsonl")
