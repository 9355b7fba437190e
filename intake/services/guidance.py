"""Less to type: the year a city reports, and provenance offered from the KPI before."""

from __future__ import annotations

from sqlalchemy import func, select

from forms.builder import kpi_field_prefix
from intake.extensions import db
from intake.models._types import utcnow
from intake.models.values import KpiProvenance
from intake.services import values as value_service


def reference_year(city_id: int) -> int:
    """The year to report: the one the city already gives most, else last calendar year."""
    row = db.session.execute(
        select(KpiProvenance.reference_year, func.count())
        .where(KpiProvenance.city_id == city_id, KpiProvenance.reference_year.is_not(None))
        .group_by(KpiProvenance.reference_year)
        .order_by(func.count().desc(), KpiProvenance.reference_year.desc())).first()
    return row[0] if row is not None else utcnow().year - 1


def offer_previous_provenance(city_id: int, step, formdata: dict) -> list[str]:
    """Fill empty source, quality and year from the previous KPI of the same category.

    Only what is shown is changed, nothing is saved: the person checks it and saves. Returns
    the codes of the KPIs that were offered "same as above".
    """
    kpis = value_service.catalog().kpis_in(step.category_id)
    codes = [k.code for k in kpis]
    rows = value_service.provenance_rows(city_id, codes)
    offered = []
    for kpi in step.kpis:
        prefix = kpi_field_prefix(kpi.code)
        fields = (prefix + "__tier", prefix + "__source", prefix + "__year")
        if any(formdata.get(name) for name in fields):
            continue
        previous = None
        for code in reversed(codes[:codes.index(kpi.code)]):
            row = rows.get(code)
            if row is not None and (row.source or row.quality_tier or row.reference_year):
                previous = row
                break
        if previous is None:
            continue
        formdata[fields[0]] = previous.quality_tier or ""
        formdata[fields[1]] = previous.source or ""
        formdata[fields[2]] = str(previous.reference_year or previous.reference_year_text or "")
        offered.append(kpi.code)
    return offered
