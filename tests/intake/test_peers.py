"""Peer comparison: the 5-city rule, and no other city's name or own figure ever shown."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from intake.extensions import db
from intake.models import City, ProgrammeStage
from intake.models.score import CategoryScore
from intake.services import gains
from intake.services import peers as peers_service
from intake.services.cities import create_city
from intake.services.links import workspace_token

S = ProgrammeStage
# Distinctive figures: the lowest and highest must never appear on a city's page.
CATEGORY_PERCENTS = (12.4, 28.0, 43.1, 58.7, 77.1)
ITEM_VALUES = (100.17, 210.23, 330.41, 470.59, 610.83)
PEER_NAMES = ("Zephyrton", "Quillford", "Marrowby", "Olbinsk", "Tessaville")


def first_item():
    catalog = gains.catalog()
    category = catalog.categories[0]
    kpi = catalog.kpis_in(category.id)[0]
    return category, kpi, kpi.items[0]


def make_city(name: str, *, population=250_000, economy="developed", stage=S.VERIFIED):
    city = create_city(name=name, population=population, economy=economy, locale="en")
    db.session.execute(update(City).where(City.id == city.id).values(stage=stage))
    db.session.commit()
    return city


def add_score(city: City, percent: float, value: float) -> None:
    category, kpi, item = first_item()
    db.session.add(CategoryScore(
        city_id=city.id, category_id=category.id, catalog_version="test",
        benchmark_version="test", input_hash=f"h{city.id}", percent=percent, band=2,
        scored=1, reported=1, total=1,
        items=[{"id": item.id, "kpi_code": kpi.code, "value": value, "target": 1,
                "direction": "higher_is_better", "percent": percent, "band": 2,
                "status": "scored"}]))
    db.session.commit()


def make_peers(count: int, **kwargs) -> list[City]:
    cities = []
    for name, percent, value in list(zip(PEER_NAMES, CATEGORY_PERCENTS, ITEM_VALUES,
                                         strict=True))[:count]:
        city = make_city(name, **kwargs)
        add_score(city, percent, value)
        cities.append(city)
    return cities


@pytest.fixture
def viewer(app, client):
    city = make_city("Homeburg", stage=S.DATA_COLLECTION)
    assert client.get(f"/w/{workspace_token(city)}").status_code == 302
    return city


def pages(client) -> str:
    return client.get("/w/peers").text + client.get("/w/factsheet").text


def assert_nothing_leaks(html: str) -> None:
    for name in PEER_NAMES:
        assert name not in html
    for value in ("12.4%", "77.1%", "100.17", "610.83", "330.41"):
        assert value not in html


def test_four_peers_show_no_figure_and_say_so(client, viewer):
    make_peers(4)
    html = pages(client)
    assert "There are not yet enough verified peer cities to compare with" in html
    assert "median" not in html.replace("peers&#39; median", "")
    assert "fewer than 5 peers" in html
    assert_nothing_leaks(html)
    for value in ("28%", "43.1%", "58.7%", "210.23", "470.59"):
        assert value not in html


def test_five_peers_show_quartiles_only(client, viewer):
    make_peers(5)
    peers_page = client.get("/w/peers").text
    # Category scores 12.4 … 77.1 %: quartiles interpolate, the median is the middle one.
    assert "median 43.1%" in peers_page
    assert "20.2%–67.9%" in peers_page
    factsheet = client.get("/w/factsheet").text
    # KPI values 100.17 … 610.83: rounded aggregates (155.2, 330.41, 540.71) only.
    assert "median 330" in factsheet and "155–541" in factsheet
    assert_nothing_leaks(peers_page + factsheet)
    assert "There are not yet enough" not in peers_page


def test_only_verified_peers_of_the_same_band_and_economy_count(app, viewer):
    peers = make_peers(5)
    assert peers_service.compare_with_peers(viewer).any
    for change in ({"stage": S.IN_VERIFICATION}, {"economy": "developing"},
                   {"population": 600_000}):
        db.session.execute(update(City).where(City.id == peers[0].id).values(**change))
        db.session.commit()
        comparison = peers_service.compare_with_peers(viewer)
        assert comparison.cities == 4 and not comparison.any
        db.session.execute(update(City).where(City.id == peers[0].id).values(
            stage=S.VERIFIED, economy="developed", population=250_000))
        db.session.commit()
    # Published cities are verified too.
    db.session.execute(update(City).where(City.id == peers[0].id).values(stage=S.PUBLISHED))
    db.session.commit()
    assert peers_service.compare_with_peers(viewer).any


def test_a_city_is_never_its_own_peer(app):
    peers = make_peers(5)
    # From a peer's own view, the four others are too few.
    comparison = peers_service.compare_with_peers(peers[0])
    assert comparison.cities == 4 and not comparison.any


def test_a_peer_without_a_figure_does_not_count(app, viewer):
    peers = make_peers(5)
    category, _kpi, item = first_item()
    score = db.session.query(CategoryScore).filter_by(city_id=peers[0].id).one()
    score.percent = None
    score.items = [{**score.items[0], "value": None, "status": "not_reported"}]
    db.session.commit()
    comparison = peers_service.compare_with_peers(viewer)
    assert comparison.categories[category.id] is None
    assert comparison.items.get(item.id) is None


def test_the_latest_score_of_each_peer_is_used(app, viewer):
    peers = make_peers(5)
    category, kpi, item = first_item()
    from intake.models._types import utcnow

    db.session.add(CategoryScore(
        city_id=peers[0].id, category_id=category.id, catalog_version="test",
        benchmark_version="test", input_hash="newer", percent=90.0, band=3, items=[],
        computed_at=utcnow()))
    db.session.commit()
    figure = peers_service.compare_with_peers(viewer).categories[category.id]
    assert figure.count == 5 and figure.q3 > 67.9


def test_peers_page_needs_the_workspace_link(client, app):
    make_peers(5)
    response = client.get("/w/peers")
    assert response.status_code == 401
    assert_nothing_leaks(response.text)


def test_demo_cities_show_peer_figures_and_one_published_city(app, runner, client):
    import json

    from intake.models import Consent

    result = runner.invoke(args=["demo", "load", "--cities", "12"])
    assert result.exit_code == 0, result.output
    cities = json.loads(result.output)["cities"]
    assert len(cities) == 12
    stages = [c["stage"] for c in cities]
    assert stages.count("published") == 1 and stages.count("verified") >= 5
    verified = [db.session.get(City, c["city_id"]) for c in cities if c["stage"] == "verified"]
    with_figures = [c for c in verified if peers_service.compare_with_peers(c).any]
    assert len(with_figures) >= 5
    consent = db.session.query(Consent).one()
    assert client.get(f"/cities/{consent.public_id}").status_code == 200
