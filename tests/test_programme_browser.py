"""The whole programme in Chromium, as the people who use it walk it.

A city official talks to the assistant and gets the participation letter; the secretariat
finds it in the inbox, moves the city through the programme's steps and assigns a verifier;
the verifier asks a question, the city answers from its workspace link, the verifier verifies
the KPIs; the secretariat marks the city verified and downloads its report and certificate.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import City, ProgrammeStage
from intake.services import values as value_service
from tests.browser import chromium, live_server, screenshot, watch_console
from tests.intake.test_accounts import PASSWORD, make_staff
from tests.intake.test_assistant_browser import first_answer, send
from tests.intake.test_verification import ICT, fill_ict

pytestmark = pytest.mark.browser

ANSWERS = ["Stavanger", "Norway", "145000", "yes", "1",
           "A city that measures what matters, for everyone.", "Ingrid Berg",
           "ingrid@stavanger.example", "Kari Mayor", "Mayor"]
STEPS_TO_VERIFICATION = ["Acknowledged", "Data collection", "Submitted",
                         "In verification"]


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/language/en?next=/staff/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/staff/")


def test_from_the_assistant_to_a_verified_city(sqlite_app):
    from playwright.sync_api import expect

    make_staff()
    make_staff(email="ver@example.org", role="verifier", name="Vera Verifier")
    db.session.close()  # SQLite: hold no transaction while the server writes
    with live_server(sqlite_app) as base, chromium(viewport={"width": 1280, "height": 900}) as c:
        official = c.new_page()
        problems = watch_console(official)
        official.goto(f"{base}/assistant?lang=en")
        first_answer(official, ANSWERS[0])
        for text in ANSWERS[1:]:
            send(official, text)
        official.locator(".quick-reply").first.click()  # "Yes, prepare the letter"
        official.locator("#result").wait_for()
        workspace = urlsplit(official.locator("#result a[href*='/w/']").first
                             .get_attribute("href")).path

        city = db.session.execute(select(City).where(City.name == "Stavanger")).scalar_one()
        city_id = city.id
        assert city.stage == ProgrammeStage.LETTER_RECEIVED
        fill_ict(city_id)  # the departments' figures (the wizards are tested on their own)
        kpi_codes = [k.code for k in value_service.catalog().kpis_in(ICT)]
        db.session.close()

        staff = c.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        problems += watch_console(staff)
        sign_in(staff, base, "sec@example.org")
        staff.goto(f"{base}/staff/letters")
        row = staff.locator("tr", has_text="Stavanger")
        expect(row.get_by_text("145,000")).to_be_visible()
        screenshot(staff, "programme-inbox-en")
        staff.goto(f"{base}/staff/cities/{city_id}")
        for step in STEPS_TO_VERIFICATION:
            staff.get_by_role("button", name=f"Forward to “{step}”").click()
            staff.wait_for_load_state()
        staff.get_by_label("Assign a verifier").select_option(
            label="Vera Verifier <ver@example.org>")
        staff.get_by_role("button", name="Assign", exact=True).click()
        staff.wait_for_load_state()
        screenshot(staff, "programme-city-en")

        verifier = c.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        problems += watch_console(verifier)
        sign_in(verifier, base, "ver@example.org")
        verifier.goto(f"{base}/staff/verify/{city_id}/c/{ICT}")
        row = verifier.locator("#kpi-EC-ICT-ICT-1C tr", has_text="hh_internet")
        row.get_by_text("Ask about this figure").click()
        row.get_by_label("Your question to the city").fill("Is 41 000 from the census?")
        row.get_by_role("button", name="Send the question").click()
        verifier.wait_for_load_state()

        answer = c.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        problems += watch_console(answer)
        answer.goto(f"{base}{workspace}?lang=en")  # the link the assistant gave the official
        answer.get_by_role("link", name="Questions from the verifier (1 open)").click()
        answer.get_by_label("Your answer").fill("The census says 42 500.")
        answer.get_by_label("Corrected value (optional)").fill("42500")
        answer.get_by_role("button", name="Send the answer").click()
        answer.wait_for_load_state()
        expect(answer.get_by_text("the value is updated")).to_be_visible()

        verifier.goto(f"{base}/staff/verify/{city_id}/c/{ICT}")
        for code in kpi_codes:
            anchor = re.sub(r"[^A-Za-z0-9_]+", "-", code).strip("-")
            form = verifier.locator(f"#kpi-{anchor} form.mark-form")
            form.get_by_label("Yes, verified").check()
            form.get_by_role("button").click()
            verifier.wait_for_load_state()

        staff.goto(f"{base}/staff/cities/{city_id}")
        staff.get_by_role("button", name="Forward to “Verified”").click()
        staff.wait_for_load_state()
        staff.goto(f"{base}/staff/verify/{city_id}/report.html")
        with staff.expect_download() as report:
            staff.get_by_role("link", name="Download the report (PDF)").click()
        with staff.expect_download() as certificate:
            staff.get_by_role("link", name="Download the certificate (PDF)").click()
        for download in (report.value, certificate.value):
            assert Path(download.path()).read_bytes().startswith(b"%PDF")
        screenshot(staff, "programme-report-en")
        assert problems == []
    city = db.session.get(City, city_id)
    assert city.stage == ProgrammeStage.VERIFIED
    assert value_service.get_city_values(city_id)["hh_internet"] == 42_500
