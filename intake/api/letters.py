"""GET /api/v1/letters[/<id>]: the participation letters received (secretariat only)."""

from __future__ import annotations

from flask import abort, request
from marshmallow import RAISE, Schema, fields, validate

from intake.api import bp
from intake.api.auth import MAX_ID, token_required
from intake.api.fields import UtcDateTime
from intake.api.paging import PagedSchema, PageQuerySchema, page_data, sort_field
from intake.extensions import db
from intake.i18n import LANGUAGES
from intake.models.city import City
from intake.models.letter import Letter
from intake.models.user import UserRole
from intake.secretariat.overview import (
    DEFAULT_LETTER_SORT,
    LETTER_SORTS,
    LetterRow,
    letter_page,
)
from intake.services.letters import letter_urls

TAGS = ["letters"]


class LetterQuerySchema(PageQuerySchema):
    q = fields.String(validate=validate.Length(max=100),
                      metadata={"description": "Part of the city's name or its country code."})
    language = fields.String(validate=validate.OneOf(list(LANGUAGES)))
    package = fields.String(validate=validate.OneOf(["verification", "case_study"]))
    economy = fields.String(validate=validate.OneOf(["developed", "developing"]))
    sort = sort_field(LETTER_SORTS, DEFAULT_LETTER_SORT)
    dir = fields.String(load_default="desc", validate=validate.OneOf(["asc", "desc"]),
                        metadata={"description": "Sort direction (newest first by default)."})


class LetterFeeSchema(Schema):
    """The quote frozen in the letter on the day it was written."""

    class Meta:
        unknown = RAISE

    amount = fields.String(dump_only=True, metadata={"description": "Decimal, as text."})
    band = fields.String(dump_only=True)
    economy = fields.String(dump_only=True)
    package = fields.String(dump_only=True)
    population = fields.Integer(dump_only=True)
    currencies = fields.List(fields.String(), dump_only=True)
    travel_costs_extra = fields.Boolean(dump_only=True)


class LetterDocumentsSchema(Schema):
    class Meta:
        unknown = RAISE

    html_url = fields.String(dump_only=True)
    pdf_url = fields.String(dump_only=True)
    docx_url = fields.String(dump_only=True)


class LetterSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.Integer(dump_only=True)
    city_id = fields.Integer(dump_only=True)
    city_name = fields.String(dump_only=True)
    country = fields.String(dump_only=True, allow_none=True)
    population = fields.Integer(dump_only=True, allow_none=True)
    economy = fields.String(dump_only=True, allow_none=True)
    package = fields.String(dump_only=True, allow_none=True)
    fee = fields.Nested(LetterFeeSchema, dump_only=True)
    language = fields.String(dump_only=True)
    template_version = fields.String(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    rendered = fields.Boolean(dump_only=True, metadata={
        "description": "False while the PDF and DOCX are still being produced."})
    documents = fields.Nested(LetterDocumentsSchema, dump_only=True, metadata={
        "description": "Download links (HTML, PDF, DOCX); only on a single letter."})


class LetterListSchema(PagedSchema):
    class Meta:
        unknown = RAISE

    letters = fields.List(fields.Nested(LetterSchema), dump_only=True)


def letter_data(row: LetterRow, *, with_documents: bool = False) -> dict:
    fee = row.fee
    data = {
        "id": row.letter.id, "city_id": row.city.id, "city_name": row.city.name,
        "country": row.city.country, "population": row.population, "economy": row.economy,
        "package": row.package,
        "fee": {key: fee[key] for key in LetterFeeSchema().fields if key in fee},
        "language": row.letter.locale, "template_version": row.letter.template_version,
        "created_at": row.letter.created_at, "rendered": row.letter.is_rendered,
    }
    if with_documents:
        data["documents"] = letter_urls(row.letter, request.host_url)
    return data


@bp.get("/letters", tags=TAGS)
@token_required(UserRole.SECRETARIAT)
@bp.arguments(LetterQuerySchema, location="query", as_kwargs=True)
@bp.response(200, LetterListSchema)
def list_letters(**filters):
    """Participation letters received, newest first

    Filters: `q` (city name or country code), `language`, `package`, `economy`. Sorted by
    `sort` (`created`, newest first unless `dir=asc`); `page`, `per_page`, `total`, `links`.
    Secretariat only, like the letters inbox.
    """
    found = letter_page(search=(filters.get("q") or "").strip(),
                        language=filters.get("language"), package=filters.get("package"),
                        economy=filters.get("economy"), sort=filters["sort"],
                        descending=filters["dir"] == "desc", page=filters["page"],
                        per_page=filters["per_page"])
    return {"letters": [letter_data(row) for row in found.items], **page_data(found)}


@bp.get(f"/letters/<int(max={MAX_ID}):letter_id>", tags=TAGS)
@token_required(UserRole.SECRETARIAT)
@bp.response(200, LetterSchema)
def show_letter(letter_id: int):
    """One letter's details and the links to its HTML, PDF and DOCX documents"""
    letter = db.session.get(Letter, letter_id)
    if letter is None:
        abort(404)
    city = db.session.get(City, letter.city_id)
    return letter_data(LetterRow(letter=letter, city=city), with_documents=True)
