"""Real cities' published KPI tables through the three doors: the wizard, the API and the
workbook import. Each value typed as published is kept as published and scores the same.

The tables (with their sources) are in tests/data/published_reports.json.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from forms.builder import kpi_field_prefix, result_field_name
from intake.extensions import db
from intake.services import values as value_service
from intake.services.cities import create_city
from intake.services.gains import latest_scores
from intake.services.wizard.review import complete_category
from intake.services.wizard.steps import steps as wizard_steps
from intake.services.workbook import apply_import, export_xlsx
from tests.conftest import csrf_token_from
from tests.intake.test_api_auth import bearer, staff_with_token
from tests.intake.test_wizard import fresh_csrf, open_workspace, post_step
from tests.intake.test_workbook import header_keys

DATA = json.loads((Path(__file__).parent.parent / "data" / "published_reports.json")
                  .read_text(encoding="utf-8"))
CITIES = {city["name"]: city for city in DATA["cities"]}


def enter_by_wizard(client, city, report) -> None:
    open_workspace(client, city)
    published = {row["item"]: row["published"] for row in report["results"]}
    for category_id in report["categories"]:
        for step in wizard_steps(category_id):
            if step.kind != "kpi":
                continue
            form = {}
            for kpi in step.kpis:
                form[kpi_field_prefix(kpi.code) + "__direct"] = "y"
                for item in kpi.items:
                    form[result_field_name(item.id)] = published[item.id]
            saved = post_step(client, category_id, step.index, form, action="save")
            assert saved.status_code == 302, saved.text
        fresh_csrf()
        page = client.get(f"/w/c/{category_id}/review").text
        fresh_csrf()
        done = client.post(f"/w/c/{category_id}/complete",
                           data={"csrf_token": csrf_token_from(page)})
        assert done.status_code == 302, done.text


def enter_by_api(client, city, report) -> None:
    token = staff_with_token()[1]
    for row in report["results"]:
        url = f"/api/v1/cities/{city.id}/results/{quote(row['item'], safe='')}"
        etag = client.get(url, headers=bearer(token)).headers["ETag"]
        response = client.put(url, headers={**bearer(token), "If-Match": etag},
                              json={"value": row["value"], "reason": report["source"]})
        assert response.status_code == 200, response.text
    for category_id in report["categories"]:
        done = client.post(f"/api/v1/cities/{city.id}/categories/{category_id}/complete",
                           headers=bearer(token))
        assert done.status_code == 200, done.text


def enter_by_import(client, city, report) -> None:
    book = load_workbook(io.BytesIO(export_xlsx(city.id)))
    published = {"result:" + row["item"]: row["published"] for row in report["results"]}
    for ws in book.worksheets:
        header = header_keys(ws)
        for cells in ws.iter_rows(min_row=2):
            key = cells[header.index("data_point")].value
            if key in published:
                cells[header.index("value")].value = published[key]
                cells[header.index("source")].value = report["source"]
    out = io.BytesIO()
    book.save(out)
    plan = apply_import(city.id, out.getvalue(), actor="import")
    assert not plan.problems, [(c.data_point.id, c.errors) for c in plan.problems]
    for category_id in report["categories"]:
        assert not complete_category(city.id, category_id, actor="city")


DOORS = {"wizard": enter_by_wizard, "api": enter_by_api, "import": enter_by_import}


def scores_through(door: str, client, report) -> dict:
    city = create_city(name=f"{report['name']} ({door})", population=report["population"],
                       country=report["country"], focal_point_email="fp@example.org")
    DOORS[door](client, city, report)
    values = value_service.get_city_values(city.id)
    db.session.expire_all()
    scores = latest_scores([city.id])[city.id]
    return {"values": {row["item"]: values.get("result:" + row["item"])
                       for row in report["results"]},
            "categories": {cid: (scores[cid].percent, scores[cid].band, scores[cid].scored)
                           for cid in report["categories"]},
            "items": {item["id"]: (item["value"], item["status"], item["band"],
                                   item["reported_directly"])
                      for cid in report["categories"] for item in scores[cid].items}}


@pytest.mark.parametrize("name", sorted(CITIES))
def test_published_tables_score_the_same_through_every_door(client, name):
    report = CITIES[name]
    through = {door: scores_through(door, client, report) for door in DOORS}
    expected = {row["item"]: row["value"] for row in report["results"]}
    for door, found in through.items():
        # Every value is kept exactly as published, and it is what counts.
        assert found["values"] == pytest.approx(expected), door
        assert {i: v[0] for i, v in found["items"].items()} == pytest.approx(expected), door
        assert all(v[3] for v in found["items"].values()), door
    assert through["wizard"]["categories"] == through["api"]["categories"] \
        == through["import"]["categories"]
    assert through["wizard"]["items"] == through["api"]["items"] == through["import"]["items"]
    # Something was scored against a target, so the comparison is not one of empties.
    assert any(scored for _p, _b, scored in through["api"]["categories"].values())
