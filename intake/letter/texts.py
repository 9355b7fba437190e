"""The official wording of the letter (texts.json) and a gettext that reads it first."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import cache
from pathlib import Path

from flask_babel import gettext as catalogue_gettext
from markupsafe import Markup, escape

log = logging.getLogger(__name__)

TEXTS_FILE = Path(__file__).with_name("texts.json")


@cache
def load_texts() -> dict:
    with TEXTS_FILE.open(encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data.get("template_version"), str) or "en" not in data["languages"]:
        raise ValueError(f"{TEXTS_FILE}: needs template_version and an 'en' language")
    return data


def template_version() -> str:
    return load_texts()["template_version"]


def letter_gettext(language: str, *, markup: bool,
                   missing: set[str] | None = None) -> Callable[..., str]:
    """A `_` for the letter templates: the official text for `language` first.

    The strings stay marked with `_()` in the templates, so the catalogues pick them up;
    until a catalogue translates them, the reviewed wording in texts.json is what the
    letter says. A string neither has falls back to the catalogue (English at worst) and
    is recorded in `missing` so a test can insist on complete letters.
    With `markup`, the text is escaped and every variable is escaped before it is put in
    (user text never becomes HTML); variables that are already Markup stay as they are.
    """
    table: dict[str, str] = load_texts()["languages"].get(language, {})

    def gettext(message: str, **variables) -> str:
        text = table.get(message)
        if text is None:
            if language != "en":
                log.warning("letter text not translated into %s: %r", language, message)
                if missing is not None:
                    missing.add(message)
            text = catalogue_gettext(message)
        if markup:
            template = Markup(escape(text))
            return template % variables if variables else template
        return text % variables if variables else text

    return gettext
