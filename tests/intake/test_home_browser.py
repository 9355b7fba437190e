"""The home page as a visitor sees it in Chromium, in all six languages."""

import pytest

from intake.i18n import LANGUAGES
from tests.browser import chromium, live_server, screenshot, watch_console

pytestmark = pytest.mark.browser

START_BUTTON = {
    "en": "Start with the assistant",
    "fr": "Commencer avec l'assistant",
    "es": "Empezar con el asistente",
    "ar": "ابدأ مع المساعد",
    "zh": "从助手开始",
    "ru": "Начать с помощником",
}


def test_home_page_in_every_language(sqlite_app):
    with live_server(sqlite_app) as base, chromium(locale="en-GB") as context:
        page = context.new_page()
        problems = watch_console(page)
        for language in LANGUAGES:
            page.goto(f"{base}/language/{language}?next=/")
            html = page.locator("html")
            assert html.get_attribute("lang") == language
            assert html.get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
            assert page.get_by_role("link", name=START_BUTTON[language]).is_visible()
            screenshot(page, f"home-{language}")
        # The choice sticks: a plain visit keeps the last language chosen.
        page.goto(base + "/")
        assert page.locator("html").get_attribute("lang") == "ru"
        assert problems == []


def test_arabic_layout_is_mirrored(sqlite_app):
    width = 1000
    with live_server(sqlite_app) as base, chromium(viewport={"width": width, "height": 800}) as c:
        page = c.new_page()
        boxes = {}
        for language in ("en", "ar"):
            page.goto(f"{base}/?lang={language}")
            boxes[language] = {name: page.locator(f".{name}").bounding_box()
                               for name in ("brand", "languages")}
        ltr, rtl = boxes["en"], boxes["ar"]
        # Left to right: the brand on the left, the language list on the right; right to
        # left, the other way round, each as far from its edge as in English.
        assert ltr["brand"]["x"] < ltr["languages"]["x"]
        assert rtl["brand"]["x"] > rtl["languages"]["x"]
        # The brand keeps its distance from the inline start, the list from the inline end.
        assert width - (rtl["brand"]["x"] + rtl["brand"]["width"]) == pytest.approx(
            ltr["brand"]["x"], abs=2)
        assert rtl["languages"]["x"] == pytest.approx(
            width - (ltr["languages"]["x"] + ltr["languages"]["width"]), abs=2)


def test_phone_width_has_no_horizontal_scroll(sqlite_app):
    with live_server(sqlite_app) as base, chromium(viewport={"width": 360, "height": 740}) as c:
        page = c.new_page()
        for language in ("en", "ar", "zh"):
            page.goto(f"{base}/?lang={language}")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{language}: page is {overflow}px wider than the phone"
            screenshot(page, f"home-phone-{language}")
