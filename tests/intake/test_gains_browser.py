"""What a city gains, seen in Chromium: factsheet, peers, a published city's page (en, ar)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import City, Consent
from intake.services.links import workspace_token
from tests.browser import chromium, live_server, screenshot, watch_console

pytestmark = pytest.mark.browser


def test_demo_cities_factsheet_peers_and_public_page(sqlite_app):
    result = sqlite_app.test_cli_runner().invoke(args=["demo", "load", "--cities", "12"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["cities"]) == 12
    city = db.session.execute(select(City).where(City.name == "Valmont")).scalar_one()
    token = workspace_token(city)
    published = db.session.execute(select(Consent)).scalar_one()
    others = [name for name in db.session.execute(select(City.name)).scalars()
              if name != "Valmont"]
    with live_server(sqlite_app) as base, chromium(viewport={"width": 1280, "height": 900},
                                                   locale="en-GB") as context:
        page = context.new_page()
        problems = watch_console(page)
        page.goto(f"{base}/w/{token}?lang=en")
        page.get_by_role("link", name="Factsheet").click()
        assert page.locator("svg.radar .radar-area").is_visible()
        assert page.locator("svg.radar line").count() == 24
        assert page.get_by_text("Solar roofs on every school").first.is_visible()
        assert page.locator(".peer-figure").count() > 20
        html = page.content()
        assert not [name for name in others if name in html]
        screenshot(page, "gains-factsheet-en")

        page.goto(f"{base}/w/factsheet?lang=ar")
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.locator("svg.radar").get_attribute("direction") == "rtl"
        # Mirrored: the second category's spoke points left in Arabic.
        second = page.locator("svg.radar .radar-grid line").nth(1)
        assert float(second.get_attribute("x2")) < 0
        screenshot(page, "gains-factsheet-ar")

        for language in ("en", "ar"):
            page.goto(f"{base}/w/peers?lang={language}")
            assert page.locator(".peers-table .peer-figure").count() > 10
            assert not [name for name in others if name in page.content()]
            screenshot(page, f"gains-peers-{language}")

        visitor = context.new_page()
        visitor_problems = watch_console(visitor)
        for language in ("en", "ar"):
            visitor.goto(f"{base}/cities/?lang={language}")
            card = visitor.locator(".public-city-card")
            assert card.count() == 1 and "Brightwater" in card.inner_text()
            thumb = card.locator("img")
            assert thumb.evaluate("img => img.decode().then(() => img.naturalWidth > 0)")
            screenshot(visitor, f"gains-public-list-{language}")
            visitor.goto(f"{base}/cities/{published.public_id}?lang={language}")
            assert visitor.locator("h1").inner_text() == "Brightwater"
            assert visitor.locator("img.public-snapshot").evaluate(
                "img => img.decode().then(() => img.naturalWidth > 0)")
            screenshot(visitor, f"gains-public-city-{language}")
        assert problems == [] and visitor_problems == []
