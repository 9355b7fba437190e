"""Where a city usually finds each KPI's figures, in six languages (data, checked on load)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from forms.catalog.loading import load_catalog
from forms.catalog.model import Catalog, CatalogError
from forms.catalog_schema import LANGUAGES

SOURCES_FILE = Path(__file__).parent / "catalogs" / "u4ssc-kpi-sources.json"


@dataclass(frozen=True)
class KpiSources:
    """Places by id (each in every language), per category and per KPI override."""

    places: MappingProxyType  # place id → {language: text}
    by_category: MappingProxyType  # category id → (place id, ...)
    by_kpi: MappingProxyType  # KPI code → (place id, ...)

    def place_ids(self, kpi_code: str, category_id: str) -> tuple[str, ...]:
        return self.by_kpi.get(kpi_code) or self.by_category.get(category_id, ())

    def where_found(self, kpi_code: str, category_id: str, lang: str) -> tuple[str, ...]:
        """The places, in `lang` (English where a language is missing)."""
        return tuple(self.places[p].get(lang) or self.places[p]["en"]
                     for p in self.place_ids(kpi_code, category_id))


def _fail(message: str) -> None:
    raise CatalogError(f"{SOURCES_FILE.name}: {message}")


def build_sources(data: dict, catalog: Catalog) -> KpiSources:
    """Check the data against the catalog (every category covered, no unknown id)."""
    places = data.get("sources")
    if not isinstance(places, dict) or not places:
        _fail("'sources' must be a non-empty object")
    for place_id, texts in places.items():
        missing = [lang for lang in LANGUAGES if not (texts or {}).get(lang)]
        if missing:
            _fail(f"source {place_id!r} has no text in {', '.join(missing)}")
    categories = {c.id for c in catalog.categories}
    kpi_codes = {k.code for k in catalog.kpis}

    def places_of(where: str, ids) -> tuple[str, ...]:
        if not isinstance(ids, list) or not ids:
            _fail(f"{where}: a non-empty list of sources is expected")
        unknown = [p for p in ids if p not in places]
        if unknown:
            _fail(f"{where}: unknown source {unknown[0]!r}")
        return tuple(ids)

    by_category = {}
    for category_id, ids in (data.get("categories") or {}).items():
        if category_id not in categories:
            _fail(f"unknown category {category_id!r}")
        by_category[category_id] = places_of(f"category {category_id!r}", ids)
    uncovered = sorted(categories - set(by_category))
    if uncovered:
        _fail(f"category {uncovered[0]!r} has no sources")
    by_kpi = {}
    for code, ids in (data.get("kpis") or {}).items():
        if code not in kpi_codes:
            _fail(f"unknown KPI {code!r}")
        by_kpi[code] = places_of(f"KPI {code!r}", ids)
    return KpiSources(MappingProxyType({k: MappingProxyType(dict(v)) for k, v in places.items()}),
                      MappingProxyType(by_category), MappingProxyType(by_kpi))


@lru_cache(maxsize=4)
def _load(path: str, catalog_id: int) -> KpiSources:
    with open(path, encoding="utf-8") as handle:
        return build_sources(json.load(handle), load_catalog())


def load_kpi_sources(path: Path | None = None) -> KpiSources:
    """The where-to-find hints for the current catalog (loaded once per catalog)."""
    return _load(str(path or SOURCES_FILE), id(load_catalog()))
