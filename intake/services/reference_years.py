"""Reference years: close the current data as last year's and open the next year."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from intake.extensions import db
from intake.models.city import City
from intake.models.gains import ValueHistory
from intake.models.values import EvidenceFile
from intake.services.gains import GainsError


def history_years(city_id: int) -> list[int]:
    return list(db.session.execute(
        select(ValueHistory.reference_year).where(ValueHistory.city_id == city_id)
        .distinct().order_by(ValueHistory.reference_year)).scalars())


def previous_year_values(city_id: int) -> dict[str, float | bool | None]:
    """The values of the latest closed reference year, by data point id (empty if none)."""
    latest = db.session.execute(
        select(func.max(ValueHistory.reference_year)).where(ValueHistory.city_id == city_id)
    ).scalar_one_or_none()
    if latest is None:
        return {}
    rows = db.session.execute(select(ValueHistory).where(
        ValueHistory.city_id == city_id, ValueHistory.reference_year == latest)).scalars()
    return {row.data_point_id: row.boolean if row.boolean is not None else row.value
            for row in rows}


def _closing_year(city_id: int, new_year: int) -> int:
    from intake.models.values import KpiProvenance

    reported = db.session.execute(
        select(func.max(KpiProvenance.reference_year)).where(
            KpiProvenance.city_id == city_id, KpiProvenance.reference_year < new_year)
    ).scalar_one_or_none()
    return reported if reported is not None else new_year - 1


def start_new_reference_year(city_id: int, year: int, *, actor: str,
                             carry_evidence: bool = False) -> int:
    """Close the current data as last year's and open every category for `year`.

    The current values go into ValueHistory under the year they describe; the new year's
    fields start empty, with last year's figure shown beside them (and used for the
    large-change warning), never silently copied. Evidence files stay attached to the new
    year only when `carry_evidence`; otherwise they are filed under the closed year (kept,
    not deleted). Returns the closed year.
    """
    from intake.models.values import KpiProvenance
    from intake.services import values as value_service

    city = db.session.get(City, city_id)
    if city is None:
        raise GainsError(_("This city does not exist."))
    this_year = datetime.now(UTC).year
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= this_year + 1:
        raise GainsError(_("Choose a reference year between 2000 and %(last)s.",
                           last=str(this_year + 1)))
    closing = _closing_year(city_id, year)
    if closing in history_years(city_id) or any(y >= year for y in history_years(city_id)):
        raise GainsError(_("The reference year %(year)s has already been started.",
                           year=str(year)))
    rows = value_service.value_rows(city_id)
    entries = []
    for dp_id, row in rows.items():
        if not (row.not_available or row.valid):
            continue  # a draft that never parsed is not a figure of the closed year
        value = row.value
        db.session.add(ValueHistory(
            city_id=city_id, reference_year=closing, data_point_id=dp_id,
            value=None if isinstance(value, bool) else value,
            boolean=value if isinstance(value, bool) else None))
        previous = None if isinstance(value, bool) else value
        entries.append(value_service.Entry(dp_id, "", None, valid=False,
                                           previous_value=previous))
    value_service.store_entries(city_id, entries, actor=actor,
                                reason=f"new reference year {year}", keep_previous=False)
    for provenance in db.session.execute(
            select(KpiProvenance).where(KpiProvenance.city_id == city_id)).scalars():
        provenance.reference_year = None
        provenance.reference_year_text = None
    if not carry_evidence:
        for record in db.session.execute(
                select(EvidenceFile).where(EvidenceFile.city_id == city_id)).scalars():
            if "|" not in record.kpi_code:
                # Filed under the closed year: out of the new year's forms, still on record.
                record.kpi_code = f"{closing}|{record.kpi_code}"[:40]
    db.session.commit()
    for category_id, state in value_service.category_states(city_id).items():
        if state.status == "complete":
            value_service.reopen_category(city_id, category_id, actor=actor)
    return closing
