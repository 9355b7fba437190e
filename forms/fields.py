"""Field-type registry: data point type name → WTForms field builder, and lenient parsing."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import get_decimal_symbol, get_group_symbol
from wtforms import fields as wt
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value

from forms.rules import MAX_NUMBER_LENGTH, N_, Message, message

# Arabic-Indic (U+0660…) and Extended Arabic-Indic / Persian (U+06F0…) digits, plus the
# Arabic decimal and thousands separators, mapped onto the ASCII a parser understands.
_DIGITS = {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)},
           0x066B: "\x01", 0x066C: "\x02", 0x060C: ",", 0x2212: "-", 0xFE63: "-", 0xFF0D: "-"}
# Spaces of every kind, and the apostrophes Swiss writers group with, only ever group digits.
_GROUP_CHARS = re.compile(r"[\s\u00a0\u2007\u2009\u202f'’_]")
_SHAPE = re.compile(r"^[+-]?[0-9.,\x01\x02]+(?:[eE][+-]?[0-9]+)?$")

YES_WORDS = {"yes", "y", "true", "1", "oui", "sí", "si", "да", "نعم", "是", "on"}
NO_WORDS = {"no", "n", "false", "0", "non", "нет", "لا", "否", "off"}

GROUPING = "group"
DECIMAL = "decimal"
# The user's answer to "this is a percentage: did you mean that share of the total?"
PERCENT_OF_TOTAL = "percent"


@dataclass(frozen=True)
class Parsed:
    """The outcome of reading what a user typed: a value, an error, or two readings."""

    value: float | bool | None = None
    error: Message | None = None
    # For "1,234" where both 1234 and 1.234 are plausible: (as grouping, as decimal).
    readings: tuple[float, float] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def normalise_digits(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_DIGITS)
    return text.strip()


def _symbols(locale: str) -> tuple[str, str]:
    try:
        return get_decimal_symbol(locale), get_group_symbol(locale)
    except Exception:  # an unknown locale reads like English
        return ".", ","


def _grouped_ok(integer_part: str, separator: str) -> bool:
    """1,234,567 (groups of three) or the Indian 12,34,567 (twos, then a final three)."""
    groups = integer_part.split(separator)
    if not groups[0] or len(groups[0]) > 3 or any(not g.isdigit() for g in groups):
        return False
    tail = groups[1:]
    if all(len(g) == 3 for g in tail):
        return True
    return len(tail) >= 2 and len(tail[-1]) == 3 and all(len(g) == 2 for g in tail[:-1])


def parse_number(text: str | None, locale: str = "en", meant: str | None = None) -> Parsed:
    """Read a number the way people type it: "1 234,5", "1,234.5", "١٢٣٤", "12 %".

    A lone separator followed by exactly three digits ("1,234") is ambiguous unless it is
    the locale's own thousands separator; then `meant` ("group" or "decimal") decides,
    and without it the user is asked rather than the value guessed.
    """
    raw = (text or "").strip()
    if not raw:
        return Parsed()
    if len(raw) > MAX_NUMBER_LENGTH:
        return Parsed(error=message("too_long"))
    cleaned = normalise_digits(raw)
    cleaned = cleaned.rstrip("%٪").strip()
    cleaned = _GROUP_CHARS.sub("", cleaned)
    not_number = Parsed(error=message("not_a_number", text=raw))
    if not _SHAPE.match(cleaned):
        return not_number
    sign = ""
    if cleaned[0] in "+-":
        sign, cleaned = cleaned[0].replace("+", ""), cleaned[1:]
    mantissa, _, exponent = cleaned.lower().partition("e")
    exponent = f"e{exponent}" if exponent else ""
    decimal_symbol, group_symbol = _symbols(locale)
    number, readings = _read_mantissa(mantissa, decimal_symbol, group_symbol, meant)
    if readings is not None:
        grouped, decimal = (float(sign + r + exponent) for r in readings)
        return Parsed(error=message("ambiguous", text=raw, grouped=grouped, decimal=decimal),
                      readings=(grouped, decimal))
    if number is None:
        return not_number
    try:
        value = float(Decimal(sign + number + exponent))
    except (InvalidOperation, ValueError, OverflowError):
        return not_number
    if not math.isfinite(value):
        return Parsed(error=message("not_finite"))
    return Parsed(value=value)


def _read_mantissa(text: str, decimal_symbol: str, group_symbol: str,
                   meant: str | None) -> tuple[str | None, tuple[str, str] | None]:
    """Return (plain digits with '.' as decimal point, None) or (None, two readings)."""
    # The Arabic separators are unambiguous whatever the locale.
    if "\x01" in text or "\x02" in text:
        integer, _, fraction = text.replace("\x02", "").partition("\x01")
        if not integer.isdigit() or (fraction and not fraction.isdigit()) or "\x01" in fraction:
            return None, None
        return integer + ("." + fraction if fraction else ""), None
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        group = "." if decimal == "," else ","
        integer, _, fraction = text.rpartition(decimal)
        if group in fraction or not fraction.isdigit() or not _grouped_ok(integer, group):
            return None, None
        return integer.replace(group, "") + "." + fraction, None
    if not commas and not dots:
        return (text if text.isdigit() else None), None
    separator = "," if commas else "."
    if commas + dots > 1:
        # Several of the same separator can only be grouping: 1.234.567 or 1,234,567.
        return (text.replace(separator, "") if _grouped_ok(text, separator) else None), None
    integer, _, fraction = text.partition(separator)
    if not fraction.isdigit() or (integer and not integer.isdigit()):
        return None, None
    as_decimal = (integer or "0") + "." + fraction
    could_group = len(fraction) == 3 and 1 <= len(integer) <= 3 and integer[:1] not in ("", "0")
    if not could_group:
        return as_decimal, None
    as_group = integer + fraction
    if meant == GROUPING:
        return as_group, None
    if meant == DECIMAL:
        return as_decimal, None
    if separator == group_symbol:
        return as_group, None
    return None, (as_group, as_decimal)


def parse_boolean(text: str | None) -> Parsed:
    raw = normalise_digits(text or "").lower()
    if not raw:
        return Parsed()
    if raw in YES_WORDS:
        return Parsed(value=True)
    if raw in NO_WORDS:
        return Parsed(value=False)
    return Parsed(error=message("not_yes_no"))


def parse_year(text: str | None, locale: str = "en") -> Parsed:
    raw = normalise_digits(text or "")
    if not raw:
        return Parsed()
    if len(raw) > MAX_NUMBER_LENGTH:
        return Parsed(error=message("too_long"))
    if not re.fullmatch(r"[0-9]{4}", raw):
        return Parsed(error=message("not_a_year"))
    return Parsed(value=float(raw))


def parse_value(dp_type: str, text: str | None, locale: str = "en",
                meant: str | None = None) -> Parsed:
    """Parse raw text for a data point type; errors carry no data point id (callers add it).

    A percentage typed into a count ("95 %" where persons are counted) is never taken as
    the count: see `read_count` for the conversion a caller can offer.
    """
    if dp_type == "boolean":
        return parse_boolean(text)
    if dp_type == "year":
        return parse_year(text, locale)
    if dp_type == "count" and typed_percent(text, locale) is not None:
        return Parsed(error=message("percent_in_count", text=(text or "").strip()))
    return parse_number(text, locale, None if meant == PERCENT_OF_TOTAL else meant)


def typed_percent(text: str | None, locale: str = "en") -> float | None:
    """The number in "95 %" / "95٪" (a share typed where a count is asked), else None."""
    raw = (text or "").strip()
    if not raw.endswith(("%", "٪")):
        return None
    return parse_number(raw, locale).value


def read_count(text: str | None, locale: str = "en", meant: str | None = None, *,
               total: float | None = None, total_label: str = "") -> Parsed:
    """A count as typed. A percentage is refused as a count; with the total it is a share
    of known (households, population …) the refusal offers that share, converted, and
    `meant == PERCENT_OF_TOTAL` (the user's choice) takes it."""
    percent = typed_percent(text, locale)
    if percent is None:
        return parse_value("count", text, locale, meant)
    raw = (text or "").strip()
    if total is None or total <= 0 or not 0 <= percent <= 100:
        return Parsed(error=message("percent_in_count", text=raw))
    converted = float(round(percent / 100 * total))
    if meant == PERCENT_OF_TOTAL:
        return Parsed(value=converted)
    return Parsed(error=message("percent_in_count_total", text=raw, percent=percent,
                                total=total, total_label=total_label, converted=converted))


# ------------------------------------------------------------------------------ fields
class NumberTextField(wt.StringField):
    """A text input (never type=number: browsers drop "1 234,5") that keeps the raw text.

    The companion input `<name>__meant` carries the user's answer to an ambiguity question.
    """

    widget_input_mode = "decimal"

    def __init__(self, label=None, validators=None, dp_type: str = "number",
                 locale: str = "en", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.dp_type = dp_type
        self.locale = locale
        self.meant: str | None = None

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data, extra_filters)
        if formdata is not None:
            meant = formdata.get(self.name + "__meant")
            self.meant = meant if meant in (GROUPING, DECIMAL) else None

    @property
    def parsed(self) -> Parsed:
        return parse_value(self.dp_type, self.data, self.locale, self.meant)

    def pre_validate(self, form):
        parsed = self.parsed
        if parsed.error is not None:
            raise wt.core.StopValidation(parsed.error.render())


def _number_field(data_point: Any, translate: Callable[[str], str], locale: str):
    return NumberTextField(translate(str(data_point.label)) if data_point.label else "",
                           dp_type=data_point.type, locale=locale,
                           render_kw={"inputmode": "decimal" if data_point.type != "count"
                                      or getattr(data_point, "fte", False) else "numeric",
                                      "autocomplete": "off",
                                      "maxlength": str(MAX_NUMBER_LENGTH)})


def _boolean_field(data_point: Any, translate: Callable[[str], str], locale: str):
    return wt.RadioField(translate(str(data_point.label)) if data_point.label else "",
                         choices=[SelectChoice("yes", translate(N_("Yes"))),
                                  SelectChoice("no", translate(N_("No")))],
                         validate_choice=False)


def _year_field(data_point: Any, translate: Callable[[str], str], locale: str):
    return NumberTextField(translate(str(data_point.label)) if data_point.label else "",
                           dp_type="year", locale=locale,
                           render_kw={"inputmode": "numeric", "autocomplete": "off",
                                      "maxlength": "4"})


FieldBuilder = Callable[[Any, Callable[[str], str], str], Any]

FIELD_TYPES: dict[str, FieldBuilder] = {
    "count": _number_field,
    "number": _number_field,
    "percent": _number_field,
    "boolean": _boolean_field,
    "year": _year_field,
}


def register_field_type(name: str, builder: FieldBuilder) -> None:
    FIELD_TYPES[name] = builder


def field_for(data_point: Any, *, translate: Callable[[str], str] = str, locale: str = "en"):
    """An unbound WTForms field for a catalog data point."""
    try:
        builder = FIELD_TYPES[data_point.type]
    except KeyError:
        raise ValueError(f"data point {data_point.id}: unknown type {data_point.type!r}") from None
    return builder(data_point, translate, locale)


def format_plain(value: float | bool | None) -> str:
    """A parsed value as unambiguous ASCII text (1234.5, no grouping) for storage and files."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))
