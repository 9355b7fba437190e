"""Every list is paged, sorted and filtered in a fixed number of queries, whatever the cities."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from intake.demo_bulk import load_bulk_cities
from intake.extensions import db
from intake.models import City, CitySummary, ProgrammeStage
from intake.models.letter import Letter
from intake.models.programme import Milestone, MilestoneKind
from intake.models.user import User
from intake.services import pipeline
from intake.services.api_tokens import create_token
from intake.services.cities import create_city
from intake.services.programme import clear_milestone, record_milestone
from tests.conftest import csrf_token_from
from tests.intake.test_accounts import make_staff, sign_in


class QueryCounter:
    def __init__(self, engine):
        self.engine = engine
        self.count = 0

    def _count(self, _connection, _cursor, statement, *_args, **_kwargs) -> None:
        # SQLite's explicit BEGIN (intake/database.py) is transaction control, not a query.
        if not statement.startswith("BEGIN"):
            self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


def queries(client, url, **kwargs) -> int:
    # Once before counting: a token's first use of the minute and caches filled on first
    # use are not part of what the list costs.
    client.get(url, **kwargs)
    with QueryCounter(db.engine) as counter:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return counter.count


LIST_PAGES = (
    "/staff/", "/staff/?sort=score&dir=desc", "/staff/?per_page=5&page=2",
    "/staff/?sort=last_activity&stage=verified",
    "/staff/?sort=verifier&q=vale", "/staff/?sort=days_in_stage&overdue=1",
    "/staff/letters", "/staff/letters?sort=city&q=a", "/staff/letters?per_page=3&page=2",
    "/cities/",
    "/staff/?sort=fee_invoiced", "/staff/?sort=fee_paid&dir=desc",
    "/staff/?sort=signed_letter&milestone=no_fee_paid", "/staff/?sort=certificate",
    "/staff/?sort=award&milestone=fee_invoiced",
)
API_LISTS = ("/api/v1/cities", "/api/v1/cities?sort=progress&per_page=20",
             "/api/v1/cities?sort=fee_paid&dir=desc&milestone=fee_paid",
             "/api/v1/letters", "/api/v1/letters?sort=country&dir=asc")


def test_list_pages_cost_the_same_queries_at_10_and_50_cities(app, client):
    token = create_token(make_staff(email="ver@example.org", role="verifier", name="Vera"),
                         "tests")[1]
    secretariat_token = create_token(make_staff(), "tests")[1]
    load_bulk_cities(10)
    _fees_recorded()
    sign_in(client)
    small = {url: queries(client, url) for url in LIST_PAGES}
    small.update({url: queries(client, url, headers={"Authorization":
                                                     f"Bearer {secretariat_token}"})
                  for url in API_LISTS})
    small["verifier"] = queries(client, "/api/v1/cities",
                                headers={"Authorization": f"Bearer {token}"})
    load_bulk_cities(40)
    _fees_recorded()
    large = {url: queries(client, url) for url in LIST_PAGES}
    large.update({url: queries(client, url, headers={"Authorization":
                                                     f"Bearer {secretariat_token}"})
                  for url in API_LISTS})
    large["verifier"] = queries(client, "/api/v1/cities",
                                headers={"Authorization": f"Bearer {token}"})
    assert large == small
    # The pipeline page is the largest: cities, summaries, scores, states, verifiers, signed
    # letters, both kinds of duplicate flag, deadlines and the page's own session and counts.
    assert max(small.values()) <= 20


def test_factsheet_and_peers_cost_the_same_queries_at_10_and_50_cities(app, client):
    """Peer figures are stored per group: the pages read them, never every peer's scores."""
    from sqlalchemy import update

    from intake.services.links import workspace_token
    from intake.services.peers import compare_with_peers, rebuild_all

    make_staff()
    load_bulk_cities(10)
    city = db.session.execute(select(City).where(
        City.stage == ProgrammeStage.VERIFIED).order_by(City.id)).scalars().first()
    staff = app.test_client()
    sign_in(staff)
    assert client.get(f"/w/{workspace_token(city)}").status_code == 302

    def costs() -> dict:
        found = {url: queries(client, url) for url in ("/w/peers", "/w/factsheet")}
        found["staff factsheet"] = queries(staff, f"/staff/gains/{city.id}/factsheet")
        return found

    small = costs()
    peers_before = compare_with_peers(city).cities
    known = set(db.session.execute(select(City.id)).scalars())
    load_bulk_cities(40)
    # The forty newcomers all join the city's peer group (as if they were its neighbours),
    # so the group the pages compare with grows fivefold or more.
    db.session.execute(update(City).where(City.id.not_in(known)).values(
        stage=ProgrammeStage.VERIFIED, population=city.population, economy=city.economy))
    db.session.commit()
    rebuild_all()
    assert compare_with_peers(city).cities >= peers_before + 40
    assert compare_with_peers(city).any
    assert costs() == small
    # Nor do they read the peers' scores: only the city's own, whatever the group's size.
    from intake.models.score import CategoryScore

    read = set()

    def on_load(target, _context) -> None:
        read.add(target.city_id)

    event.listen(CategoryScore, "load", on_load)
    try:
        db.session.expire_all()
        for url in ("/w/peers", "/w/factsheet"):
            assert client.get(url).status_code == 200
        assert staff.get(f"/staff/gains/{city.id}/factsheet").status_code == 200
    finally:
        event.remove(CategoryScore, "load", on_load)
    assert read <= {city.id}


