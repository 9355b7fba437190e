"""Rendering helpers for the wizard: translated findings and numbers in the user's locale."""

from __future__ import annotations

from typing import Any

from flask_babel import format_decimal, gettext

from forms.rules import Message


def format_number(value: Any, exact: bool = False) -> str:
    """A value for display; `exact` keeps every decimal (for "did you mean …?")."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, float | int):
        if exact:
            return format_decimal(value, format="#,##0.##########")
        if abs(value) >= 100:
            return format_decimal(round(value, 1), format="#,##0.#")
        return format_decimal(round(value, 2), format="#,##0.##")
    return str(value)


def render_message(found: Message | dict) -> str:
    """Translate a forms.rules finding and fill in its parameters for this locale."""
    if isinstance(found, dict):
        found = Message(**found)
    params = {}
    for key, value in dict(found.params).items():
        if key in ("current_year", "earliest") or (key == "value" and found.id.startswith(
                "year")):
            params[key] = str(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            params[key] = format_number(value, exact=found.id == "ambiguous")
        else:
            params[key] = value
    # gettext without variables returns the text untouched; "%" formatting is done here so
    # "%%" in a message with no parameters still renders as "%".
    return gettext(found.text) % params
