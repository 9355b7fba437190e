"""The wizard's "I have the figure already": a result reported directly, then raw inputs."""

from __future__ import annotations

import pytest

from intake.services import values as value_service
from intake.services.cities import create_city
from intake.services.scoring import current_payload
from intake.services.wizard.review import review as wizard_review
from intake.services.wizard.steps import steps as wizard_steps
from scoring.jobs import score_category
from tests.intake.test_wizard import ICT, open_workspace, post_step, stored

ITEM = "EC: ICT: ICT: 1C"
TICK = "kpi_ec_ict_ict_1c__direct"
FIELD = "res_EC_ICT_ICT_1C"


@pytest.fixture
def city(app):
    return create_city(name="Stepford", population=50_000, focal_point_email="fp@example.org")


def step_of(code: str) -> int:
    return next(s.index for s in wizard_steps(ICT) if s.kpis and s.kpis[0].code == code)


def test_a_result_reported_directly_counts_and_the_page_says_so(client, city):
    open_workspace(client, city)
    index = step_of(ITEM)
    saved = post_step(client, ICT, index, {TICK: "y", FIELD: "92.4",
                                           "kpi_ec_ict_ict_1c__source": "INS 2023"},
                      action="save")
    assert saved.status_code == 302, saved.text
    row = stored(city, "result:" + ITEM)
    assert row.number == 92.4 and row.valid
    page = client.get(f"/w/c/{ICT}/{index}").text
    assert 'name="kpi_ec_ict_ict_1c__direct" value="y" checked' in page
    assert "reported directly" in page and "92.4" in page
    # Raw inputs given as well: the reported result still counts, and the page says so.
    value_service.set_city_values(city.id, {"hh_internet": 30_000, "hh_total": 40_000},
                                  actor="city")
    page = client.get(f"/w/c/{ICT}/{index}").text
    assert "The result you reported counts" in page and "75" in page
    review = next(r for r in wizard_review(city.id, ICT) if r.kpi.code == ITEM)
    assert review.computed[ITEM] == 92.4 and review.raw[ITEM] == 75.0 and review.ready
    result = score_category(current_payload(city.id, ICT))
    item = next(i for i in result["items"] if i["id"] == ITEM)
    assert item["value"] == 92.4 and item["reported_directly"] is True
    assert item["computed_value"] == 75.0
    # Unticked: the direct result is withdrawn and the raw inputs count again.
    post_step(client, ICT, index, {FIELD: "92.4", "dp_hh_internet": "30000"}, action="save")
    assert not stored(city, "result:" + ITEM).valid
    result = score_category(current_payload(city.id, ICT))
    item = next(i for i in result["items"] if i["id"] == ITEM)
    assert item["value"] == 75.0 and item["reported_directly"] is False


def test_a_direct_result_meets_the_same_checks_as_any_figure(client, city):
    open_workspace(client, city)
    index = step_of(ITEM)
    refused = post_step(client, ICT, index, {TICK: "y", FIELD: "140"})
    assert refused.status_code == 422
    assert "above 100" in refused.text
    assert not stored(city, "result:" + ITEM).valid
    words = post_step(client, ICT, index, {TICK: "y", FIELD: "95 percent"})
    assert words.status_code == 422 and "is not a number" in words.text.replace("&#34;", '"')
    # The draft is kept exactly as typed.
    assert stored(city, "result:" + ITEM).raw_text == "95 percent"


def test_a_share_typed_as_a_count_is_explained_and_converted_on_request(client, city):
    value_service.set_city_values(city.id, {"hh_total": 40_000}, actor="city")
    open_workspace(client, city)
    index = step_of(ITEM)
    refused = post_step(client, ICT, index, {"dp_hh_internet": "95 %"})
    assert refused.status_code == 422
    page = refused.text
    assert "is a percentage, but this field asks for a number" in page
    assert 'name="dp_hh_internet__meant" value="percent"' in page and "38,000" in page
    assert stored(city, "hh_internet").value is None  # never taken as 95 households
    chosen = post_step(client, ICT, index, {"dp_hh_internet": "95 %",
                                            "dp_hh_internet__meant": "percent"},
                       action="save")
    assert chosen.status_code == 302
    row = stored(city, "hh_internet")
    assert (row.value, row.raw_text, row.meant) == (38_000, "95 %", "percent")


