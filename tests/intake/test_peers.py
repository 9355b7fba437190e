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


def stored_again() -> None:
    """These tests write scores and stages straight into the tables, past the jobs that
    keep the peer statistics: compute them as `flask peers rebuild` does."""
    peers_service.rebuild_all()


def make_peers(count: int, **kwargs) -> list[City]:
    cities = []
    for name, percent, value in list(zip(PEER_NAMES, CATEGORY_PERCENTS, ITEM_VALUES,
                                         strict=True))[:count]:
        city = make_city(name, **kwargs)
        add_score(city, percent, value)
        cities.append(city)
    stored_again()
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
        stored_again()
        comparison = peers_service.compare_with_peers(viewer)
        assert comparison.cities == 4 and not comparison.any
        db.session.execute(update(City).where(City.id == peers[0].id).values(
            stage=S.VERIFIED, economy="developed", population=250_000))
        db.session.commit()
    # Published cities are verified too.
    db.session.execute(update(City).where(City.id == peers[0].id).values(stage=S.PUBLISHED))
    db.session.commit()
    stored_again()
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
    stored_again()
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
    stored_again()
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


# ----------------------------------------------------------- stored, not computed per view
def per_request_comparison(city: City) -> dict:
    """The comparison as every page computed it before the figures were stored: all peer
    cities' latest scores read on each view. The stored figures must give the same."""
    from sqlalchemy import select

    from intake.fees import band_for_population
    from scoring.peers import peer_figure

    if not city.economy or not city.population:
        return {"cities": 0, "categories": {}, "items": {}}
    band = band_for_population(city.population)
    ids = [row.id for row in db.session.execute(select(City.id, City.population).where(
        City.id != city.id, City.economy == city.economy,
        City.stage.in_(gains.VERIFIED_STAGES)))
        if row.population and band_for_population(row.population) == band]
    scores = gains.latest_scores(ids)
    per_category: dict[str, list] = {}
    per_item: dict[str, list] = {}
    for by_category in scores.values():
        for category_id, score in by_category.items():
            per_category.setdefault(category_id, []).append(score.percent)
            for item in score.items or ():
                if item.get("status") != "not_reported":
                    per_item.setdefault(item["id"], []).append(item.get("value"))
    return {"cities": len(ids),
            "categories": {key: peer_figure(values) for key, values in per_category.items()},
            "items": {key: peer_figure(values) for key, values in per_item.items()}}


def stored_comparison(city: City) -> dict:
    comparison = peers_service.compare_with_peers(city)
    return {"cities": comparison.cities,
            "categories": {k: v for k, v in comparison.categories.items() if v is not None},
            "items": {k: v for k, v in comparison.items.items() if v is not None}}


def without_empty(found: dict) -> dict:
    return {"cities": found["cities"],
            "categories": {k: v for k, v in found["categories"].items() if v is not None},
            "items": {k: v for k, v in found["items"].items() if v is not None}}


def random_programme(rng, count: int) -> list[City]:
    """Cities of a few bands, both economies and every step, with scores of every kind:
    several rows per category (the latest counts), ties, missing and unreported values."""
    from datetime import timedelta

    from intake.models._types import utcnow

    catalog = gains.catalog()
    categories = catalog.categories[:3]
    items = {c.id: [item for kpi in catalog.kpis_in(c.id)[:2] for item in kpi.items][:3]
             for c in categories}
    stages = list(S)
    cities = []
    start = utcnow() - timedelta(days=10)
    for number in range(count):
        population = rng.choice((60_000, 150_000, 400_000, 450_000))
        city = make_city(f"City {number}", population=population,
                         economy=rng.choice(("developed", "developing")),
                         stage=rng.choice(stages + [S.VERIFIED] * 4))
        cities.append(city)
        for category in categories:
            for version in range(rng.randint(0, 3)):
                def figure():
                    return rng.choice((None, True, float(rng.randint(0, 4) * 25),
                                       round(rng.uniform(-50, 500), rng.randint(0, 3))))
                db.session.add(CategoryScore(
                    city_id=city.id, category_id=category.id, catalog_version="test",
                    benchmark_version="test", input_hash=f"h{city.id}-{category.id}-{version}",
                    percent=rng.choice((None, float(rng.randint(0, 4) * 25),
                                        round(rng.uniform(0, 100), rng.randint(0, 3)))),
                    band=2,
                    computed_at=start + timedelta(hours=rng.randint(0, 3)),
                    items=[{"id": item.id, "value": figure(),
                            "status": rng.choice(("scored", "scored", "not_reported"))}
                           for item in items[category.id] if rng.random() < 0.9]))
    db.session.commit()
    return cities


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stored_figures_are_the_per_request_figures_for_every_city(app, seed):
    import random

    rng = random.Random(seed)
    cities = random_programme(rng, 60)
    cities.append(make_city("No economy", economy=None))
    peers_service.rebuild_all()
    compared = 0
    for city in cities:
        expected = without_empty(per_request_comparison(city))
        assert stored_comparison(city) == expected, city.name
        compared += len(expected["categories"]) + len(expected["items"])
    assert compared >= 10  # the random programme has groups big enough to show figures


