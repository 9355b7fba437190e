"""A city describes its initiatives in its workspace: add, validate, edit, delete."""

from __future__ import annotations

import pytest
from flask_babel import refresh
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Initiative
from intake.services import gains, improvement
from intake.services.cities import create_city
from intake.services.links import workspace_token

GOOD = {"category_id": "en-energy", "title": "Solar roofs", "description": "48 schools",
        "status": "ongoing", "link": "https://example.org/solar"}


@pytest.fixture
def city(app, client):
    city = create_city(name="Initiville", population=120_000, economy="developed")
    assert client.get(f"/w/{workspace_token(city)}").status_code == 302
    return city


def count() -> int:
    return db.session.execute(select(func.count(Initiative.id))).scalar_one()


def test_add_an_initiative_and_see_it_listed_and_on_the_factsheet(client, city, form_post):
    response = form_post(client, "/w/initiatives", GOOD)
    assert response.status_code == 302
    initiative = db.session.execute(select(Initiative)).scalar_one()
    assert (initiative.city_id, initiative.title, initiative.status) == (
        city.id, "Solar roofs", "ongoing")
    page = client.get("/w/initiatives").text
    assert "Solar roofs" in page and "The initiative was saved." in page
    assert "Solar roofs" in client.get("/w/factsheet").text


@pytest.mark.parametrize("change, message", [
    ({"title": "   "}, "Give the initiative a title."),
    ({"title": "x" * 201}, "At most 200 characters."),
    ({"link": "javascript:alert(1)"}, "must be a web address starting with http://"),
    ({"link": "ftp://example.org/file"}, "must be a web address starting with http://"),
    ({"link": "https://"}, "must be a web address starting with http://"),
    ({"status": "abandoned"}, "Not a valid choice"),
    ({"category_id": "no-such-category"}, "Not a valid choice"),
    ({"description": "d" * 2001}, "At most 2000 characters."),
])
def test_bad_input_is_refused_with_a_message_and_kept(client, city, form_post, change,
                                                      message):
    response = form_post(client, "/w/initiatives", {**GOOD, **change})
    assert response.status_code == 422
    assert message in response.text
    assert count() == 0
    # What was typed comes back in the form (not lost).
    if "title" in change and change["title"].strip():
        assert change["title"] in response.text


def test_service_refuses_unsafe_links_even_without_the_form(app, city):
    with pytest.raises(gains.GainsError):
        improvement.save_initiative(city.id, category_id="en-energy", title="x",
                              link="javascript:alert(1)")
    with pytest.raises(gains.GainsError):
        improvement.save_initiative(city.id, category_id="en-energy", title="x", status="maybe")
    assert improvement.valid_link("http://example.org/a?b=c")
    assert not improvement.valid_link("data:x")
    assert count() == 0


def test_edit_and_delete_own_initiative(client, city, form_post):
    initiative = improvement.save_initiative(city.id, **GOOD)
    url = f"/w/initiatives/{initiative.id}"
    assert "Solar roofs" in client.get(url).text
    response = form_post(client, url, {**GOOD, "title": "Solar roofs, phase 2",
                                       "status": "completed", "link": ""})
    assert response.status_code == 302
    db.session.refresh(initiative)
    assert (initiative.title, initiative.status, initiative.link) == (
        "Solar roofs, phase 2", "completed", None)
    response = form_post(client, f"{url}/delete", {}, page_url="/w/initiatives")
    assert response.status_code == 302 and count() == 0


def test_another_citys_initiative_is_out_of_reach(client, city, form_post):
    other = create_city(name="Elsewhere", population=90_000)
    theirs = improvement.save_initiative(other.id, **{**GOOD, "title": "Their secret plan"})
    url = f"/w/initiatives/{theirs.id}"
    assert client.get(url).status_code == 404
    assert form_post(client, url, GOOD, page_url="/w/initiatives").status_code == 404
    form_post(client, f"{url}/delete", {}, page_url="/w/initiatives")
    assert db.session.get(Initiative, theirs.id) is not None
    assert "Their secret plan" not in client.get("/w/initiatives").text


def test_posts_need_the_csrf_token_and_the_workspace_link(app, client, city):
    assert client.post("/w/initiatives", data=GOOD).status_code == 400
    stranger = app.test_client()
    assert stranger.get("/w/initiatives").status_code == 401
    assert count() == 0


def test_initiatives_page_in_arabic(client, city):
    refresh()  # the tests share one app context, where Flask-Babel caches the locale
    html = client.get("/w/initiatives?lang=ar").text
    refresh()
    assert '<html lang="ar" dir="rtl">' in html
