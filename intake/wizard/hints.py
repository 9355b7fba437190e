"""Template helpers of the city team: where figures are found, the year, the pipeline columns."""

from __future__ import annotations

from babel.lists import format_list
from flask import render_template

from forms.sources import load_kpi_sources
from intake.wizard import bp


@bp.app_template_global("kpi_where_found")
def kpi_where_found(kpi, lang: str) -> str:
    """The places a KPI's figures usually come from, as one list in `lang`."""
    places = load_kpi_sources().where_found(kpi.code, kpi.category, lang)
    return format_list(list(places), locale=lang) if places else ""


def category_intro(category_kpis, reference_year: int) -> str:
    """The line at the top of each step: the year to report, required and optional KPIs."""
    required = [k for k in category_kpis if k.level == "core"]
    optional = [k for k in category_kpis if k.level != "core"]
    return render_template("wizard/_category_intro.html", year=reference_year,
                           required=len(required), optional=len(optional))


@bp.app_template_global("collection_status")
def collection_status(rows) -> dict:
    """Deadline, on-time rate and last activity for the pipeline's rows (three queries)."""
    from intake.services.reminders import collection_status as status

    return status([row.city.id for row in rows])
