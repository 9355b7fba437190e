"""The city team in Chromium: two colleagues fill their own categories from their own links."""

from __future__ import annotations

import re

import pytest

from intake.services.cities import create_city
from intake.services.links import workspace_url
from tests.browser import chromium, live_server, screenshot, watch_console
from tests.intake.test_accounts import PASSWORD, make_staff

pytestmark = pytest.mark.browser

DRAINAGE = "ec-drainage"
FOOD = "sc-food-security"


def invite(page, base, outbox, *, name, email, department, category_label):
    page.goto(f"{base}/w/team?lang=en")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Department").fill(department)
    page.get_by_label(category_label, exact=True).check()
    page.get_by_role("button", name="Invite and e-mail the link").click()
    page.wait_for_load_state()
    assert page.get_by_text(f"We e-mailed {name} a personal link").is_visible()
    message = outbox[-1]
    assert message.recipients == [email]
    return re.search(r"http://localhost(/w/colleague/\S+)", message.body).group(1)


def fill(page, figures: dict[str, str], source: str) -> None:
    for name, value in figures.items():
        page.fill(f'input[name="{name}"]', value)
    page.locator('select[name$="__tier"]').select_option("accurate")
    page.fill('input[name$="__source"]', source)
    page.fill('input[name$="__year"]', "2025")
    page.locator('.wizard-buttons button[name="action"][value="review"]').click()
    page.wait_for_load_state()


def test_two_colleagues_fill_their_own_categories_and_the_focal_point_follows(sqlite_app):
    from intake.extensions import db, mail

    sqlite_app.config["MAIL_SERVER"] = "localhost"  # recorded, not sent (TESTING)
    city = create_city(name="Teamville", population=80_000, locale="en",
                       focal_point_name="Ana Focal", focal_point_email="ana@example.org")
    make_staff()
    city_id, link = city.id, workspace_url(city)
    db.session.close()  # SQLite: hold no transaction while the server writes
    with (mail.record_messages() as outbox, live_server(sqlite_app) as base,
          chromium(viewport={"width": 1100, "height": 900}) as context):
        focal = context.new_page()
        problems = watch_console(focal)
        focal.goto(link.replace("http://localhost", base) + "?lang=en")
        focal.get_by_role("link", name="Manage your team").click()
        bo_link = invite(focal, base, outbox, name="Bo Water", email="bo@example.org",
                         department="Water utility", category_label="Drainage")
        cy_link = invite(focal, base, outbox, name="Cy Food", email="cy@example.org",
                         department="Agriculture office", category_label="Food Security")

        # Each colleague in a browser of their own.
        bo_context = context.browser.new_context(viewport={"width": 360, "height": 740})
        cy_context = context.browser.new_context(viewport={"width": 1100, "height": 900})
        if True:
            bo = bo_context.new_page()
            problems += watch_console(bo)
            bo.goto(base + bo_link + "?lang=en")
            assert bo.get_by_role("heading", name="Your figures for Teamville").is_visible()
            screenshot(bo, "team-colleague-home-phone")
            bo.get_by_role("link", name="Drainage").click()
            fill(bo, {"dp_dr_km": "120", "dp_dr_ict_km": "12"}, "Water utility register")
            assert "/w/c/ec-drainage/review" in bo.url

            cy = cy_context.new_page()
            cy.goto(base + cy_link + "?lang=ar")
            cy.goto(f"{base}/w/c/{FOOD}/0")
            fill(cy, {"dp_food_local": "40", "dp_food_total": "100"}, "Agriculture census")
            screenshot(cy, "team-colleague-review-ar")

            # Neither opens the other's category; the answer says why.
            refused = bo.goto(f"{base}/w/c/{FOOD}/0?lang=en")
            assert refused.status == 403
            assert bo.get_by_role("heading", name="Not part of your figures").is_visible()
            assert cy.goto(f"{base}/w/c/{DRAINAGE}/0").status == 403
            assert bo.goto(f"{base}/staff/").status in (401, 403) or "/login" in bo.url

            # The focal point sees both at work.
            focal.goto(f"{base}/w/team?lang=en")
            bo_card = focal.get_by_role("article", name="Bo Water · Water utility")
            cy_card = focal.get_by_role("article", name="Cy Food · Agriculture office")
            assert "Drainage" in bo_card.inner_text() and "1/1" in bo_card.inner_text()
            assert "Food Security" in cy_card.inner_text() and "1/1" in cy_card.inner_text()
            screenshot(focal, "team-page-desktop")

            # Revoked: Bo's next request explains what to do, naming the focal point.
            bo_card.get_by_role("button", name="Revoke the link").click()
            focal.wait_for_load_state()
            stopped = bo.goto(f"{base}/w/?lang=en")
            assert stopped.status == 403
            assert bo.get_by_text("Ana Focal, who coordinates your city's data").is_visible()
            screenshot(bo, "team-link-revoked-phone")

        bo_context.close()
        cy_context.close()

        # The verifier's view and the audit trail name who entered each figure.
        staff_context = context.browser.new_context(viewport={"width": 1280, "height": 900})
        staff = staff_context.new_page()
        staff.goto(f"{base}/language/en?next=/staff/")
        staff.get_by_label("E-mail address").fill("sec@example.org")
        staff.get_by_label("Password").fill(PASSWORD)
        staff.get_by_role("button", name="Sign in").click()
        staff.wait_for_url(f"{base}/staff/")
        staff.goto(f"{base}/staff/verify/{city_id}/c/{DRAINAGE}")
        assert staff.get_by_text("Entered by Bo Water (Water utility)").first.is_visible()
        staff.goto(f"{base}/staff/verify/{city_id}/c/{FOOD}")
        assert staff.get_by_text("Entered by Cy Food (Agriculture office)").first.is_visible()
        staff.goto(f"{base}/staff/verify/{city_id}/audit")
        trail = staff.locator("main").inner_text()
        assert "Bo Water (Water utility)" in trail and "Cy Food (Agriculture office)" in trail
        staff_context.close()
    assert problems == []
