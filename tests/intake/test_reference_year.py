"""A new reference year: last year's values kept and shown, never silently copied."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import DataValue, EvidenceFile, ValueAudit, ValueHistory
from intake.services import gains, reference_years
from intake.services.cities import create_city
from intake.services.values import (
    category_status,
    get_city_values,
    mark_category_complete,
    set_city_values,
)
from tests.intake.test_wizard import ICT, open_workspace, post_step

ICT_KPI = "EC: ICT: ICT: 1C"


@pytest.fixture
def city(app):
    city = create_city(name="Annuel", population=50_000, economy="developed")
    set_city_values(city.id, {"hh_total": 20_000, "pop": 50_000, "hh_internet": 15_000,
                              "udsp_compact": True, "dr_ict_km": None},
                    actor="test", provenance={ICT_KPI: {"reference_year": 2024}})
    mark_category_complete(city.id, ICT, actor="test")
    db.session.add(EvidenceFile(city_id=city.id, kpi_code=ICT_KPI, original_name="a.pdf",
                                stored_name="stored-a", content_type="application/pdf",
                                size=10))
    db.session.commit()
    return city


def test_values_go_to_history_and_the_new_year_starts_empty(app, city):
    closed = reference_years.start_new_reference_year(city.id, 2025, actor="test")
    assert closed == 2024
    history = {row.data_point_id: row for row in db.session.execute(
        select(ValueHistory).where(ValueHistory.city_id == city.id)).scalars()}
    assert history["hh_total"].value == 20_000 and history["hh_total"].reference_year == 2024
    assert history["udsp_compact"].boolean is True
    assert history["dr_ict_km"].value is None  # "not available" is kept as such
    # Nothing is carried silently into the new year's fields.
    assert get_city_values(city.id) == {}
    row = db.session.execute(select(DataValue).where(
        DataValue.city_id == city.id, DataValue.data_point_id == "hh_total")).scalar_one()
    assert row.raw_text == "" and row.previous_value == 20_000
    assert category_status(city.id, ICT) == "in_progress"
    assert db.session.execute(select(ValueAudit).where(
        ValueAudit.reason == "new reference year 2025")).first() is not None
    assert reference_years.previous_year_values(city.id)["hh_total"] == 20_000
    # Evidence stays on record but out of the new year (it was not asked for).
    evidence = db.session.execute(select(EvidenceFile)).scalar_one()
    assert evidence.kpi_code == f"2024|{ICT_KPI}"


def test_evidence_is_carried_forward_on_request(app, city):
    reference_years.start_new_reference_year(city.id, 2025, actor="test", carry_evidence=True)
    assert db.session.execute(select(EvidenceFile)).scalar_one().kpi_code == ICT_KPI


def test_bad_or_repeated_years_are_refused(app, city):
    with pytest.raises(gains.GainsError, match="between 2000"):
        reference_years.start_new_reference_year(city.id, 1999, actor="test")
    reference_years.start_new_reference_year(city.id, 2025, actor="test")
    with pytest.raises(gains.GainsError, match="already been started"):
        reference_years.start_new_reference_year(city.id, 2025, actor="test")
    with pytest.raises(gains.GainsError, match="already been started"):
        reference_years.start_new_reference_year(city.id, 2024, actor="test")


def test_the_wizard_shows_last_year_and_warns_on_a_large_change(client, city, form_post):
    open_workspace(client, city)
    refused = form_post(client, "/w/new-year", {"year": "2025"})
    assert refused.status_code == 422 and "Tick the box to confirm." in refused.text
    bad_year = form_post(client, "/w/new-year", {"year": "20x5", "confirm": "y"})
    assert bad_year.status_code == 422
    started = form_post(client, "/w/new-year", {"year": "2025", "confirm": "y"})
    assert started.status_code == 302
    page = client.get(f"/w/c/{ICT}/0").text
    assert "Last year: 20,000" in page
    response = post_step(client, ICT, 0, {"dp_hh_total": "60 000", "dp_pop": "50 000"})
    assert "This changed from 20,000 last year to 60,000" in response.text