def test_a_peer_of_the_group_sees_the_others_without_itself(app):
    cities = make_peers(5) + [make_city("Sixthtown")]
    add_score(cities[-1], 95.5, 999.0)
    stored_again()
    category, _kpi, item = first_item()
    for city in cities:
        comparison = peers_service.compare_with_peers(city)
        assert comparison.cities == 5
        assert comparison.categories[category.id] == per_request_comparison(
            city)["categories"][category.id]
        assert comparison.items[item.id] == per_request_comparison(city)["items"][item.id]


def score_through_the_job(city: City, performance: float) -> None:
    """A category scored by the scoring job, as when a city's data changes."""
    from intake.demo import variant_values
    from intake.jobs import enqueue
    from intake.services import scoring

    catalog = scoring.get_catalog()
    category, _kpi, _item = first_item()
    values = variant_values(catalog, city.id, 250_000, performance)
    payload = scoring.build_payload(catalog, city.id, category.id, values)
    record = enqueue(scoring.JOB_KIND, payload, key=scoring.job_key(payload),
                     queue=scoring.QUEUE)
    assert record.state == "done", record.error


def test_a_score_stored_by_the_job_updates_the_peer_figures(app, viewer):
    category, _kpi, _item = first_item()
    peers = make_peers(5)
    before = peers_service.compare_with_peers(viewer)
    assert before.categories[category.id].median == 43.1
    score_through_the_job(peers[2], 0.2)  # the middle city scores again, lower
    after = peers_service.compare_with_peers(viewer)
    assert after.categories[category.id] == per_request_comparison(
        viewer)["categories"][category.id]
    assert after.categories[category.id].median != 43.1
    assert after.computed_at >= before.computed_at


def test_a_city_that_becomes_verified_joins_its_group(app, viewer):
    from intake.services.pipeline import move_city

    category, _kpi, _item = first_item()
    make_peers(4)
    newcomer = make_city("Latecomer", stage=S.SUBMITTED)
    add_score(newcomer, 66.0, 400.0)
    assert not peers_service.compare_with_peers(viewer).any
    move_city(newcomer.id, S.IN_VERIFICATION, actor=None)
    move_city(newcomer.id, S.VERIFIED, actor=None)
    comparison = peers_service.compare_with_peers(viewer)
    assert comparison.cities == 5 and comparison.categories[category.id].count == 5
    move_city(newcomer.id, S.IN_VERIFICATION, actor=None, note="A figure to check again")
    assert peers_service.compare_with_peers(viewer).cities == 4


def test_pages_say_when_the_peer_figures_were_computed(client, viewer):
    make_peers(5)
    for url in ("/w/peers", "/w/factsheet"):
        assert "Peer figures computed" in client.get(url).text


def test_flask_peers_rebuild_stores_every_group(app, runner, viewer):
    import json

    from intake.models import PeerStatistic

    make_peers(5)
    db.session.query(PeerStatistic).delete()
    db.session.commit()
    assert not peers_service.compare_with_peers(viewer).any
    result = runner.invoke(args=["peers", "rebuild"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["groups"] == 1
    assert peers_service.compare_with_peers(viewer).any


@pytest.mark.redis
def test_the_group_job_runs_once_through_rq(app, app_factory, database_url, redis_url):
    from redis import Redis
    from rq import Queue, SimpleWorker

    from intake.models import JobRecord, PeerStatistic

    rq_app = app_factory(database_url, REDIS_URL=redis_url)
    with rq_app.app_context():
        peers = make_peers(5)
        db.session.query(PeerStatistic).delete()
        db.session.commit()
        group = peers_service.group_of(peers[0])
        record = peers_service.request_group(group)
        assert record.state == "queued"
        # Asked again before a worker took it: the waiting run will read the change too.
        assert peers_service.request_group(group) is None
        connection = Redis.from_url(redis_url)
        SimpleWorker([Queue(peers_service.QUEUE, connection=connection)],
                     connection=connection).work(burst=True)
        db.session.expire_all()
        stored = db.session.get(JobRecord, record.id)
        assert stored.state == "done" and stored.attempts == 1
        assert db.session.query(JobRecord).filter_by(kind=peers_service.JOB_KIND).count() == 1
        viewer = make_city("Viewer", stage=S.DATA_COLLECTION)
        assert peers_service.compare_with_peers(viewer).categories[
            first_item()[0].id].median == 43.1
