"""Where each KPI's figures are usually found: the data file covers the catalog in six languages."""

from __future__ import annotations

import pytest

from forms.catalog.loading import load_catalog
from forms.catalog.model import CatalogError
from forms.catalog_schema import LANGUAGES
from forms.sources import build_sources, load_kpi_sources


def test_every_kpi_has_a_place_in_every_language():
    catalog = load_catalog()
    sources = load_kpi_sources()
    for kpi in catalog.kpis:
        for lang in LANGUAGES:
            places = sources.where_found(kpi.code, kpi.category, lang)
            assert places and all(p.strip() for p in places), (kpi.code, lang)


def test_a_kpi_override_wins_over_its_category():
    sources = load_kpi_sources()
    assert sources.where_found("SC: SH: SA: 6C", "sc-safety", "en") == (
        "the police and emergency services",)
    assert sources.where_found("EC: P: IN: 2C", "ec-innovation", "en")[0] == \
        "the national patent office"


@pytest.mark.parametrize(("data", "complaint"), [
    ({"sources": {"x": {"en": "x"}}, "categories": {}}, "no text in fr"),
    ({"sources": {"x": dict.fromkeys(LANGUAGES, "x")}, "categories": {"nope": ["x"]}},
     "unknown category"),
    ({"sources": {"x": dict.fromkeys(LANGUAGES, "x")}, "categories": {}}, "has no sources"),
])
def test_a_broken_data_file_is_refused_with_the_reason(data, complaint):
    with pytest.raises(CatalogError, match=complaint):
        build_sources(data, load_catalog())
