"""Reading and writing a city's values through the API: ETags, If-Match, audit, rescoring."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models.score import CategoryScore
from intake.models.values import DataValue, ValueAudit
from intake.services import values as value_service
from intake.services.cities import create_city
from tests.intake.test_api_auth import bearer, staff_with_token

DP = "hh_internet"  # a count: households with Internet access


@pytest.fixture
def token(app):
    return staff_with_token()[1]


@pytest.fixture
def city(app):
    city = create_city(name="Bizerte", population=142_966, country="TN")
    value_service.set_city_values(city.id, {DP: 30_000, "hh_total": 40_000}, actor="city",
                                  provenance={DP: {"source": "INS census", "quality_tier":
                                                   "official", "reference_year": 2023}})
    return city


def url(city, dp=DP) -> str:
    return f"/api/v1/cities/{city.id}/values/{dp}"


def stored(city_id: int, dp=DP):
    db.session.expire_all()
    return db.session.execute(select(DataValue).where(
        DataValue.city_id == city_id, DataValue.data_point_id == dp)).scalar_one_or_none()


def audit_count() -> int:
    return db.session.execute(select(func.count()).select_from(ValueAudit)).scalar()


def test_get_gives_the_value_with_an_etag(client, city, token):
    response = client.get(url(city), headers=bearer(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["value"] == 30_000 and body["version"] == 1 and body["stored"] is True
    assert body["kpi_codes"] and body["type"] == "count"
    etag = response.headers["ETag"]
    again = client.get(url(city), headers={**bearer(token), "If-None-Match": etag})
    assert again.status_code == 304


def test_get_all_values_with_provenance(client, city, token):
    response = client.get(f"/api/v1/cities/{city.id}/values", headers=bearer(token))
    assert response.status_code == 200 and response.headers.get("ETag")
    body = response.get_json()
    assert {v["data_point_id"]: v["value"] for v in body["values"]} == {
        DP: 30_000, "hh_total": 40_000}
    sources = {p["source"] for p in body["provenance"]}
    assert sources == {"INS census"}
    assert all(p["reference_year"] == 2023 for p in body["provenance"])


def test_unknown_data_point_is_404(client, city, token):
    response = client.get(url(city, "no_such_point"), headers=bearer(token))
    assert response.status_code == 404 and response.is_json


def test_put_without_if_match_is_428_and_changes_nothing(client, city, token):
    before = audit_count()
    response = client.put(url(city), headers=bearer(token), json={"value": 1})
    assert response.status_code == 428 and response.is_json
    assert stored(city.id).number == 30_000 and audit_count() == before


def test_stale_etag_is_412_and_the_newer_value_stays(client, city, token):
    etag = client.get(url(city), headers=bearer(token)).headers["ETag"]
    # Someone else saves after our read.
    value_service.set_city_values(city.id, {DP: 31_000}, actor="city")
    before = audit_count()
    response = client.put(url(city), headers={**bearer(token), "If-Match": etag},
                          json={"value": 99})
    assert response.status_code == 412 and response.is_json
    assert stored(city.id).number == 31_000 and audit_count() == before


def test_current_etag_writes_audits_and_rescores(app, client, city, token):
    category = value_service.categories_using([DP])[0]
    value_service.mark_category_complete(city.id, category, actor="city")
    scores_before = db.session.execute(select(func.count()).select_from(CategoryScore)).scalar()

    read = client.get(url(city), headers=bearer(token))
    response = client.put(url(city), headers={**bearer(token), "If-Match": read.headers["ETag"]},
                          json={"value": 32_500, "reason": "Census correction"})
    assert response.status_code == 200, response.text
    body = response.get_json()
    assert body["value"] == 32_500 and body["version"] == 2
    assert body["updated_by"] == "api:sec@example.org"
    assert response.headers["ETag"] != read.headers["ETag"]
    assert stored(city.id).number == 32_500

    audit = db.session.execute(select(ValueAudit).where(
        ValueAudit.city_id == city.id, ValueAudit.data_point_id == DP)
        .order_by(ValueAudit.id.desc())).scalars().first()
    assert (audit.actor, audit.old_text, audit.new_text, audit.reason) == (
        "api:sec@example.org", "30000", "32500", "Census correction")
    # The complete category using the value was scored again (jobs run inline in tests).
    scores_after = db.session.execute(select(func.count()).select_from(CategoryScore)).scalar()
    assert scores_after > scores_before

    # The new ETag is good for the next write; the old one no longer is.
    stale = client.patch(url(city), headers={**bearer(token),
                                             "If-Match": read.headers["ETag"]},
                         json={"value": 1})
    assert stale.status_code == 412
    patched = client.patch(url(city), headers={**bearer(token),
                                                "If-Match": response.headers["ETag"]},
                           json={"value": None})
    assert patched.status_code == 200
    assert patched.get_json()["not_available"] is True and stored(city.id).not_available


@pytest.mark.parametrize("extra", [{"city_id": 2}, {"status": "complete"}, {"version": 7},
                                   {"updated_by": "someone"}, {"colour": "red"}])
def test_server_owned_or_unknown_fields_are_422_with_no_change(client, city, token, extra):
    etag = client.get(url(city), headers=bearer(token)).headers["ETag"]
    before = audit_count()
    response = client.put(url(city), headers={**bearer(token), "If-Match": etag},
                          json={"value": 5, **extra})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == set(extra)
    assert stored(city.id).number == 30_000 and audit_count() == before


@pytest.mark.parametrize("body", [
    {}, {"value": "many"}, {"value": True}, {"value": [1]}, {"value": {"n": 1}},
    {"value": 5, "reason": "x" * 2001}, {"value": -3},
])
def test_bad_values_are_422_with_messages(client, city, token, body):
    etag = client.get(url(city), headers=bearer(token)).headers["ETag"]
    response = client.put(url(city), headers={**bearer(token), "If-Match": etag}, json=body)
    assert response.status_code == 422, response.text
    errors = response.get_json()["errors"]
    assert errors and all(isinstance(m, str) and m for ms in errors.values() for m in ms)
    assert stored(city.id).number == 30_000


def test_bodies_that_are_not_json_objects_are_refused(client, city, token):
    etag = client.get(url(city), headers=bearer(token)).headers["ETag"]
    headers = {**bearer(token), "If-Match": etag, "Content-Type": "application/json"}
    for raw in ('{"value": 1e999}', "[1, 2]", '"text"', "{not json"):
        response = client.put(url(city), headers=headers, data=raw)
        assert response.status_code in (400, 422), raw
        assert response.is_json
    assert stored(city.id).number == 30_000


def test_yes_no_data_point_takes_true_or_false(client, city, token):
    dp = "resil_plan"
    etag = client.get(url(city, dp), headers=bearer(token)).headers["ETag"]
    refused = client.put(url(city, dp), headers={**bearer(token), "If-Match": etag},
                         json={"value": 1})
    assert refused.status_code == 422
    saved = client.put(url(city, dp), headers={**bearer(token), "If-Match": etag},
                       json={"value": True})
    assert saved.status_code == 200 and saved.get_json()["value"] is True
    assert value_service.get_city_values(city.id)[dp] is True


def test_a_value_never_stored_can_be_written_with_the_etag_read(client, city, token):
    etag = client.get(url(city, "wbb_subs"), headers=bearer(token)).headers["ETag"]
    response = client.put(url(city, "wbb_subs"), headers={**bearer(token), "If-Match": etag},
                          json={"value": 90_000})
    assert response.status_code == 200, response.text
    assert stored(city.id, "wbb_subs").number == 90_000
