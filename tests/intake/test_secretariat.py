"""The secretariat's pages: overview, a city's page and its moves, the letters inbox."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.fees import quote_fee
from intake.models import City, JobRecord, ProgrammeStage, StageChange
from intake.models._types import utcnow
from intake.models.score import CategoryScore
from intake.models.submission import CategoryState
from intake.services import pipeline
from intake.services.cities import create_city
from intake.services.letters import create_letter
from tests.browser import chromium, live_server, screenshot, watch_console
from tests.conftest import csrf_token_from
from tests.intake.test_accounts import PASSWORD, make_staff, sign_in

S = ProgrammeStage


@pytest.fixture
def secretariat(app):
    return make_staff()


@pytest.fixture
def signed_in(client, secretariat):
    sign_in(client)
    return client


def city_with_letter(name="Ålesund", country="NO", population=67_000, economy="developed",
                     package="verification", locale="fr"):
    city = create_city(name=name, population=population, country=country, economy=economy,
                       package=package, locale=locale, focal_point_email="fp@city.example")
    create_letter(city, locale=locale, fee=quote_fee(population, economy, package),
                  content={"city_name": name, "country": country})
    return city


def complete(city_id: int, category_id: str, percent: float | None = None, band=None,
             scored=4) -> None:
    db.session.add(CategoryState(city_id=city_id, category_id=category_id, status="complete",
                                 version=1, completed_at=utcnow()))
    if percent is not None:
        db.session.add(CategoryScore(city_id=city_id, category_id=category_id,
                                     catalog_version="test", benchmark_version="test",
                                     input_hash=f"{city_id}-{category_id}", percent=percent,
                                     band=band, scored=scored, reported=scored, total=scored,
                                     items=[]))
    db.session.commit()


# ------------------------------------------------------------------------ overview
def test_overview_lists_cities_with_step_completion_and_score(app, signed_in):
    city = create_city(name="Bizerte", population=142_966, country="TN")
    complete(city.id, "sc-education", percent=56.25, band=2, scored=4)
    complete(city.id, "sc-health", percent=75.0, band=3, scored=4)
    db.session.add(CategoryState(city_id=city.id, category_id="sc-culture",
                                 status="in_progress", version=1))
    db.session.commit()
    page = signed_in.get("/staff/")
    assert page.status_code == 200
    text = page.text
    assert "Bizerte" in text and "Tunisia" in text and "142,966" in text
    assert "Data collection" in text
    assert "2 of 24 complete" in text and "1 in progress" in text
    # (9 + 12) points of 32: 65.6 %, shown rounded.
    assert "66%" in text
    assert 'class="score band-2"' in text


def test_overview_filters_by_step_and_searches_any_script(app, signed_in, secretariat):
    create_city(name="Ålesund", population=67_000, country="NO")
    moscow = create_city(name="Москва", population=13_000_000, country="RU")
    pipeline.move_city(moscow.id, S.SUBMITTED, actor=secretariat)
    by_stage = signed_in.get("/staff/?stage=submitted").text
    assert "Москва" in by_stage and "Ålesund" not in by_stage
    found = signed_in.get("/staff/?q=%D0%BC%D0%BE%D1%81%D0%BA").text  # "моск", lower case
    assert "Москва" in found and "Ålesund" not in found
    assert "Ålesund" in signed_in.get("/staff/?q=%C3%85LES").text  # "ÅLES"
    assert "No city matches" in signed_in.get("/staff/?q=nowhere").text
    # An unknown step or an absurd query is ignored, not an error.
    assert signed_in.get("/staff/?stage=bogus&q=" + "x" * 5000).status_code == 200


def test_overdue_cities_are_marked_and_filterable(app, signed_in, secretariat):
    late = create_city(name="Kristiansund", population=24_000, country="NO")
    fresh = create_city(name="Krimpen", population=29_000, country="NL")
    change = pipeline.move_city(late.id, S.SUBMITTED, actor=secretariat)
    change.at = utcnow() - timedelta(days=45)
    db.session.commit()
    pipeline.move_city(fresh.id, S.SUBMITTED, actor=secretariat)
    page = signed_in.get("/staff/").text
    assert page.count("badge-overdue") == 1
    assert "more than 30 days" in page
    overdue = signed_in.get("/staff/?overdue=1").text
    assert "Kristiansund" in overdue and "Krimpen" not in overdue


# ------------------------------------------------------------------------ city page
def test_city_page_moves_the_city_and_shows_history(app, signed_in, form_post, secretariat):
    city = city_with_letter()
    url = f"/staff/cities/{city.id}"
    page = signed_in.get(url)
    assert "Forward to “Submitted”" in page.text and "Back to “Acknowledged”" in page.text
    response = form_post(signed_in, f"{url}/stage", {
        "expected_stage": "data_collection", "to_stage": "submitted",
        "note": "Received the full template"}, page_url=url)
    assert response.status_code == 302
    page = signed_in.get(url).text
    assert "is now at the step “Submitted”" in page
    assert "Received the full template" in page and "Sam Secretariat" in page
    db.session.refresh(city)
    assert city.stage == S.SUBMITTED
    change = db.session.execute(select(StageChange)).scalar_one()
    assert db.session.get(JobRecord, db.session.execute(
        select(JobRecord.id).where(JobRecord.key == f"mail:stage-change:{change.id}")
    ).scalar_one()).payload["to"] == ["fp@city.example"]


def test_city_page_refuses_bad_moves_with_a_message(app, signed_in, form_post):
    city = create_city(name="Aukra", population=3_600, country="NO")
    url = f"/staff/cities/{city.id}"
    back = form_post(signed_in, f"{url}/stage", {"expected_stage": "data_collection",
                                                  "to_stage": "acknowledged", "note": ""},
                     page_url=url)
    assert back.status_code == 409 and "needs a note" in back.text
    skip = form_post(signed_in, f"{url}/stage", {"expected_stage": "data_collection",
                                                  "to_stage": "published"}, page_url=url)
    assert skip.status_code == 409 and "one step at a time" in skip.text
    stale = form_post(signed_in, f"{url}/stage", {"expected_stage": "letter_received",
                                                   "to_stage": "acknowledged"}, page_url=url)
    assert stale.status_code == 409 and "in the meantime" in stale.text
    nonsense = form_post(signed_in, f"{url}/stage", {"expected_stage": "data_collection",
                                                      "to_stage": "<script>"}, page_url=url)
    assert nonsense.status_code == 409 and "is not a step" in nonsense.text
    assert "<script>" not in nonsense.text
    missing = form_post(signed_in, f"{url}/stage", {}, page_url=url)
    assert missing.status_code == 400
    db.session.refresh(city)
    assert city.stage == S.DATA_COLLECTION
    assert db.session.execute(select(StageChange)).first() is None


def test_assigning_a_verifier_from_the_city_page(app, signed_in, form_post, client):
    city = create_city(name="Rana", population=26_000, country="NO")
    verifier = make_staff(email="vera@example.org", role="verifier", name="Vera Verifier")
    url = f"/staff/cities/{city.id}"
    assert "Vera Verifier" in signed_in.get(url).text  # offered in the list
    response = form_post(signed_in, f"{url}/verifiers", {"verifier": str(verifier.id)},
                         page_url=url)
    assert response.status_code == 302
    assert [v.id for v in pipeline.verifiers_of(city.id)] == [verifier.id]
    bad = form_post(signed_in, f"{url}/verifiers", {"verifier": "999999"}, page_url=url)
    assert bad.status_code == 400 and "Not a valid choice" in bad.text

    # The verifier now sees the city and can move it within verification only.
    verifier_client = app.test_client()
    sign_in(verifier_client, email="vera@example.org")
    assert "Rana" in verifier_client.get("/staff/").text
    page = verifier_client.get(url).text
    assert "cannot move this city" in page  # data collection is the secretariat's
    db.session.execute(City.__table__.update().where(City.id == city.id)
                       .values(stage=S.SUBMITTED))
    db.session.commit()
    page = verifier_client.get(url)
    assert "Forward to “In verification”" in page.text
    assert "Assign a verifier" not in page.text
    token = csrf_token_from(page.data)
    refused = verifier_client.post(f"{url}/stage", data={
        "csrf_token": token, "expected_stage": "submitted", "to_stage": "data_collection",
        "note": "trying the secretariat's move"})
    assert refused.status_code == 403
    moved = verifier_client.post(f"{url}/stage", data={
        "csrf_token": token, "expected_stage": "submitted", "to_stage": "in_verification"})
    assert moved.status_code == 302
    # Verifiers cannot assign.
    assert verifier_client.post(f"{url}/verifiers", data={
        "csrf_token": token, "verifier": str(verifier.id)}).status_code == 403

    removed = form_post(signed_in, f"{url}/verifiers/{verifier.id}/remove", {}, page_url=url)
    assert removed.status_code == 302
    assert verifier_client.get(url).status_code == 403


# ------------------------------------------------------------------------ letters inbox
def test_letters_inbox_lists_filters_and_links_documents(app, signed_in):
    city_with_letter(name="Ålesund", country="NO", population=67_000, economy="developed",
                     locale="fr")
    city_with_letter(name="Bizerte", country="TN", population=142_966, economy="developing",
                     package="case_study", locale="ar")
    page = signed_in.get("/staff/letters")
    assert page.status_code == 200
    text = page.text
    for expected in ("Ålesund", "Norway", "67,000", "Developed", "Verification", "Français",
                     "Bizerte", "Tunisia", "142,966", "Developing", "Case study", "العربية"):
        assert expected in text, expected
    assert text.count("/letters/") >= 6
    assert ".pdf" in text and ".docx" in text and ".html" in text
    only_ar = signed_in.get("/staff/letters?language=ar").text
    assert "Bizerte" in only_ar and "Ålesund" not in only_ar
    by_package = signed_in.get("/staff/letters?package=case_study").text
    assert "Bizerte" in by_package and "Ålesund" not in by_package
    by_economy = signed_in.get("/staff/letters?economy=developed").text
    assert "Ålesund" in by_economy and "Bizerte" not in by_economy
    search = signed_in.get("/staff/letters?q=%C3%A5lesund").text
    assert "Ålesund" in search and "Bizerte" not in search
    by_country = signed_in.get("/staff/letters?q=tn").text
    assert "Bizerte" in by_country and "Ålesund" not in by_country
    assert "No letter matches" in signed_in.get("/staff/letters?q=zzz").text
    assert signed_in.get("/staff/letters?language=xx&package=gold").status_code == 200


def test_letter_links_open_the_documents(app, signed_in):
    from intake.models import Letter
    from intake.services.letters import render_letter

    city = city_with_letter()
    page = signed_in.get("/staff/letters").text
    links = {}
    for href, kind in re.findall(r'href="(/letters/[^"]+\.(html|pdf|docx))"', page):
        links.setdefault(kind, href)
    assert set(links) == {"html", "pdf", "docx"}, links
    # Rendering runs in the background: until it has, each link says so.
    for link in links.values():
        waiting = signed_in.get(link)
        assert waiting.status_code == 202 and b"being prepared" in waiting.data
    [letter] = db.session.scalars(select(Letter).where(Letter.city_id == city.id)).all()
    render_letter({"letter_id": letter.id})  # what the documents worker does
    pdf = signed_in.get(links["pdf"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    docx = signed_in.get(links["docx"])
    assert docx.status_code == 200 and docx.data.startswith(b"PK")  # a Word (zip) file
    assert zipfile.ZipFile(io.BytesIO(docx.data)).testzip() is None
    html = signed_in.get(links["html"])
    assert html.status_code == 200 and "Ålesund" in html.get_data(as_text=True)


# ------------------------------------------------------------------------ CSRF everywhere
def test_every_staff_post_needs_a_csrf_token(app, client, secretariat):
    city = create_city(name="Aukra", population=3_600, country="NO")
    verifier = make_staff(email="vera@example.org", role="verifier")
    sign_in(client)
    posts = [rule for rule in app.url_map.iter_rules()
             if "POST" in rule.methods and rule.endpoint.split(".")[0] in ("auth",
                                                                          "secretariat")]
    assert len(posts) >= 6
    values = {"city_id": city.id, "user_id": verifier.id, "token_id": 1, "letter_id": 1,
              "flag_id": 1}
    for rule in posts:
        url = rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]
        data = {"email": "sec@example.org", "password": PASSWORD, "to_stage": "submitted",
                "expected_stage": "data_collection", "verifier": str(verifier.id),
                "current_password": PASSWORD, "new_password": "a brand new passphrase",
                "confirm": "a brand new passphrase"}
        response = client.post(url, data=data)
        assert response.status_code == 400, url
        assert "This form had expired" in response.text
    db.session.refresh(city)
    assert city.stage == S.DATA_COLLECTION
    assert pipeline.verifiers_of(city.id) == []
    assert client.get("/staff/").status_code == 200  # still signed in, password unchanged


# ------------------------------------------------------------------------ in Chromium
@pytest.mark.browser
def test_secretariat_signs_in_and_moves_a_city_in_chromium(sqlite_app):
    make_staff()
    city = city_with_letter(name="Ålesund", locale="ar")
    complete(city.id, "sc-education", percent=56.25, band=2)
    complete(city.id, "ec-ict-infrastructure", percent=100.0, band=4)
    other = create_city(name="Москва", population=13_000_000, country="RU")
    db.session.execute(City.__table__.update().where(City.id == other.id)
                       .values(created_at=utcnow() - timedelta(days=40)))
    db.session.commit()
    city_id = city.id
    # SQLite: the test's session must hold no transaction while the server writes.
    db.session.close()
    with live_server(sqlite_app) as base, chromium(viewport={"width": 1280, "height": 900}) as c:
        page = c.new_page()
        problems = watch_console(page)
        page.goto(f"{base}/language/en?next=/staff/")
        assert "/login" in page.url
        page.get_by_label("E-mail address").fill("sec@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/staff/")
        assert page.locator("tr.overdue").count() == 1
        screenshot(page, "staff-overview-en")

        page.get_by_role("link", name="Ålesund").click()
        page.get_by_label("Note").fill("Template received complete")
        page.get_by_role("button", name="Forward to “Submitted”").click()
        page.wait_for_load_state()
        assert page.locator(".stage-track li.current").inner_text().endswith("Submitted")
        assert page.get_by_text("Template received complete").is_visible()
        screenshot(page, "staff-city-en")

        page.goto(f"{base}/language/ar?next=/staff/")
        assert page.locator("html").get_attribute("dir") == "rtl"
        screenshot(page, "staff-overview-ar")
        page.goto(f"{base}/staff/cities/{city_id}")
        screenshot(page, "staff-city-ar")
        page.goto(f"{base}/staff/letters")
        screenshot(page, "staff-letters-ar")
        page.goto(f"{base}/language/en?next=/staff/letters")
        screenshot(page, "staff-letters-en")
        assert problems == []
    assert db.session.get(City, city_id).stage == S.SUBMITTED
