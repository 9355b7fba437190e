"""The U4SSC KPI catalog as frozen objects, loaded and checked from versioned data files.

- `forms.catalog.model`: the frozen objects (KPI, DataPoint, Category, Target, Catalog...);
- `forms.catalog.loading`: reading, validating and building them (`load_catalog`);
- `forms.catalog.serialise`: the catalog as plain JSON-ready data (`catalog_as_dict`).

The names below are re-exported so `from forms.catalog import load_catalog` keeps working.
"""

from forms.catalog.loading import (
    CATALOG_DIR,
    DEFAULT_BENCHMARKS,
    DEFAULT_CATALOG,
    build_catalog,
    load_catalog,
)
from forms.catalog.model import (
    KPI,
    MANUAL_PAGE,
    Catalog,
    CatalogError,
    Category,
    DataPoint,
    Dimension,
    Formula,
    Localized,
    ScoredItem,
    SubDimension,
    Target,
)
from forms.catalog.serialise import catalog_as_dict
from forms.catalog_schema import LANGUAGES

__all__ = [
    "CATALOG_DIR", "DEFAULT_BENCHMARKS", "DEFAULT_CATALOG", "KPI", "LANGUAGES", "MANUAL_PAGE",
    "Catalog", "CatalogError", "Category", "DataPoint", "Dimension", "Formula", "Localized",
    "ScoredItem", "SubDimension", "Target", "build_catalog", "catalog_as_dict", "load_catalog",
]
