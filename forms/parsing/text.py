"""Shared by every reader: the phrase tables, text hygiene and normalisation."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
LANGUAGES = ("en", "fr", "es", "ar", "zh", "ru")

# Codes in CLDR's territory list that are not places a city can be in.
NOT_COUNTRIES = {"CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}


@cache
def load_data(name: str) -> dict:
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        return json.load(handle)


def words() -> dict:
    return load_data("words.json")


# ---------------------------------------------------------------------------- text hygiene
def sanitize(text: object, *, multiline: bool = False) -> str:
    """Drop what no database or page can hold (NUL, lone surrogates, control characters)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if text.isascii() and text.isprintable():
        # Most answers, and the same result as the general path below, much sooner: such
        # text has no control, surrogate or invisible characters, is its own NFC, has no
        # line breaks (so `multiline` changes nothing) and its only blank is the space.
        return " ".join(text.split())
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Cs":
            continue
        if category == "Cc" and char not in "\n\t":
            continue
        kept.append(char)
    cleaned = unicodedata.normalize("NFC", "".join(kept)).replace("\u200b", "").replace(
        "\ufeff", "")
    if not any(unicodedata.category(c)[0] not in "ZC" for c in cleaned):
        return ""  # only spaces and invisible marks: no answer at all
    if multiline:
        lines = [" ".join(line.split()) for line in cleaned.splitlines()]
        cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    else:
        cleaned = " ".join(cleaned.split())
    return cleaned.strip()


_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
                                 "ـ": ""})


def normalize(text: str) -> str:
    """Fold case, accents, Arabic letter variants and punctuation, for matching words."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.translate(_ARABIC_LETTERS)
    out = []
    for char in text:
        category = unicodedata.category(char)
        out.append(" " if category[0] in "PSZC" else char)
    return " ".join("".join(out).split())


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= c <= "\u9fff" for c in text)


def _phrases(table: dict[str, list[str]], languages=LANGUAGES) -> list[str]:
    found = []
    for language in languages:
        found.extend(normalize(p) for p in table.get(language, []))
    return [p for p in found if p]


@cache
def vocabulary(kind: str, languages: tuple[str, ...] = LANGUAGES) -> tuple[str, ...]:
    """The normalized phrases of one kind (yes, no, back, …) in the given languages."""
    return tuple(_phrases(words()[kind], languages))
