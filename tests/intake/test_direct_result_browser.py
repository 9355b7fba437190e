"""A KPI reported directly, then with raw inputs as well, in Chromium, English and Arabic."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from intake.services.cities import create_city
from intake.services.links import workspace_url
from intake.services.values import get_city_values
from tests.browser import chromium, live_server, screenshot, watch_console
from tests.intake.test_wizard_browser import in_language, link_for

pytestmark = pytest.mark.browser

ICT = "ec-ict-infrastructure"
ITEM = "EC: ICT: ICT: 1C"
TYPED = {"en": ("97.00 %", "30 000", "40 000"), "ar": ("٩٧٫٠٠ ٪", "٣٠٠٠٠", "٤٠٠٠٠")}


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [1100, 360], ids=["desktop", "phone"])
def test_a_kpi_reported_directly_then_with_raw_inputs(sqlite_app, lang, width):
    from intake.extensions import db

    city = create_city(name="Karmøy", population=42_000, locale=lang)
    city_id, link = city.id, workspace_url(city)
    db.session.rollback()
    published, households_online, households = TYPED[lang]
    tag = f"{lang}-{'phone' if width == 360 else 'desktop'}"
    with live_server(sqlite_app) as base, chromium(
            locale=lang, viewport={"width": width, "height": 740 if width == 360 else 900}
    ) as context:
        page = context.new_page()
        problems = watch_console(page)
        page.goto(link_for(link, base) + f"?lang={lang}")
        page.goto(f"{base}/w/c/{ICT}/1?lang={lang}")
        assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        # Unticked, the result box is out of the way.
        assert not page.locator('input[name="res_EC_ICT_ICT_1C"]').is_visible()
        page.get_by_label(in_language(sqlite_app, lang, "I have the figure already")).check()
        page.fill('input[name="res_EC_ICT_ICT_1C"]', published)
        page.locator('.wizard-buttons button[value="save"]').click()
        # With JavaScript a draft is saved in place: open the page again to see it as saved.
        page.wait_for_load_state("networkidle")
        page.reload()
        badge = in_language(sqlite_app, lang, "reported directly")
        assert page.locator(".computed .direct-badge").first.text_content().strip() == badge
        screenshot(page, f"direct-result-{tag}")
        # Raw inputs given as well: the reported result still counts, and the page says so.
        page.fill('input[name="dp_hh_internet"]', households_online)
        # The draft is saved in place: wait for the portal's answer before leaving the page.
        with page.expect_response(lambda r: r.request.method == "POST") as saved:
            page.locator('.wizard-buttons button[value="save"]').click()
        assert saved.value.ok
        page.goto(f"{base}/w/c/{ICT}/0?lang={lang}")
        page.fill('input[name="dp_hh_total"]', households)
        with page.expect_navigation():
            page.locator('.wizard-buttons button[value="next"]').click()
        expect(page.locator(".direct-note")).to_be_visible()
        screenshot(page, f"direct-result-and-raw-{tag}")
        assert problems == []
    values = get_city_values(city_id)
    assert values["result:" + ITEM] == 97.0 and values["hh_internet"] == 30_000
