"""?page=&per_page=&sort=&dir= for every API list, and the total and links it answers with."""

from __future__ import annotations

from flask import request, url_for
from marshmallow import RAISE, Schema, fields, validate

from intake.services import paging


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10**6))
    per_page = fields.Integer(load_default=paging.PER_PAGE,
                              validate=validate.Range(min=1, max=paging.MAX_PER_PAGE))
    dir = fields.String(load_default="asc", validate=validate.OneOf(["asc", "desc"]),
                        metadata={"description": "Sort direction."})


class PageLinksSchema(Schema):
    class Meta:
        unknown = RAISE

    self = fields.String(dump_only=True)
    first = fields.String(dump_only=True)
    last = fields.String(dump_only=True)
    next = fields.String(dump_only=True, allow_none=True)
    prev = fields.String(dump_only=True, allow_none=True)


class PagedSchema(Schema):
    """The paging fields every list carries beside its items."""

    total = fields.Integer(dump_only=True, metadata={"description": "Items in the whole list."})
    page = fields.Integer(dump_only=True)
    per_page = fields.Integer(dump_only=True)
    pages = fields.Integer(dump_only=True)
    links = fields.Nested(PageLinksSchema, dump_only=True)


def sort_field(sorts, default: str):
    return fields.String(load_default=default, validate=validate.OneOf(sorted(sorts)),
                         metadata={"description": "Column to sort by."})


def page_data(found: paging.Page) -> dict:
    """total, page, per_page, pages and links that keep the request's other arguments."""
    def link(number: int | None) -> str | None:
        if number is None:
            return None
        args = request.args.to_dict()
        args.update(page=number, per_page=found.per_page)
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    return {"total": found.total, "page": found.page, "per_page": found.per_page,
            "pages": found.pages,
            "links": {"self": link(found.page), "first": link(1), "last": link(found.pages),
                      "next": link(found.page + 1) if found.has_next else None,
                      "prev": link(found.page - 1) if found.has_prev else None}}
