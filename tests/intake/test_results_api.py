"""Results reported directly through the API, and completing a category: the contract."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models.score import CategoryScore
from intake.models.values import ValueAudit
from intake.services import values as value_service
from intake.services.cities import create_city
from intake.services.gains import latest_scores
from tests.intake.test_api_auth import bearer, staff_with_token

ITEM = "EC: ICT: ICT: 1C"  # households with Internet access, %
PART = "EC: ICT: ICT: 4C#cov_3g"  # 3G coverage, % of the population
CATEGORY = "ec-ict-infrastructure"
KEYS = {"item_id", "kpi_code", "value", "reported_directly", "computed_value", "unit",
        "version", "origin"}


@pytest.fixture
def token(app):
    return staff_with_token()[1]


@pytest.fixture
def city(app):
    city = create_city(name="Bizerte", population=142_966, country="TN")
    value_service.set_city_values(city.id, {"hh_internet": 30_000, "hh_total": 40_000},
                                  actor="city")
    return city


def url(city, item=ITEM) -> str:
    return f"/api/v1/cities/{city.id}/results/{quote(item, safe='')}"


def test_get_gives_the_computed_result_with_an_etag(client, city, token):
    response = client.get(url(city), headers=bearer(token))
    assert response.status_code == 200, response.text
    body = response.get_json()
    assert set(body) == KEYS
    assert body == {"item_id": ITEM, "kpi_code": "EC: ICT: ICT: 1C", "value": 75.0,
                    "reported_directly": False, "computed_value": 75.0, "unit": "%",
                    "version": 0, "origin": None}
    assert response.headers["ETag"]


def test_item_ids_with_hash_and_spaces_are_found_when_encoded(client, city, token):
    body = client.get(url(city, PART), headers=bearer(token)).get_json()
    assert body["item_id"] == PART and body["kpi_code"] == "EC: ICT: ICT: 4C"
    assert client.get(f"/api/v1/cities/{city.id}/results/nope", headers=bearer(token)
                      ).status_code == 404


def test_put_reports_directly_counts_over_raw_inputs_and_audits(client, city, token):
    read = client.get(url(city), headers=bearer(token))
    response = client.put(url(city), headers={**bearer(token), "If-Match": read.headers["ETag"]},
                          json={"value": 92.4, "reason": "Published by the statistics office"})
    assert response.status_code == 200, response.text
    body = response.get_json()
    assert {k: body[k] for k in KEYS} == {
        "item_id": ITEM, "kpi_code": ITEM, "value": 92.4, "reported_directly": True,
        "computed_value": 75.0, "unit": "%", "version": 1, "origin": None}
    assert body["warnings"] == []
    assert response.headers["ETag"] != read.headers["ETag"]
    audit = db.session.execute(select(ValueAudit).where(
        ValueAudit.data_point_id == "result:" + ITEM)).scalar_one()
    assert (audit.actor, audit.old_text, audit.new_text, audit.reason) == (
        "api:sec@example.org", None, "92.4", "Published by the statistics office")
    # The old ETag no longer writes.
    stale = client.put(url(city), headers={**bearer(token), "If-Match": read.headers["ETag"]},
                       json={"value": 10})
    assert stale.status_code == 412
    # null: the result is not available, and the item is no longer computed from inputs.
    gone = client.put(url(city), headers={**bearer(token),
                                          "If-Match": response.headers["ETag"]},
                      json={"value": None})
    assert gone.status_code == 200
    assert gone.get_json()["value"] is None and gone.get_json()["reported_directly"] is True


def test_put_without_if_match_is_428(client, city, token):
    response = client.put(url(city), headers=bearer(token), json={"value": 50})
    assert response.status_code == 428 and response.is_json
    assert client.get(url(city), headers=bearer(token)).get_json()["reported_directly"] is False


@pytest.mark.parametrize(("item", "value", "expected"), [
    (ITEM, 140, "above 100"),
    (ITEM, -3, "cannot be negative"),
    (ITEM, True, "not a number"),
    ("SC: SH: SA: 3A", 1, "yes or no"),
])
def test_refused_values_are_422_with_every_finding(client, city, token, item, value, expected):
    etag = client.get(url(city, item), headers=bearer(token)).headers["ETag"]
    response = client.put(url(city, item), headers={**bearer(token), "If-Match": etag},
                          json={"value": value})
    assert response.status_code == 422, response.text
    messages = response.get_json()["errors"]["value"]
    assert any(expected in m for m in messages), messages
    assert client.get(url(city, item), headers=bearer(token)).get_json()["version"] == 0


def test_a_warning_needs_a_reason_then_comes_back_with_the_value(client, city, token):
    item = "EC: P: IN: 1C"  # R&D expenditure, usually 0-5 % of GDP
    etag = client.get(url(city, item), headers=bearer(token)).headers["ETag"]
    refused = client.put(url(city, item), headers={**bearer(token), "If-Match": etag},
                         json={"value": 12})
    assert refused.status_code == 422
    messages = refused.get_json()["errors"]["value"]
    assert any("outside the range" in m for m in messages)
    assert any("Explain the warning" in m for m in messages)
    saved = client.put(url(city, item), headers={**bearer(token), "If-Match": etag},
                       json={"value": 12, "reason": "Science park city"})
    assert saved.status_code == 200
    assert saved.get_json()["warnings"] and "outside the range" in saved.get_json()["warnings"][0]


def test_complete_lists_open_kpis_then_marks_complete_and_scores(client, city, token):
    complete = f"/api/v1/cities/{city.id}/categories/{CATEGORY}/complete"
    refused = client.post(complete, headers=bearer(token))
    assert refused.status_code == 422
    assert "EC: ICT: ICT: 2C" in refused.get_json()["errors"]
    assert value_service.category_status(city.id, CATEGORY) == "in_progress"
    # Every KPI of the category reported directly: nothing else is needed.
    for kpi in value_service.catalog().kpis_in(CATEGORY):
        for item in kpi.items:
            etag = client.get(url(city, item.id), headers=bearer(token)).headers["ETag"]
            value = True if item.value_type == "boolean" else 80
            assert client.put(url(city, item.id), headers={**bearer(token), "If-Match": etag},
                              json={"value": value, "reason": "published"}).status_code == 200
    done = client.post(complete, headers=bearer(token))
    assert done.status_code == 200, done.text
    assert done.get_json() == {"city_id": city.id, "category_id": CATEGORY,
                               "status": "complete", "scoring_queued": True}
    assert value_service.category_status(city.id, CATEGORY) == "complete"
    assert db.session.execute(select(func.count()).select_from(CategoryScore)).scalar() >= 1
    score = latest_scores([city.id])[city.id][CATEGORY]
    first = next(i for i in score.items if i["id"] == ITEM)
    assert first["value"] == 80 and first["reported_directly"] is True
    assert first["computed_value"] == 75.0
    assert client.post(f"/api/v1/cities/{city.id}/categories/nope/complete",
                       headers=bearer(token)).status_code == 404
