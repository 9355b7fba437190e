"""The City Snapshot on a 360 × 740 phone, in Chromium: labels one can read, one request."""

from __future__ import annotations

import pytest

from intake.demo import load_demo
from intake.extensions import db
from intake.services.links import snapshot_token
from tests.browser import SCREENSHOTS, chromium, live_server, screenshot, watch_console

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}

# Each visible text of the wheel: its font size as drawn (CSS px) and the height of each
# of its lines from getBoundingClientRect, measured upright (a radial label is turned:
# its rotation is taken off for the measure and put back).
MEASURE_LABELS = """() => {
  const frame = (document.querySelector(".wheel-frame")
                 || document.querySelector("figure.snapshot-figure")).getBoundingClientRect();
  return [...document.querySelectorAll("svg.wheel text")]
    .filter(text => getComputedStyle(text).display !== "none" && text.getClientRects().length)
    .map(text => {
      const turned = text.getAttribute("transform");
      if (turned) { text.removeAttribute("transform"); }
      const lines = text.querySelectorAll("tspan").length
        ? [...text.querySelectorAll("tspan")] : [text];
      const heights = lines.map(line => line.getBoundingClientRect().height);
      if (turned) { text.setAttribute("transform", turned); }
      const box = text.getBoundingClientRect();
      const matrix = text.getScreenCTM();
      return {text: text.textContent, kind: text.getAttribute("class"),
              px: parseFloat(getComputedStyle(text).fontSize) * Math.hypot(matrix.a, matrix.b),
              height: Math.min(...heights),
              box: [box.left, box.top, box.right, box.bottom],
              inside: box.left >= frame.left - 0.5 && box.right <= frame.right + 0.5
                      && box.top >= frame.top - 0.5 && box.bottom <= frame.bottom + 0.5};
    });
}"""


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture
def demo_snapshot(sqlite_app):
    city = load_demo()
    token = snapshot_token(city)
    db.session.commit()  # release SQLite's write lock for the server
    db.session.close()
    return f"/snapshot/{token}"


@pytest.mark.parametrize("language", ["en", "ar"])
def test_wheel_labels_are_readable_on_a_phone(sqlite_app, demo_snapshot, language):
    with live_server(sqlite_app) as base, chromium(viewport=PHONE, locale=language) as context:
        page = context.new_page()
        problems = watch_console(page)
        page.goto(f"{base}{demo_snapshot}?lang={language}")
        labels = page.evaluate(MEASURE_LABELS)
        screenshot(page, f"snapshot-phone-{language}")
        page.locator("figure.snapshot-figure").screenshot(
            path=str(SCREENSHOTS / f"snapshot-phone-wheel-{language}.png"))
        small = [(label["text"], round(label["px"], 1), label["height"]) for label in labels
                 if label["px"] < 12 or label["height"] < 12]
        assert not small, small
        numbers = [label for label in labels if label["kind"] == "category-number"]
        # Every category has its number, inside the visible frame, none on another.
        assert [label["text"] for label in numbers] == [str(n) for n in range(1, 25)]
        assert not [label["text"] for label in labels if not label["inside"]]
        for index, label in enumerate(numbers):
            assert not [other["text"] for other in numbers[index + 1:]
                        if _overlap(label["box"], other["box"])], label["text"]
        # The dimensions are still named on the wheel; the names of the categories are in
        # the Scores list under it, with the same numbers.
        assert len([label for label in labels if label["kind"] == "dimension-label"]) == 3
        listed = page.locator(".score-list .category-number")
        assert listed.count() == 24 and listed.first.is_visible()
        first = page.locator(".score-list dt a").first
        assert first.inner_text().startswith("1")
        assert problems == []


def test_wheel_keeps_the_names_on_a_wide_screen(sqlite_app, demo_snapshot):
    with live_server(sqlite_app) as base, chromium(viewport={"width": 1280, "height": 900},
                                                   locale="en") as context:
        page = context.new_page()
        page.goto(f"{base}{demo_snapshot}?lang=en")
        labels = page.evaluate(MEASURE_LABELS)
        kinds = {label["kind"] for label in labels}
        assert "category-label" in kinds and "category-number" not in kinds
        assert not page.locator(".score-list .category-number").first.is_visible()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_snapshot_is_usable_after_one_request_from_an_empty_cache(sqlite_app,
                                                                       demo_snapshot, language):
    """Opened from a link with nothing cached: no stylesheet or script to fetch after the
    page (each is a round trip on a slow line), and the Content-Security-Policy still
    allows what the page carries inline."""
    with live_server(sqlite_app) as base, chromium(viewport=PHONE, locale=language) as context:
        page = context.new_page()
        problems = watch_console(page)
        fetched: list[str] = []
        page.on("request", lambda request: fetched.append(request.url))
        page.goto(f"{base}{demo_snapshot}?lang={language}", wait_until="load")
        assert [url for url in fetched if "favicon" not in url] == [
            f"{base}{demo_snapshot}?lang={language}"]
        # Styled (the header's colour comes from the stylesheet) ...
        header = page.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor")
        assert header not in ("rgba(0, 0, 0, 0)", "transparent")
        # ... and the script ran: on a phone each dimension's table is folded.
        details = page.locator("details.dimension-details")
        assert details.count() == 3
        assert details.evaluate_all("all => all.every(d => !d.open)")
        assert problems == []  # no Content-Security-Policy violation
