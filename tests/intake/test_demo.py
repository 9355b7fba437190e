"""`flask demo load`: a complete, scored demo city for a first look."""

import json

from sqlalchemy import func, select

from intake.extensions import db
from intake.models import City
from intake.models.score import CategoryScore
from intake.services import scoring as scoring_service
from intake.services.values import category_status, get_city_values


def test_demo_load_creates_a_complete_scored_city(app, runner, client):
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    assert output["created"] is True and output["name"] == "Demoville"
    catalog = scoring_service.get_catalog()
    city_id = output["city_id"]
    values = get_city_values(city_id)
    needed = {p.id for k in catalog.kpis for p in k.data_points}
    assert needed <= set(values)  # every input answered (a few as "not available")
    assert sum(1 for v in values.values() if v is None) >= 3
    assert all(category_status(city_id, c.id) == "complete" for c in catalog.categories)
    rows = list(db.session.execute(select(CategoryScore)).scalars())
    assert len(rows) == len(catalog.categories)
    statuses = [item["status"] for row in rows for item in row.items]
    bands = {item["band"] for row in rows for item in row.items if item["band"]}
    assert len(statuses) == 112 and bands == {1, 2, 3, 4}
    assert statuses.count("no_target") >= 3 and statuses.count("not_reported") >= 3
    # the printed snapshot link opens the snapshot and nothing else (probe finding 1)
    path = output["snapshot_url"].split("://", 1)[1].split("/", 1)[1]
    assert path.startswith("snapshot/")
    assert client.get("/" + path).status_code == 200
    token = path.removeprefix("snapshot/")
    assert client.get(f"/w/{token}").status_code == 404
    assert client.get("/w/").status_code == 401
    # the workspace link is printed apart, labelled as such
    workspace = output["workspace_url"].split("://", 1)[1].split("/", 1)[1]
    assert workspace.startswith("w/") and workspace != path
    assert client.get("/" + workspace).status_code == 302


def test_demo_load_if_empty_does_nothing_the_second_time(app, runner):
    runner.invoke(args=["demo", "load"])
    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert again.exit_code == 0 and json.loads(again.output)["created"] is False
    assert "snapshot_url" in again.output
    assert db.session.execute(select(func.count(City.id))).scalar_one() == 1
