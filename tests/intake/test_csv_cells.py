"""CSV exports never hand a spreadsheet a formula, in `,` and in `;`-separated locales."""

from __future__ import annotations

import csv
import io

import pytest

from intake.services.cities import create_city
from intake.services.csv_cells import safe_cell
from intake.services.values import set_city_values
from intake.services.workbook import export_csv


@pytest.mark.parametrize(("cell", "safe"), [
    ("=1+1", "'=1+1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("Utility; =HYPERLINK(\"http://evil\")", "Utility; '=HYPERLINK(\"http://evil\")"),
    ("a;+cmd|' /C calc'!A0", "a;'+cmd|' /C calc'!A0"),
    ("a;@SUM(1)", "a;'@SUM(1)"),
    ("a;-2+3", "a;'-2+3"),
    ("-12.5", "-12.5"),       # a plain number stays a number
    ("a;-12,5", "a;-12,5"),   # also after a `;`, with a decimal comma
    ("Census 2020; table 3", "Census 2020; table 3"),
    (42, 42),
])
def test_safe_cell(cell, safe):
    assert safe_cell(cell) == safe


def test_a_semicolon_locale_sees_no_formula_in_the_city_export(app):
    city = create_city(name="Semicolon", population=40_000)
    set_city_values(city.id, {"hh_total": 10_000, "hh_internet": 6_000}, actor="seed",
                    provenance={"EC: ICT: ICT: 1C": {
                        "quality_tier": "accurate",
                        "source": 'Utility;=HYPERLINK("http://evil.example")',
                        "reference_year": 2024}})
    text = export_csv(city.id)
    # What French or German Excel sees: every `,`-field split again at each `;`.
    pieces = [piece for row in csv.reader(io.StringIO(text)) for field in row
              for piece in field.split(";")]
    assert "Utility" in pieces
    assert not [piece for piece in pieces if piece.lstrip().startswith(("=", "+", "@"))]
