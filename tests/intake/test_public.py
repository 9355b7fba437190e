"""Public recognition: consent, publishing, the public pages, and taking a city off them."""

from __future__ import annotations

import pytest
from flask_babel import refresh
from sqlalchemy import update

from intake.extensions import db
from intake.models import City, ProgrammeStage
from intake.services import improvement, pipeline, publication
from intake.services.cities import create_city
from intake.services.links import workspace_token
from tests.intake.test_accounts import make_staff, sign_in

S = ProgrammeStage


@pytest.fixture
def city(app):
    city = create_city(name="Lumenbourg", population=180_000, economy="developed",
                       locale="en", focal_point_email="fp@lumenbourg.example")
    db.session.execute(update(City).where(City.id == city.id).values(stage=S.VERIFIED))
    db.session.commit()
    return city


@pytest.fixture
def city_client(app, city):
    client = app.test_client()
    assert client.get(f"/w/{workspace_token(city)}").status_code == 302
    return client


@pytest.fixture
def staff_client(app):
    client = app.test_client()
    staff = make_staff()
    sign_in(client)
    client.staff = staff
    return client


def publish(city, staff_client, form_post):
    return form_post(staff_client, f"/staff/gains/{city.id}/publish", {},
                     page_url=f"/staff/gains/{city.id}")


def test_consent_is_given_in_the_workspace_and_publishing_needs_it(
        app, city, city_client, staff_client, form_post):
    client = app.test_client()
    # Without consent the secretariat cannot publish, by this page or the pipeline.
    refused = publish(city, staff_client, form_post)
    assert refused.status_code == 302
    assert "has not agreed to publication" in staff_client.get(refused.location).text
    with pytest.raises(pipeline.TransitionError, match="only with its consent"):
        pipeline.move_city(city.id, S.PUBLISHED, actor=staff_client.staff)
    db.session.refresh(city)
    assert city.stage == S.VERIFIED
    # The city consents (the box must be ticked).
    unticked = form_post(city_client, "/w/consent", {})
    assert unticked.status_code == 422 and "Tick the box to agree." in unticked.text
    given = form_post(city_client, "/w/consent", {"agree": "y"})
    assert given.status_code == 302
    consent = publication.consent_of(city.id)
    assert consent.active and consent.given_at is not None and not consent.include_initiatives
    public_url = f"/cities/{consent.public_id}"
    assert client.get(public_url).status_code == 404  # consent alone does not publish
    assert publish(city, staff_client, form_post).status_code == 302
    db.session.refresh(city)
    assert city.stage == S.PUBLISHED
    page = client.get(public_url)
    assert page.status_code == 200 and "Lumenbourg" in page.text
    assert "Lumenbourg" in client.get("/cities/").text
    svg = client.get(f"{public_url}/snapshot.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.data.lstrip().startswith(b"<?xml")


def test_consent_only_once_verified(app, city, city_client, form_post):
    db.session.execute(update(City).where(City.id == city.id).values(stage=S.SUBMITTED))
    db.session.commit()
    page = city_client.get("/w/consent").text
    assert "once its data is verified" in page
    form_post(city_client, "/w/consent", {"agree": "y"})
    assert publication.consent_of(city.id) is None


def published(city, staff_client=None, include_initiatives=False):
    consent = publication.give_consent(city.id, actor="test",
                                       include_initiatives=include_initiatives)
    pipeline.move_city(city.id, S.PUBLISHED, actor=None)
    return f"/cities/{consent.public_id}"


def test_unpublished_cities_answer_404_everywhere(app, city, client):
    assert client.get(f"/cities/{city.id}").status_code == 404  # never the database id
    consent = publication.give_consent(city.id, actor="test")
    for suffix in ("", "/snapshot.svg", "/certificate.pdf"):
        assert client.get(f"/cities/{consent.public_id}{suffix}").status_code == 404
    assert "Lumenbourg" not in client.get("/cities/").text
    assert client.get("/cities/no-such-city").status_code == 404


def test_unpublishing_removes_the_pages_at_once(app, city, client, staff_client, form_post):
    url = published(city)
    assert client.get(url).status_code == 200
    missing_note = form_post(staff_client, f"/staff/gains/{city.id}/unpublish", {"note": ""},
                             page_url=f"/staff/gains/{city.id}")
    assert missing_note.status_code == 302 and client.get(url).status_code == 200
    response = form_post(staff_client, f"/staff/gains/{city.id}/unpublish",
                         {"note": "Figures under review"}, page_url=f"/staff/gains/{city.id}")
    assert response.status_code == 302
    assert client.get(url).status_code == 404
    assert client.get(f"{url}/snapshot.svg").status_code == 404
    assert "Lumenbourg" not in client.get("/cities/").text


def test_revoking_consent_removes_the_pages_at_once(app, city, city_client, client,
                                                     form_post):
    url = published(city)
    assert client.get(url).status_code == 200
    response = form_post(city_client, "/w/consent/revoke", {}, page_url="/w/consent")
    assert response.status_code == 302
    assert client.get(url).status_code == 404
    db.session.refresh(city)
    assert city.stage == S.VERIFIED  # back one step, with the reason on record
    assert "revoked its consent" in pipeline.history(city.id)[0].note
    # Consenting again keeps the same stable address.
    again = publication.give_consent(city.id, actor="test")
    assert f"/cities/{again.public_id}" == url


def test_public_pages_are_cacheable_with_etags(app, city, client):
    url = published(city)
    for path in (url, f"{url}/snapshot.svg", "/cities/"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"].startswith("public, max-age=")
        etag = response.headers["ETag"]
        assert "csrf-token" not in response.text and "Set-Cookie" not in response.headers
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304


def test_public_pages_show_only_what_was_consented_to(app, city, client):
    improvement.save_initiative(city.id, category_id="en-energy", title="District heating",
                          status="ongoing")
    url = published(city)
    html = client.get(url).text
    assert "District heating" not in html
    assert city.focal_point_email not in html
    consent = publication.give_consent(city.id, actor="test", include_initiatives=True)
    assert consent.include_initiatives
    assert "District heating" in client.get(url).text


def test_public_pages_in_six_languages(app, city, client):
    url = published(city)
    for language in ("en", "fr", "es", "ar", "zh", "ru"):
        refresh()  # the tests share one app context, where Flask-Babel caches the locale
        response = client.get(f"{url}?lang={language}")
        assert response.status_code == 200
        assert f'<html lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}">' in (
            response.text)
        # The visitor's own language choice is not stored in shared caches.
        assert response.headers["Cache-Control"].startswith("private")
    refresh()