def test_staff_in_full_time_equivalents_are_taken_with_decimals(client, city):
    open_workspace(client, city)
    kpi = next(k for k in value_service.catalog().kpis
               if any(dp.id == "police" for dp in k.data_points))
    index = next(s.index for s in wizard_steps(kpi.category) if kpi in s.kpis)
    page = client.get(f"/w/c/{kpi.category}/{index}").text
    assert "In full-time equivalents" in page
    saved = post_step(client, kpi.category, index, {"dp_police": "212.5"}, action="save")
    assert saved.status_code == 302
    assert stored(city, "police").value == 212.5


def test_shared_inputs_do_not_start_categories_without_figures_of_their_own(client, city):
    value_service.set_city_values(city.id, {"pop": 50_000, "hh_total": 20_000}, actor="bot")
    states = value_service.category_states(city.id)
    assert states and all(s.status == "not_started" for s in states.values())
    assert value_service.category_status(city.id, ICT) == "not_started"
    # A figure of its own starts a category; the others stay not started.
    value_service.set_city_values(city.id, {"hh_internet": 15_000}, actor="city")
    assert value_service.category_status(city.id, ICT) == "in_progress"
    assert value_service.category_status(city.id, "ec-water-sanitation") == "not_started"
    # The wizard still saves in a category whose shared inputs came from elsewhere.
    open_workspace(client, city)
    saved = post_step(client, "ec-water-sanitation", 1, {}, action="save")
    assert saved.status_code == 302
    assert value_service.category_status(city.id, "ec-water-sanitation") == "in_progress"


def test_the_population_given_to_the_assistant_is_in_the_workspace_as_its_own(app, client):
    from intake.models import City
    from intake.services.participation import confirm_participation
    from tests.intake.test_participation import answers

    result = confirm_participation(answers(population=66_670), locale="en")
    city = db_get(City, result.city_id)
    assert value_service.get_city_values(city.id)["pop"] == 66_670
    # Not asked again: shown filled, as the assistant's, and no category is started by it.
    assert all(s.status == "not_started" for s in value_service.category_states(city.id)
               .values())
    open_workspace(client, city)
    page = client.get(f"/w/c/{ICT}/0").text
    assert 'name="dp_pop"' in page and 'value="66670"' in page
    assert "Given to the assistant when your city signed up" in page


def db_get(model, ident):
    from intake.extensions import db

    return db.session.get(model, ident)


def test_wireless_coverage_by_area_where_it_is_not_known_by_inhabitants(client, city):
    from intake.services.scoring import current_payload

    value_service.set_city_values(city.id, {
        "pop": 50_000, "hh_total": 20_000, "hh_internet": 15_000, "fbb_subs": 9_000,
        "wbb_subs": 61_000, "wifi_hotspots": 42, "city_area": 120,
        # 3G known by inhabitants, 4G only by area.
        "cov_3g": 49_000, "cov_4g_area": 90}, actor="city")
    review = next(r for r in wizard_review(city.id, ICT)
                  if r.kpi.code == "EC: ICT: ICT: 4C")
    assert review.ready, [dp.id for dp in review.missing]
    result = score_category(current_payload(city.id, ICT))
    values = {i["id"]: i["value"] for i in result["items"]}
    assert values["EC: ICT: ICT: 4C#cov_3g"] == 98.0
    assert values["EC: ICT: ICT: 4C#cov_4g"] == 75.0
    # The area step shows both ways, each explained.
    open_workspace(client, city)
    step = next(s for s in wizard_steps(ICT) if s.kpis and
                s.kpis[0].code == "EC: ICT: ICT: 4C")
    page = client.get(f"/w/c/{ICT}/{step.index}").text
    assert 'name="dp_cov_4g_area"' in page and "Only if coverage is known by area" in page
