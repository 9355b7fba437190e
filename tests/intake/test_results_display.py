"""A result reported directly is shown as such wherever the KPI's value is shown."""

from __future__ import annotations

import json

import pytest

from intake.services import values as value_service
from intake.services.cities import create_city
from intake.services.links import snapshot_token
from intake.services.pipeline import assign_verifier
from intake.services.results import set_result
from intake.services.workbook import export_json
from tests.intake.test_accounts import make_staff, sign_in
from tests.intake.test_verification import ICT, KPI, fill_ict


@pytest.fixture
def city(app):
    city = create_city(name="Tromsø", population=120_000, locale="en",
                       focal_point_email="fp@tromso.example")
    fill_ict(city.id, complete=False)  # raw inputs give 82 %
    set_result(city.id, KPI, 87.3, actor="city test")
    value_service.mark_category_complete(city.id, ICT, actor="city test")
    return city


def test_snapshot_table_marks_the_direct_result(client, city):
    page = client.get(f"/snapshot/{snapshot_token(city)}").text
    row = page[page.index(KPI):]
    row = row[:row.index("</tr>")]
    assert "87.3" in row and "reported directly" in row


def test_verifier_review_and_report_show_it_beside_the_computed_value(app, client, city):
    sec = make_staff()
    verifier = make_staff(email="ver@example.org", role="verifier", name="Vera Verifier")
    assign_verifier(city.id, verifier.id, actor=sec)
    sign_in(client, "ver@example.org")
    review = client.get(f"/staff/verify/{city.id}/c/{ICT}").text
    assert "reported directly" in review and "87.3" in review and "Calculated: 82" in review
    report = client.get(f"/staff/verify/{city.id}/report.html").text
    line = report[report.index(KPI, report.index("report-unverified")):]
    assert "reported directly" in line[:line.index("</tr>")]


def test_exports_carry_the_direct_result_apart_from_the_inputs(city):
    rows = {row["data_point"]: row for row in json.loads(export_json(city.id))["values"]}
    assert rows["result:" + KPI]["value"] == 87.3
    assert rows["hh_internet"]["value"] == 41_000


def test_sub_dimension_scores_and_partial_coverage_are_shown_everywhere(app, client, city):
    from tests.intake.test_api_auth import bearer, staff_with_token

    page = client.get(f"/snapshot/{snapshot_token(city)}").text
    table = page[page.index('id="sub-EC"'):]
    table = table[:table.index("</table>")]
    assert "ICT" in table and "Infrastructure" in table
    # Only the ICT infrastructure category is complete: the Economy score says so.
    assert "from 1 of 11 categories" in page
    token = staff_with_token()[1]
    body = client.get(f"/api/v1/cities/{city.id}/scores", headers=bearer(token)).get_json()
    economy = next(d for d in body["dimensions"] if d["id"] == "EC")
    assert (economy["categories_scored"], economy["categories_total"], economy["partial"]) \
        == (1, 11, True)
    ict = next(s for s in economy["sub_dimensions"] if s["id"] == "ICT")
    assert ict["percent"] is not None and ict["partial"]
    items = next(c for c in body["categories"] if c["category_id"] == ICT)["score"]["items"]
    direct = next(i for i in items if i["id"] == KPI)
    assert direct["reported_directly"] is True and direct["computed_value"] == 82.0
    sign_in(client, "sec@example.org")  # the account the token belongs to
    report = client.get(f"/staff/verify/{city.id}/report.html").text
    assert "Sub-dimension: ICT" in report and "from 1 of 11 categories" in report
