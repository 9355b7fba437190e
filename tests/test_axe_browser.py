"""axe-core over the main journey, at 1280 px and 360 px, in English and Arabic: no violation.

axe-core comes from the PyPI package axe-playwright-python (installed by pyproject's test
extra; nothing is fetched at test time) and runs inside Debian's Chromium. Every rule tagged
WCAG 2.0/2.1/2.2 A or AA, or best practice, must pass on every page.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from intake.extensions import db
from tests.browser import chromium, live_server, screenshot
from tests.intake.test_accounts import PASSWORD, make_staff
from tests.intake.test_assistant_browser import first_answer, send
from tests.test_journey_browser import ANSWERS, REST

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": TAGS},
                                       "resultTypes": ["violations"]})
    found = []
    for rule in results.response["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in rule["nodes"][:4]]
        found.append(f"{rule['id']} ({rule['impact']}, {len(rule['nodes'])}x): {targets}")
    return found


def staff_sign_in(page, base: str) -> None:
    page.locator("#email").fill("sec@example.org")
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/staff/")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_axe_finds_nothing_on_the_main_journey(sqlite_app, language):
    make_staff()
    db.session.close()  # SQLite: hold no transaction while the server writes
    problems: dict[str, list[str]] = {}
    with live_server(sqlite_app) as base, chromium(locale=language,
                                                   viewport=WIDTHS["desktop"]) as context:
        page = context.new_page()

        def check(name: str, width: str) -> None:
            page.wait_for_load_state()
            found = axe_violations(page)
            if found:
                problems[f"{width} {name} ({page.url})"] = found
            screenshot(page, f"axe-{language}-{width}-{name}")

        # The journey, walked once: a new city through the assistant, into its workspace.
        page.goto(f"{base}/language/{language}?next=/")
        check("home", "desktop")
        page.goto(f"{base}/assistant")
        check("assistant start", "desktop")
        answers = ANSWERS[language] + REST
        first_answer(page, answers[0])
        for text in answers[1:]:
            send(page, text)
        check("assistant summary", "desktop")
        page.locator(".quick-reply").first.click()
        page.locator("#result").wait_for()
        conversation = page.url
        check("assistant finished", "desktop")
        letter = urlsplit(page.locator("#result a[href$='.html']").first
                          .get_attribute("href")).path
        workspace = urlsplit(page.locator("#result a[href*='/w/']").first
                             .get_attribute("href")).path
        page.goto(base + workspace)
        first_step = page.locator("a[href*='/w/c/']").first.get_attribute("href")
        category = urlsplit(first_step).path.split("/")[3]
        step = f"{base}/w/c/{category}/0"

        pages = [("home", "/"), ("assistant start", "/assistant"),
                 ("assistant finished", urlsplit(conversation).path), ("letter", letter),
                 ("workspace", "/w/"), ("step", f"/w/c/{category}/0"),
                 ("review", f"/w/c/{category}/review"), ("snapshot", "/snapshot/"),
                 ("factsheet", "/w/factsheet"), ("404", "/no-such-page")]
        for width, viewport in WIDTHS.items():
            page.set_viewport_size(viewport)
            for name, path in pages:
                if width == "desktop" and name in ("home", "assistant start",
                                                   "assistant finished"):
                    continue  # seen above, as the journey went
                page.goto(base + path)
                check(name, width)
            page.goto(step)
            page.locator(".value-input").first.fill("not a number")
            page.locator(".wizard-buttons .button-primary").click()
            page.locator("#error-summary").wait_for()
            check("step with errors", width)

        # The secretariat's side, in a browser of its own.
        staff = context.browser.new_context(locale=language, viewport=WIDTHS["desktop"])
        page = staff.new_page()
        for width, viewport in WIDTHS.items():
            page.set_viewport_size(viewport)
            page.goto(f"{base}/language/{language}?next=/login")
            check("login", width)
        staff_sign_in(page, base)
        href = page.locator("a[href*='/staff/cities/']").first.get_attribute("href")
        city_page = urlsplit(href).path
        for width, viewport in WIDTHS.items():
            page.set_viewport_size(viewport)
            for name, path in (("staff inbox", "/staff/letters"), ("pipeline", "/staff/"),
                               ("city page", city_page)):
                page.goto(base + path)
                check(name, width)
        staff.close()
    report = "\n".join(f"{where}:\n  " + "\n  ".join(found) for where, found in problems.items())
    assert not problems, f"axe found violations:\n{report}"
