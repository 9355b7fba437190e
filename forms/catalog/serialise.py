"""The catalog as plain, JSON-ready data in one language (for the JSON API and templates)."""

from __future__ import annotations

from forms.catalog.model import KPI, Catalog, DataPoint, Target


def _target_dict(target: Target | None) -> dict | None:
    if target is None:
        return None
    return {"value": target.value, "direction": target.direction, "basis": target.basis,
            "confidence": target.confidence, "version": target.version}


def _data_point_dict(point: DataPoint, lang: str) -> dict:
    return {"id": point.id, "label": point.label.get(lang), "help": point.help.get(lang),
            "type": point.type, "unit": point.unit.get(lang), "minimum": point.minimum,
            "maximum": point.maximum, "shared": point.shared, "part_of": point.part_of,
            "fte": point.fte,
            "typical_range": list(point.typical_range) if point.typical_range else None}


def catalog_as_dict(catalog: Catalog, lang: str = "en") -> dict:
    """The whole catalog as JSON-ready data in one language (English where untranslated)."""

    def kpi_dict(kpi: KPI) -> dict:
        return {
            "code": kpi.code, "name": kpi.name.get(lang), "description": kpi.description.get(lang),
            "sub_dimension": kpi.sub_dimension, "level": kpi.level, "kind": kpi.kind,
            "unit": kpi.unit.get(lang), "sdgs": list(kpi.sdgs),
            "formula": {"kind": kpi.formula.kind, "text": kpi.formula_text.get(lang)},
            "manual_pages": list(kpi.manual_urls),
            "data_points": [_data_point_dict(p, lang) for p in kpi.data_points],
            "items": [{"id": item.id, "part": item.part, "label": item.label.get(lang),
                       "unit": item.unit.get(lang), "target": _target_dict(item.target)}
                      for item in kpi.items],
        }

    return {
        "version": catalog.version,
        "benchmark_version": catalog.benchmark_version,
        "benchmark_provisional": catalog.benchmark_provisional,
        "language": lang,
        "shared_inputs": [_data_point_dict(p, lang) for p in catalog.shared_inputs],
        "dimensions": [
            {"id": dim.id, "name": dim.name.get(lang),
             "sub_dimensions": [{"id": s, "name": catalog.sub_dimension(s).name.get(lang)}
                                for s in dim.sub_dimensions],
             "categories": [{"id": cat.id, "name": cat.name.get(lang),
                             "kpis": [kpi_dict(k) for k in catalog.kpis_in(cat.id)]}
                            for cat in catalog.categories_in(dim.id)]}
            for dim in catalog.dimensions
        ],
    }
