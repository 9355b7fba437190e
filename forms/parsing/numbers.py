"""Numbers as people type them: "about 1.2 million", "1 234 567", "١٢٣٤"."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from forms.parsing.text import _is_cjk, sanitize

# ---------------------------------------------------------------------------- numbers
_DIGITS = str.maketrans({
    **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic
    **{chr(0x06F0 + i): str(i) for i in range(10)},  # Extended Arabic-Indic (Persian, Urdu)
    "\u066b": ".",  # Arabic decimal separator
    "\u066c": ",",  # Arabic thousands separator
    "\u060c": ",",  # Arabic comma
})

# Multiplier words, longest first so "millones" wins over "mil".
_MULTIPLIERS: list[tuple[str, int]] = sorted([
    ("k", 1_000), ("thousand", 1_000), ("thousands", 1_000), ("mil", 1_000), ("mille", 1_000),
    ("tys", 1_000), ("тыс", 1_000), ("тысяч", 1_000), ("тысячи", 1_000), ("тысяча", 1_000),
    ("千", 1_000), ("ألف", 1_000), ("الف", 1_000), ("آلاف", 1_000), ("الاف", 1_000),
    ("万", 10_000), ("萬", 10_000),
    ("m", 1_000_000), ("mn", 1_000_000), ("mln", 1_000_000), ("mio", 1_000_000),
    ("million", 1_000_000), ("millions", 1_000_000), ("millón", 1_000_000),
    ("millon", 1_000_000), ("millones", 1_000_000), ("млн", 1_000_000),
    ("миллион", 1_000_000), ("миллиона", 1_000_000), ("миллионов", 1_000_000),
    ("مليون", 1_000_000), ("ملايين", 1_000_000), ("百万", 1_000_000),
    ("亿", 100_000_000), ("億", 100_000_000),
], key=lambda item: -len(item[0]))
_MULTIPLIER_VALUE = dict(_MULTIPLIERS)
_SEPARATORS = " \u00a0\u202f\u2009'’.,"
# A Latin, Cyrillic or Arabic multiplier must end its word ("250 m", not "250 men"); a
# Chinese one may be followed by more text ("120万人"). Possessive digits: no backtracking
# into "12" + "0".
_NUMBER_RE = re.compile(
    r"(?P<num>\d++(?:[" + _SEPARATORS + r"]\d++)*+)\s*(?P<mult>"
    + "|".join(re.escape(word) + ("" if _is_cjk(word) else r"(?![^\W\d_])")
               for word, _ in _MULTIPLIERS)
    + r")?",
)
_BARE_MILLION_RE = re.compile(
    r"(?:^|\s)(?:a|one|un|une|uno|один|واحد)?\s*(million|millon|millón|миллион|مليون)(?:\s|$)"
)


def _to_decimal(raw: str, has_multiplier: bool) -> Decimal | None:
    groups = re.split(r"[ \u00a0\u202f\u2009'’]", raw)
    # Space and apostrophe only ever separate thousands: "250 000", "250'000".
    if len(groups) > 1 and not all(len(re.sub(r"[.,]", "", g)) >= 3 for g in groups[1:]):
        groups = groups[:1]
    number = "".join(groups)
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        decimal_mark = "." if number.rfind(".") > number.rfind(",") else ","
        grouping = "," if decimal_mark == "." else "."
        whole, _, fraction = number.rpartition(decimal_mark)
        if decimal_mark in whole:
            return None
        number = whole.replace(grouping, "") + "." + fraction
    elif dots + commas:
        mark = "." if dots else ","
        parts = number.split(mark)
        if len(parts) > 2:
            if not all(len(p) == 3 for p in parts[1:]):
                return None
            number = "".join(parts)
        elif len(parts[1]) == 3 and not has_multiplier and parts[0] not in ("0", ""):
            number = "".join(parts)  # "250,000" or "250.000": a thousands separator
        else:
            number = parts[0] + "." + parts[1]  # "1,2 millions", "1.5"
    try:
        return Decimal(number)
    except InvalidOperation:
        return None


def parse_number(text: str) -> int | None:
    """A whole number from "250 000", "1,2 millions", "120万", "٢٥٠٠٠٠" … or None."""
    prepared = unicodedata.normalize("NFKC", sanitize(text)).translate(_DIGITS).casefold()
    match = _NUMBER_RE.search(prepared)
    if match is None:
        bare = _BARE_MILLION_RE.search(prepared)
        if bare or "一百万" in prepared:
            return 1_000_000
        return None
    multiplier_word = match.group("mult")
    value = _to_decimal(match.group("num"), bool(multiplier_word))
    if value is None:
        return None
    if multiplier_word:
        value *= _MULTIPLIER_VALUE[multiplier_word]
    try:
        return int(value.to_integral_value(rounding=ROUND_HALF_UP))
    except (InvalidOperation, OverflowError):
        return None
