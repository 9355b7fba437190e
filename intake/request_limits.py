"""Requests the database or the JSON parser cannot take get a 400/404, never a 500."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

# Ids are 32-bit integers in PostgreSQL: a larger one in a URL leads nowhere (404) rather
# than to "integer out of range" from the database (a 500).
MAX_ID = 2**31 - 1
# Nothing the portal accepts is nested more than a few levels; the C parser would raise
# RecursionError (not ValueError) past ~1 000 levels.
MAX_JSON_DEPTH = 64


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` capped at the largest id a database row can have."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of parsed JSON, iteratively (never recursion on hostile input)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


class BoundedRequest(Request):
    """JSON bodies too deep to parse, or too deep to be ours, are a 400 like any bad JSON."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        try:
            data = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            if silent:
                return None
            raise BadRequest("The JSON body is nested too deeply.") from None
        if data is not None and _depth(data, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            if silent:
                return None
            raise BadRequest("The JSON body is nested too deeply.")
        return data


def _has_nul(pairs) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in pairs)


def refuse_nul_bytes() -> None:
    """No text the portal stores may hold NUL (PostgreSQL refuses it): 400 at the door."""
    if "\x00" in request.path or _has_nul(request.args.items(multi=True)):
        raise BadRequest()
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") \
                and _has_nul(request.form.items(multi=True)):
            raise BadRequest()
        if request.is_json and (b"\\u0000" in request.get_data(cache=True)
                                or b"\x00" in request.get_data(cache=True)):
            raise BadRequest("The JSON body holds a NUL character.")


def init_request_limits(app: Flask) -> None:
    app.request_class = BoundedRequest
    app.url_map.converters["int"] = DatabaseIdConverter
    app.before_request(refuse_nul_bytes)