def _fees_recorded() -> None:
    """Every other city without one has its fee invoiced, and every fourth paid."""
    actor = db.session.execute(select(User)).scalars().first()
    cities = db.session.execute(select(City.id).where(~select(Milestone.id).where(
        Milestone.city_id == City.id).exists()).order_by(City.id)).scalars().all()
    for number, city_id in enumerate(cities):
        if number % 2 == 0:
            record_milestone(city_id, MilestoneKind.FEE_INVOICED, actor=actor,
                             on=date(2026, 1, 1) + timedelta(days=number),
                             amount=Decimal("7000"), currency="CHF")
        if number % 4 == 0:
            record_milestone(city_id, MilestoneKind.FEE_PAID, actor=actor,
                             on=date(2026, 2, 1) + timedelta(days=number),
                             amount=Decimal("7000"), currency="CHF")


def test_the_cities_api_is_paged_with_a_total_and_links(app, client):
    token = create_token(make_staff(), "tests")[1]
    load_bulk_cities(23)
    headers = {"Authorization": f"Bearer {token}"}
    first = client.get("/api/v1/cities?per_page=10&sort=score&dir=desc", headers=headers).json
    assert first["total"] == 23 and first["pages"] == 3 and len(first["cities"]) == 10
    assert first["links"]["prev"] is None and "page=2" in first["links"]["next"]
    assert "sort=score" in first["links"]["next"]
    scores = [c["score_percent"] for c in first["cities"]]
    assert scores == sorted(scores, reverse=True)
    last = client.get(first["links"]["last"], headers=headers).json
    assert len(last["cities"]) == 3 and last["links"]["next"] is None
    seen = {c["id"] for page in (1, 2, 3) for c in client.get(
        f"/api/v1/cities?per_page=10&page={page}&sort=stage", headers=headers).json["cities"]}
    assert len(seen) == 23  # pages never overlap, nothing is skipped
    assert client.get("/api/v1/cities?per_page=5000", headers=headers).status_code == 422
    assert client.get("/api/v1/cities?sort=nonsense", headers=headers).status_code == 422
    letters = client.get("/api/v1/letters?per_page=5", headers=headers).json
    assert letters["total"] == 23 and len(letters["letters"]) == 5


def test_pipeline_sorts_filters_and_flags_duplicates(app, client):
    make_staff()
    sign_in(client)
    first = create_city(name="Ålesund", country="NO", population=67_000,
                        focal_point_email="fp@alesund.example")
    create_city(name="ÅLESUND ", country="no", population=67_000)
    create_city(name="Bergen", country="NO", population=280_000,
                focal_point_email="FP@alesund.example")
    create_city(name="Ålesund", country="SE", population=10_000)
    page = client.get("/staff/?q=ålesund&country=NO").get_data(as_text=True)
    assert page.count("possible duplicate") == 2 and "Bergen" not in page
    page = client.get("/staff/?q=bergen").get_data(as_text=True)
    assert "possible duplicate" in page  # same focal point e-mail as the first Ålesund
    assert f"/staff/cities/{first.id}" in page
    create_city(name="Oslo", country="NO", population=700_000)
    by_name = client.get("/staff/?sort=name&dir=desc").get_data(as_text=True)
    assert by_name.index(">Oslo<") < by_name.index(">Bergen<")
    by_name = client.get("/staff/?sort=name").get_data(as_text=True)
    assert by_name.index(">Bergen<") < by_name.index(">Oslo<")


