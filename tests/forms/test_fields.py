"""Lenient number reading: what officials type is understood, and never silently misread."""

import math

import pytest
from werkzeug.datastructures import MultiDict

from forms.fields import DECIMAL, FIELD_TYPES, GROUPING, parse_boolean, parse_number, parse_year


@pytest.mark.parametrize(("text", "locale", "expected"), [
    ("1234", "en", 1234),
    ("1 234,5", "fr", 1234.5),
    ("1 234,5", "en", 1234.5),
    ("1,234.5", "en", 1234.5),
    ("1,234.5", "fr", 1234.5),
    ("1.234,5", "es", 1234.5),
    ("1,234,567", "en", 1234567),
    ("1.234.567", "fr", 1234567),
    ("12,34,567", "en", 1234567),          # Indian grouping
    ("1\u202f234", "fr", 1234),            # narrow no-break space, as French writes it
    ("1'234.5", "en", 1234.5),             # Swiss apostrophe
    ("١٢٣٤", "ar", 1234),                  # Arabic-Indic digits
    ("١٬٢٣٤٫٥", "ar", 1234.5),             # Arabic separators
    ("۱۲۳", "en", 123),                    # Extended Arabic-Indic (Persian) digits
    ("12,5", "fr", 12.5),
    ("12.5", "fr", 12.5),                  # a dot with one decimal cannot be grouping
    ("0.123", "fr", 0.123),                # a leading zero is never grouped
    ("1,5", "en", 1.5),
    ("45 %", "en", 45),
    ("2e3", "en", 2000),
    ("1,234", "en", 1234),                 # English thousands separator
    ("1.234", "es", 1234),                 # Spanish thousands separator
    ("−5", "en", -5),                      # Unicode minus: parsed; the rules reject it
])
def test_numbers_people_type(text, locale, expected):
    parsed = parse_number(text, locale)
    assert parsed.ok, parsed.error
    assert parsed.value == pytest.approx(expected)


@pytest.mark.parametrize(("text", "locale"), [
    ("1,234", "fr"), ("1,234", "ru"), ("1,234", "es"), ("1.234", "en"), ("1.234", "fr"),
])
def test_ambiguous_values_are_asked_back_not_guessed(text, locale):
    parsed = parse_number(text, locale)
    assert parsed.value is None
    assert parsed.error.id == "ambiguous"
    assert parsed.readings == (1234.0, 1.234)
    # The user's answer resolves it either way.
    assert parse_number(text, locale, meant=GROUPING).value == 1234
    assert parse_number(text, locale, meant=DECIMAL).value == pytest.approx(1.234)


@pytest.mark.parametrize("text", ["abc", "12abc", "1,2,3.4.5", "1.2.3", "--5", "1,23,4", "١٢x"])
def test_text_in_numbers_is_an_error_naming_it(text):
    parsed = parse_number(text, "en")
    assert parsed.error.id == "not_a_number"
    assert parsed.error.params["text"] == text


def test_non_finite_and_huge_input():
    assert parse_number("1e309").error.id == "not_finite"
    assert parse_number("9" * 100_000).error.id == "too_long"
    assert parse_number("inf").error.id == "not_a_number"
    assert parse_number("nan").error.id == "not_a_number"


def test_empty_is_no_answer_not_an_error():
    parsed = parse_number("   ")
    assert parsed.ok and parsed.value is None


def test_booleans_and_years():
    assert parse_boolean("Yes").value is True
    assert parse_boolean("نعم").value is True
    assert parse_boolean("non").value is False
    assert parse_boolean("maybe").error.id == "not_yes_no"
    assert parse_year("٢٠٢٤").value == 2024
    assert parse_year("24").error.id == "not_a_year"


def test_messages_say_how_to_fix():
    text = parse_number("abc").error.render()
    assert "abc" in text and "for example" in text
    assert not math.isnan(parse_number("0").value)


def test_registry_builds_fields_that_keep_raw_text():
    from wtforms import Form

    class DP:
        id, type, label = "x", "number", "Figure"

    class F(Form):
        x = FIELD_TYPES["number"](DP(), str, "fr")

    form = F(formdata=MultiDict({"x": "1,234", "x__meant": "group"}))
    assert form.x.data == "1,234"
    assert form.x.parsed.value == 1234
    form = F(formdata=MultiDict({"x": "douze"}))
    assert not form.validate()
    assert "douze" in form.x.errors[0]
    # Never <input type=number>: browsers would drop "1 234,5".
    assert 'type="text"' in form.x()
