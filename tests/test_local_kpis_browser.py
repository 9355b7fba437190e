"""Local KPIs in Chromium: the city proposes one, the secretariat approves it, the city fills
it and sees it in its City Snapshot apart from the 91 — in English and Arabic, on a desktop
and a 360 px phone."""

from __future__ import annotations

import pytest

from intake.extensions import db
from intake.services.links import workspace_token
from tests.browser import SCREENSHOTS, chromium, live_server, screenshot, watch_console
from tests.intake.test_accounts import PASSWORD, make_staff
from tests.intake.test_snapshot import city_with_ict

pytestmark = pytest.mark.browser


NAME = "Households on district heating"


def fill_proposal(page, *, target: str, category: str = "ec-ict-infrastructure") -> None:
    """The proposal form as a city fills it: a ratio of households, higher is better."""
    page.locator("#local-name").fill(NAME)
    page.locator("#local-category").select_option(category)
    page.locator("#local-unit").fill("%")
    page.locator("#local-formula").fill("connected households / all households × 100")
    page.locator("#local-kind").select_option("ratio")
    page.locator("#local-numerator").fill("Households connected")
    page.locator("#local-denominator").fill("All households")
    page.locator("#local-multiplier").select_option("100")
    page.locator("#local-direction").select_option("higher_is_better")
    page.locator("#local-target").fill(target)
    page.locator("#local-target-source").fill("City climate plan 2030")


def approve(staff, base: str, city_id: int) -> None:
    """The secretariat opens the city's local KPIs from its page and approves the proposal."""
    from playwright.sync_api import expect

    staff.goto(f"{base}/staff/cities/{city_id}")
    staff.locator("#local-kpis-link").click()
    staff.wait_for_url(f"{base}/staff/cities/{city_id}/local-kpis")
    staff.locator("button[value=approve]").click()
    staff.wait_for_load_state()
    expect(staff.locator("article.local-kpi .badge-ok")).to_be_visible()


def report_figures(page, kpi_id: str, *, quality: str | None = None) -> None:
    """27 000 of 60 000 households for 2025: 45 %, three of four points against 60 %."""
    page.locator(f"#kpi{kpi_id}-year").fill("2025")
    page.locator(f"#kpi{kpi_id}-numerator").fill("27 000")
    page.locator(f"#kpi{kpi_id}-denominator").fill("60 000")
    page.locator(f"#kpi{kpi_id}-source").fill("Utility register")
    if quality:
        page.locator(f"#kpi{kpi_id}-quality").select_option(quality)
    page.locator(f"#local-kpi-{kpi_id} form button[type=submit]").click()
    page.wait_for_load_state()


def sign_in(page, base: str, email: str, language: str) -> None:
    page.goto(f"{base}/language/en?next=/staff/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/staff/")
    page.goto(f"{base}/language/{language}?next=/staff/")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_propose_approve_fill_and_see_in_the_snapshot(sqlite_app, language):
    from playwright.sync_api import expect

    make_staff()
    city = city_with_ict("Heatville" if language == "en" else "مدينة الدفء")
    city_id, link = city.id, f"/w/{workspace_token(city)}"
    db.session.close()  # SQLite: hold no transaction while the server writes
    with live_server(sqlite_app) as base, chromium(viewport={"width": 1280, "height": 900}) as c:
        official = c.new_page()
        problems = watch_console(official)
        official.goto(f"{base}/language/{language}?next={link}")
        official.locator("nav.subnav a[href='/w/local-kpis']").click()
        official.wait_for_url(f"{base}/w/local-kpis")
        assert official.locator("html").get_attribute("dir") == (
            "rtl" if language == "ar" else "ltr")
        fill_proposal(official, target="-60")  # a slip: refused, nothing lost
        official.locator("#local-description").fill("Low-carbon heat for homes.")
        official.locator("#propose button[type=submit]").click()
        official.wait_for_load_state()
        expect(official.locator("#local-target-error")).to_be_visible()
        assert official.locator("#local-name").input_value() == NAME
        official.locator("#local-target").fill("60")
        official.locator("#propose button[type=submit]").click()
        official.wait_for_load_state()
        card = official.locator("article.local-kpi").first
        expect(card.locator(".badge-warning")).to_be_visible()
        screenshot(official, f"local-kpis-proposed-{language}")

        staff = c.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        problems += watch_console(staff)
        sign_in(staff, base, "sec@example.org", language)
        approve(staff, base, city_id)
        screenshot(staff, f"local-kpis-staff-{language}")

        official.reload()
        kpi_id = card.get_attribute("id").rsplit("-", 1)[1]
        report_figures(official, kpi_id, quality="accurate")
        expect(official.locator(f"#local-kpi-{kpi_id} .formula-shown")).to_be_visible()
        expect(official.locator(f"#local-kpi-{kpi_id} .swatch.band-3")).to_be_visible()
        screenshot(official, f"local-kpis-filled-{language}")

        official.goto(f"{base}/snapshot/")
        section = official.locator("#local-kpis")
        expect(section).to_be_visible()
        expect(section.locator("tr#local-kpi-" + kpi_id + " .swatch.band-3")).to_be_visible()
        SCREENSHOTS.mkdir(exist_ok=True)
        section.screenshot(path=str(SCREENSHOTS / f"local-kpis-snapshot-{language}.png"))

        phone = c.browser.new_context(viewport={"width": 360, "height": 740},
                                      device_scale_factor=1).new_page()
        problems += watch_console(phone)
        phone.goto(f"{base}/language/{language}?next={link}")
        phone.goto(f"{base}/w/local-kpis")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 362, f"the page scrolls sideways on a phone ({width} px)"
        screenshot(phone, f"local-kpis-phone-{language}")
        phone.goto(f"{base}/snapshot/")
        phone.locator("#local-kpis").screenshot(
            path=str(SCREENSHOTS / f"local-kpis-snapshot-phone-{language}.png"))
        # The refused proposal answered 400 on purpose; nothing else may complain.
        assert [p for p in problems if "status of 400" not in p] == []
