"""Requests the database or the JSON parser cannot take: a 400/404 or cleaned, never a 500."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

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
    """JSON bodies too deep to parse, or too deep to be ours, are a 400 like any bad JSON;
    NUL characters never reach a view (no text column can store one, no one types one).

    NUL is removed rather than refused: what else was typed is kept, as for any other
    control character the forms clean up.
    """

    @cached_property
    def args(self) -> ImmutableMultiDict:
        raw = super().args
        return _without_nul_pairs(raw) if any(
            "\x00" in key or "\x00" in value for key, value in raw.items(multi=True)) else raw

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form is not None and any("\x00" in key or "\x00" in value
                                    for key, value in form.items(multi=True)):
            self.__dict__["form"] = _without_nul_pairs(form)

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
        return without_nul(data)


def without_nul(value: Any) -> Any:
    """JSON strings without NUL characters (no text column can store one; no one means one)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value


def _without_nul_pairs(data: MultiDict) -> ImmutableMultiDict:
    return ImmutableMultiDict([(key.replace("\x00", ""), value.replace("\x00", ""))
                               for key, value in data.items(multi=True)])


def init_request_limits(app: Flask) -> None:
    app.request_class = BoundedRequest
    app.url_map.converters["int"] = DatabaseIdConverter
