"""CSV cells a spreadsheet can never run as formulas (CWE-1236), in `,` and `;` locales."""

from __future__ import annotations

import re
from typing import Any

# Characters that make a spreadsheet treat a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9]+(?:[.,][0-9]+)?(?:[eE][+-]?[0-9]+)?$")


def _piece(text: str) -> str:
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(text.strip()):
        return "'" + text
    return text


def safe_cell(value: Any) -> Any:
    """The value, with an apostrophe before any part a spreadsheet would evaluate."""
    if not isinstance(value, str):
        return value
    if ";" in value:
        # A spreadsheet set to a `;`-separated locale (French, German, Russian Excel…)
        # splits a comma-separated file's cell at each `;`: each piece is a cell of its own.
        head, *rest = value.split(";")
        return ";".join([_piece(head), *(_after_semicolon(part) for part in rest)])
    return _piece(value)


def _after_semicolon(part: str) -> str:
    stripped = part.lstrip(" ")
    if stripped.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(stripped.strip()):
        return part[: len(part) - len(stripped)] + "'" + stripped
    return part
