"""Verified means frozen: nobody changes a verified city's figures until verification reopens."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from intake.extensions import db
from intake.models import City, ProgrammeStage
from intake.models.pipeline import StageChange
from intake.models.values import ValueAudit
from intake.services import publication, reference_years, reports, verification
from intake.services.api_tokens import create_token
from intake.services.cities import create_city
from intake.services.links import workspace_token
from intake.services.values import (
    CityFrozen,
    category_status,
    get_city_values,
    mark_category_complete,
    set_city_values,
)
from tests.conftest import csrf_token_from
from tests.intake.test_accounts import make_staff, sign_in
from tests.intake.test_wizard import DRAINAGE, post_step

S = ProgrammeStage
KPI = "EC: ICT: D: 1A"


@pytest.fixture
def staff(app):
    secretariat = make_staff()
    verifier = make_staff(email="vera@example.org", role="verifier", name="Vera")
    return {"secretariat": secretariat, "verifier": verifier}


@pytest.fixture
def city(app, staff):
    city = create_city(name="Frostby", population=50_000, focal_point_email="fp@frostby.example")
    set_city_values(city.id, {"dr_km": 200, "dr_ict_km": 50}, actor="test")
    mark_category_complete(city.id, DRAINAGE, actor="test")
    from intake.services import pipeline

    pipeline.assign_verifier(city.id, staff["verifier"].id, actor=staff["secretariat"])
    verification.mark_kpi(city.id, KPI, "verified", actor=staff["verifier"])
    db.session.execute(update(City).where(City.id == city.id).values(stage=S.VERIFIED))
    db.session.commit()
    return city


def city_client(app, city):
    client = app.test_client()
    assert client.get(f"/w/{workspace_token(city)}").status_code == 302
    return client


def test_a_verified_city_cannot_reopen_a_category_or_change_a_figure(app, city):
    """Probe finding 2, through the workspace."""
    client = city_client(app, city)
    review = client.get(f"/w/c/{DRAINAGE}/review")
    assert review.status_code == 200
    assert "ask the U4SSC secretariat to reopen verification" in review.text
    assert f"/w/c/{DRAINAGE}/reopen" not in review.text
    refused = client.post(f"/w/c/{DRAINAGE}/reopen",
                          data={"csrf_token": csrf_token_from(review.text)})
    assert refused.status_code == 409
    assert "verified and can no longer be changed" in refused.text
    assert category_status(city.id, DRAINAGE) == "complete"
    post_step(client, DRAINAGE, 0, {"dp_dr_km": "999", "dp_dr_ict_km": "5"})
    assert get_city_values(city.id)["dr_km"] == 200
    # No service writes them either: every writer goes through the same check.
    with pytest.raises(CityFrozen):
        set_city_values(city.id, {"dr_km": 1}, actor="test")
    db.session.rollback()
    with pytest.raises(CityFrozen):
        reference_years.start_new_reference_year(city.id, 2026, actor="test")
    db.session.rollback()
    assert get_city_values(city.id)["dr_km"] == 200


@pytest.mark.parametrize("stage", [S.VERIFIED, S.PUBLISHED])
def test_no_api_token_rewrites_a_verified_citys_values(app, client, city, staff, stage):
    """Probe finding 2, through the API: 409 for the secretariat, 403 for a verifier."""
    db.session.execute(update(City).where(City.id == city.id).values(stage=stage))
    db.session.commit()
    url = f"/api/v1/cities/{city.id}/values/dr_km"
    _row, secretariat_token = create_token(staff["secretariat"], "nightly")
    _row, verifier_token = create_token(staff["verifier"], "checks")
    for token, expected in ((secretariat_token, 409), (verifier_token, 403)):
        auth = {"Authorization": f"Bearer {token}"}
        etag = client.get(url, headers=auth).headers["ETag"]
        response = client.put(url, json={"value": 1}, headers={**auth, "If-Match": etag})
        assert response.status_code == expected, response.json
        assert response.json["error"]["code"] == expected
    assert response.json["error"]["code"] == 403
    auth = {"Authorization": f"Bearer {secretariat_token}"}
    frozen = client.put(url, json={"value": 1}, headers={
        **auth, "If-Match": client.get(url, headers=auth).headers["ETag"]})
    assert "reopen verification" in frozen.json["error"]["detail"]
    assert get_city_values(city.id)["dr_km"] == 200


def test_a_verifier_never_writes_figures_even_while_in_verification(app, client, city, staff):
    db.session.execute(update(City).where(City.id == city.id).values(stage=S.IN_VERIFICATION))
    db.session.commit()
    url = f"/api/v1/cities/{city.id}/values/dr_km"
    _row, token = create_token(staff["verifier"], "checks")
    auth = {"Authorization": f"Bearer {token}"}
    etag = client.get(url, headers=auth).headers["ETag"]
    assert client.put(url, json={"value": 3}, headers={**auth, "If-Match": etag}
                      ).status_code == 403


def test_the_secretariat_reopens_verification_with_a_reason(app, city, staff, form_post):
    publication.give_consent(city.id, actor="test", include_initiatives=False)
    db.session.execute(update(City).where(City.id == city.id).values(stage=S.PUBLISHED))
    db.session.commit()
    public_url = f"/cities/{publication.consent_of(city.id).public_id}"
    visitor = app.test_client()
    assert visitor.get(public_url).status_code == 200
    page = f"/staff/cities/{city.id}"
    url = f"/staff/cities/{city.id}/reopen-verification"

    verifier = app.test_client()
    sign_in(verifier, email="vera@example.org")
    assert "Reopen verification" not in verifier.get(page).text
    assert form_post(verifier, url, {"reason": "x"}, page_url=page).status_code == 403

    staff_client = app.test_client()
    sign_in(staff_client)
    assert "Reopen verification" in staff_client.get(page).text
    assert staff_client.post(url, data={"reason": "no CSRF token"}).status_code == 400
    empty = form_post(staff_client, url, {"reason": "  "}, page_url=page)
    assert empty.status_code == 400
    db.session.refresh(city)
    assert city.stage == S.PUBLISHED

    done = form_post(staff_client, url, {"reason": "The drainage length was mistyped."},
                     page_url=page)
    assert done.status_code == 302
    db.session.refresh(city)
    assert city.stage == S.IN_VERIFICATION
    # The public page and the certificate are down until verified again.
    assert visitor.get(public_url).status_code == 404
    assert not reports.has_certificate(city)
    assert not staff_client.get(f"/staff/verify/{city.id}/certificate.pdf").data.startswith(
        b"%PDF")
    # The verdicts are flagged for re-check, and the reason is on record.
    assert verification.verdicts(city.id)[KPI].status == "pending"
    assert "mistyped" in verification.verdicts(city.id)[KPI].note
    change = db.session.execute(select(StageChange).where(
        StageChange.city_id == city.id).order_by(StageChange.id.desc())).scalars().first()
    assert change.to_stage == S.IN_VERIFICATION and "mistyped" in change.note
    audit = db.session.execute(select(ValueAudit).where(
        ValueAudit.city_id == city.id, ValueAudit.data_point_id == verification.REOPENED_MARK)
    ).scalar_one()
    assert "mistyped" in audit.reason and audit.old_text == "published"
    assert "mistyped" in verification.audit_csv(city.id)
    # Now the city can correct the figure.
    client = city_client(app, city)
    review = client.get(f"/w/c/{DRAINAGE}/review").text
    assert client.post(f"/w/c/{DRAINAGE}/reopen",
                       data={"csrf_token": csrf_token_from(review)}).status_code == 302
    assert post_step(client, DRAINAGE, 0, {"dp_dr_km": "210", "dp_dr_ict_km": "50"}
                     ).status_code == 302
    assert get_city_values(city.id)["dr_km"] == 210
    # A city that is not verified cannot be "reopened".
    again = form_post(staff_client, url, {"reason": "again"}, page_url=page)
    assert again.status_code in (400, 409)


def test_moving_a_verified_city_back_flags_the_verdicts(app, city, staff):
    from intake.services import pipeline

    pipeline.move_city(city.id, S.IN_VERIFICATION, actor=staff["secretariat"],
                       note="One figure to check again.")
    assert verification.verdicts(city.id)[KPI].status == "pending"
