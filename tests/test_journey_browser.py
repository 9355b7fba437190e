"""The main journey in every language, as a new user walks it in Chromium.

Home page → assistant → participation letter (PDF text in the language's script) →
workspace → City Snapshot. On every page of a non-English journey, no English interface
string may show: each message of the catalogue that is longer than a few words is looked
for in the page's text.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.pofile import read_po

from intake.i18n import LANGUAGES
from tests.browser import chromium, live_server, screenshot, watch_console
from tests.intake.test_assistant_browser import first_answer, send

pytestmark = pytest.mark.browser
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

ANSWERS = {
    "en": ["Testville", "Norway", "250000", "yes"],
    "fr": ["Testville", "Norvège", "250000", "oui"],
    "es": ["Testville", "Noruega", "250000", "sí"],
    "ar": ["Testville", "النرويج", "250000", "نعم"],
    "zh": ["Testville", "挪威", "250000", "是"],
    "ru": ["Testville", "Норвегия", "250000", "да"],
}
REST = ["1", "A city that measures what matters.", "Ana Lima", "ana@testville.example",
        "Eva Mayor", "Mayor"]
LETTER_SCRIPT = {
    "en": r"Participation in the U4SSC",
    "fr": r"Participation au projet",
    "es": r"Participación en el proyecto",
    "ar": r"[\u0600-\u06FF]{4,}",
    "zh": r"[\u4e00-\u9fff]{4,}",
    "ru": r"[\u0400-\u04FF]{4,}",
}


def english_leaks(language: str, text: str) -> list[str]:
    """Interface messages shown in English on a page meant to be in `language`."""
    if language == "en":
        return []
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle, locale=language)
    leaks = []
    for message in catalogue:
        if not message.id or not isinstance(message.id, str):
            continue
        english = message.id
        if "%" in english or "{" in english or len(english.split()) < 3:
            continue
        if english in text and message.string != english:
            leaks.append(english)
    return leaks


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_main_journey(sqlite_app, language, tmp_path):
    direction = "rtl" if language == "ar" else "ltr"
    with live_server(sqlite_app) as base, chromium(
            locale=language, viewport={"width": 1000, "height": 900}) as context:
        page = context.new_page()
        problems = watch_console(page)

        def check(name: str) -> None:
            assert page.locator("html").get_attribute("lang") == language, name
            assert page.locator("html").get_attribute("dir") == direction, name
            leaks = english_leaks(language, page.locator("body").inner_text())
            assert leaks == [], f"{name}: English left on the page: {leaks[:5]}"
            screenshot(page, f"journey-{language}-{name}")

        page.goto(f"{base}/language/{language}?next=/")
        check("home")
        page.locator(".ways-in a").first.click()
        page.wait_for_load_state()
        check("assistant")
        answers = ANSWERS[language] + REST
        first_answer(page, answers[0])
        for text in answers[1:]:
            send(page, text)
        check("summary")
        page.locator(".quick-reply").first.click()  # the first reply confirms
        page.locator("#result").wait_for()
        check("result")

        pdf_href = page.locator("#result a[href$='.pdf']").first.get_attribute("href")
        pdf = page.request.get(base + urlsplit(pdf_href).path)
        assert pdf.ok and pdf.body()[:4] == b"%PDF"
        (tmp_path / "letter.pdf").write_bytes(pdf.body())
        text = subprocess.run(["pdftotext", str(tmp_path / "letter.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert "Testville" in text
        assert re.search(LETTER_SCRIPT[language], text), f"{language} letter text: {text[:200]}"

        workspace = page.locator("#result a[href*='/w/']").first.get_attribute("href")
        page.goto(base + urlsplit(workspace).path)
        check("workspace")
        page.goto(f"{base}/snapshot/")
        check("snapshot")
        assert problems == []