def test_summary_follows_moves_scores_and_assignments(app):
    load_bulk_cities(3)
    city = db.session.execute(select(City).where(
        City.stage == ProgrammeStage.DATA_COLLECTION)).scalars().first() or \
        db.session.execute(select(City)).scalars().first()
    verifier = make_staff(email="ver@example.org", role="verifier", name="Zed Verifier")
    before = db.session.get(CitySummary, city.id)
    entered = before.stage_entered_at
    target = pipeline.next_stage(ProgrammeStage(city.stage)) or pipeline.previous_stage(
        ProgrammeStage(city.stage))
    pipeline.move_city(city.id, target, actor=None, note="test")
    pipeline.assign_verifier(city.id, verifier.id, actor=None)
    db.session.expire_all()
    after = db.session.get(CitySummary, city.id)
    assert after.stage_entered_at > entered
    assert after.verifier_key == "zed verifier"
    assert after.score_percent is not None and after.complete_categories > 0


def test_bulk_actions_move_assign_and_remind_with_csrf(app, client):
    make_staff()
    verifier = make_staff(email="ver@example.org", role="verifier", name="Vera")
    sign_in(client)
    cities = [create_city(name=f"Town {n}", population=10_000 + n, country="FR",
                          focal_point_email=f"fp{n}@town.example") for n in range(3)]
    for city in cities:
        assert city.stage == ProgrammeStage.DATA_COLLECTION
    token = csrf_token_from(client.get("/staff/").data)
    ids = [str(cities[0].id), str(cities[1].id)]
    assert client.post("/staff/bulk", data={"action": "move", "to_stage": "submitted",
                                            "city_ids": ids}).status_code == 400  # no CSRF
    response = client.post("/staff/bulk", data={
        "csrf_token": token, "action": "move", "to_stage": "submitted", "city_ids": ids},
        follow_redirects=True)
    assert "Done for 2 cities." in response.get_data(as_text=True)
    db.session.expire_all()
    assert [db.session.get(City, c.id).stage for c in cities] == [
        ProgrammeStage.SUBMITTED, ProgrammeStage.SUBMITTED, ProgrammeStage.DATA_COLLECTION]
    response = client.post("/staff/bulk", data={
        "csrf_token": token, "action": "move", "to_stage": "verified",
        "city_ids": [str(cities[2].id)]}, follow_redirects=True)
    assert "Town 2" in response.get_data(as_text=True)  # refused, and says which city
    response = client.post("/staff/bulk", data={
        "csrf_token": token, "action": "assign", "verifier": str(verifier.id),
        "city_ids": ids}, follow_redirects=True)
    assert "Done for 2 cities." in response.get_data(as_text=True)
    assert len(pipeline.verifiers_of(cities[0].id)) == 1
    response = client.post("/staff/bulk", data={
        "csrf_token": token, "action": "remind", "city_ids": ids}, follow_redirects=True)
    assert "Done for 2 cities." in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/staff/?page=0", "/staff/?page=999999999",
                                 "/staff/?per_page=abc", "/staff/?sort=%00", "/staff/?verifier=x",
                                 "/staff/letters?page=-1", "/cities/?page=xyz"])
def test_odd_paging_arguments_give_a_page_not_an_error(app, client, url):
    make_staff()
    sign_in(client)
    create_city(name="Lyon", population=500_000, country="FR")
    assert client.get(url).status_code == 200


def test_demo_load_accepts_thousands_of_cities(app, runner):
    result = runner.invoke(args=["demo", "load", "--cities", "30"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"created": True, "cities": 30}
    assert db.session.execute(select(db.func.count(CitySummary.city_id))).scalar_one() == 30


def test_a_verifier_can_filter_their_own_list_by_verifier(app, client):
    verifier = make_staff(email="ver@example.org", role="verifier", name="Vera")
    city = create_city(name="Tunis", population=700_000, country="TN")
    create_city(name="Sfax", population=330_000, country="TN")
    pipeline.assign_verifier(city.id, verifier.id, actor=None)
    headers = {"Authorization": f"Bearer {create_token(verifier, 'tests')[1]}"}
    mine = client.get(f"/api/v1/cities?verifier={verifier.id}", headers=headers)
    assert mine.status_code == 200 and [c["name"] for c in mine.json["cities"]] == ["Tunis"]
    assert client.get("/api/v1/cities?verifier=999", headers=headers).json["total"] == 0


def _names(html: str, names: tuple[str, ...]) -> list[str]:
    """The cities of a pipeline page, in the order shown."""
    found = [(html.find(f">{name}</a>"), name) for name in names]
    return [name for at, name in sorted(found) if at >= 0]


def test_pipeline_sorts_and_filters_by_programme_milestones(app, client):
    staff = make_staff()
    sign_in(client)
    names = ("Annecy", "Brest", "Colmar")
    annecy, brest, colmar = (create_city(name=n, population=50_000, country="FR")
                             for n in names)
    for city, invoiced, paid in ((annecy, date(2026, 1, 5), date(2026, 1, 20)),
                                 (brest, date(2025, 11, 2), date(2025, 12, 1))):
        record_milestone(city.id, "fee_invoiced", actor=staff, on=invoiced,
                         amount=Decimal("7000"), currency="CHF")
        record_milestone(city.id, "fee_paid", actor=staff, on=paid, amount=Decimal("7000"),
                         currency="CHF")
    record_milestone(colmar.id, "fee_invoiced", actor=staff, status="skipped",
                     note="paid by the national hub", on=date(2026, 1, 2))
    # Kept current in the same transaction as the milestone itself.
    db.session.expire_all()
    assert db.session.get(CitySummary, brest.id).fee_paid_on == date(2025, 12, 1)
    assert db.session.get(CitySummary, colmar.id).fee_invoiced_on is None  # skipped
    assert _names(client.get("/staff/?sort=fee_paid").text, names) == [
        "Brest", "Annecy", "Colmar"]  # earliest first; without one, last
    assert _names(client.get("/staff/?sort=fee_paid&dir=desc").text, names) == [
        "Annecy", "Brest", "Colmar"]
    assert _names(client.get("/staff/?milestone=fee_paid").text, names) == ["Annecy", "Brest"]
    page = client.get("/staff/?milestone=no_fee_paid").text
    assert _names(page, names) == ["Colmar"]
    assert "Fee paid" in page and "skipped" in page  # the column, and Colmar's skipped invoice
    # A signed letter coming back is a column too.
    letter = Letter(city_id=colmar.id, locale="fr", template_version="t", fee={}, content={})
    db.session.add(letter)
    db.session.commit()
    letter.signed_at = datetime(2026, 1, 3, 9, 30)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(CitySummary, colmar.id).signed_letter_at == datetime(2026, 1, 3, 9,
                                                                                30)
    assert _names(client.get("/staff/?sort=signed_letter").text, names)[0] == "Colmar"
    assert _names(client.get("/staff/?milestone=signed_letter").text, names) == ["Colmar"]
    # The API sorts, filters and shows them the same way.
    token = create_token(staff, "tests")[1]
    listed = client.get("/api/v1/cities?sort=fee_paid&milestone=fee_paid",
                        headers={"Authorization": f"Bearer {token}"}).json["cities"]
    assert [c["name"] for c in listed] == ["Brest", "Annecy"]
    assert listed[0]["milestones"]["fee_paid"] == {"status": "done", "date": "2025-12-01"}
    assert client.get("/api/v1/cities?milestone=%3Cscript%3E",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 422
    # Taken back: the city leaves the column's filter at once.
    clear_milestone(annecy.id, "fee_paid")
    assert _names(client.get("/staff/?milestone=fee_paid").text, names) == ["Brest"]
    # A hostile filter is ignored, never an error.
    assert client.get("/staff/?milestone=%00%27;DROP").status_code == 200
