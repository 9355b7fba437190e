"""The keyboard alone: through the assistant into the workspace, and a step saved with an error."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from intake.extensions import db
from tests.browser import chromium, live_server, screenshot, watch_console
from tests.test_journey_browser import ANSWERS, REST

pytestmark = pytest.mark.browser


def focused(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement;
        return {tag: el.tagName, id: el.id, href: el.getAttribute("href") || "",
                cls: el.className || "", text: (el.textContent || "").trim()};
    }""")


def tab_until(page, matches, limit: int = 80) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if matches(now):
            return now
    raise AssertionError(f"Tab never reached the element; last focus: {focused(page)}")


def answer(page, text: str) -> None:
    before = page.locator(".bubble-bot").count()
    assert focused(page)["id"] == "chat-text"  # the answer box keeps the focus
    page.keyboard.type(text)
    if focused(page)["tag"] == "TEXTAREA":
        page.keyboard.press("Tab")  # Enter is a new line in a long answer: go to Send
        assert focused(page)["id"] == "chat-send"
    page.keyboard.press("Enter")
    page.locator(".bubble-bot").nth(before).wait_for()


def test_assistant_and_a_step_with_an_error_by_keyboard(sqlite_app):
    db.session.close()
    with live_server(sqlite_app) as base, chromium(
            locale="en-GB", viewport={"width": 360, "height": 740}) as context:
        page = context.new_page()
        problems = watch_console(page)
        page.goto(f"{base}/assistant?lang=en")
        answers = ANSWERS["en"] + REST
        # The first answer is an ordinary post (it creates the conversation).
        assert focused(page)["id"] == "chat-text"  # autofocus: no Tab needed
        page.keyboard.type(answers[0])
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.locator("#chat-text").wait_for()
        page.locator("#chat-text").focus() if focused(page)["id"] != "chat-text" else None
        for text in answers[1:]:
            answer(page, text)
        # Bubbles added by the script say who speaks, as the server's do.
        prefixes = page.locator(".bubble .visually-hidden").all_inner_texts()
        assert "You:" in prefixes and "Assistant:" in prefixes
        assert page.locator(".bubble").count() == page.locator(".bubble .visually-hidden").count()
        assert page.locator("#chat-log").get_attribute("aria-live") == "polite"
        # The summary's first suggested answer confirms: Tab to it, press Enter.
        tab_until(page, lambda el: "quick-reply" in el["cls"])
        page.keyboard.press("Enter")
        page.locator("#result").wait_for()
        page.wait_for_load_state()
        assert focused(page)["id"] == "result"  # the final card is announced and focused
        link = tab_until(page, lambda el: "/w/" in el["href"] and el["tag"] == "A")
        # The link is built on PUBLIC_BASE_URL, not this test server: open its path here.
        page.goto(base + urlsplit(link["href"]).path)

        tab_until(page, lambda el: "/w/c/" in el["href"])
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_url("**/w/c/**")
        first_field = tab_until(page, lambda el: "value-input" in el["cls"])
        # The step's first field is above the fold on a 360 x 740 phone.
        box = page.locator(f"#{first_field['id']}").bounding_box()
        assert box["y"] + box["height"] <= 740, box

        # The wizard's buttons: Tab order is the visual order (left to right in English).
        buttons = page.locator(".wizard-buttons button")
        xs = [buttons.nth(i).bounding_box() for i in range(buttons.count())]
        rows = sorted(xs, key=lambda b: (round(b["y"]), b["x"]))
        assert rows == xs, "the buttons' visual order differs from their Tab order"

        page.locator(f"#{first_field['id']}").focus()
        page.keyboard.type("not a number")
        with page.expect_navigation():
            page.keyboard.press("Enter")  # "Save and continue"
        page.locator("#error-summary").wait_for()
        now = focused(page)
        assert now["id"] == "error-summary", now
        summary = page.locator("#error-summary")
        assert summary.get_attribute("role") == "alert"
        screenshot(page, "keyboard-step-error-summary")
        # One Tab reaches the link to the field; Enter puts the cursor in it.
        page.keyboard.press("Tab")
        assert focused(page)["href"] == f"#{first_field['id']}"
        page.keyboard.press("Enter")
        assert focused(page)["id"] == first_field["id"]
        field = page.locator(f"#{first_field['id']}")
        assert field.get_attribute("aria-invalid") == "true"
        described = field.get_attribute("aria-describedby").split()
        assert f"{first_field['id']}-msg" in described and f"{first_field['id']}-unit" in described
        message = page.locator(f"#{first_field['id']}-msg").inner_text()
        assert message.strip()
        # The refused save answers 422 (the browser logs it); nothing else may show.
        assert [p for p in problems if "422" not in p] == []


def test_a_draft_is_saved_in_place_and_saved_again_without_conflict(sqlite_app):
    from intake.services.cities import create_city
    from intake.services.links import workspace_token

    city = create_city(name="Draftville", population=60_000)
    token = workspace_token(city)
    db.session.close()
    with live_server(sqlite_app) as base, chromium(
            viewport={"width": 360, "height": 740}) as context:
        page = context.new_page()
        problems = watch_console(page)
        page.goto(f"{base}/w/{token}?lang=en")
        page.goto(f"{base}/w/c/ec-ict-infrastructure/0")
        origin = page.evaluate("performance.timeOrigin")
        for value in ("40000", "41000"):
            page.locator("#dp_hh_total").fill(value)
            page.locator(".wizard-buttons button[value=save]").click()
            page.wait_for_function(
                "() => document.getElementById('save-status')?.textContent === 'Saved.'")
            assert page.locator("#save-status").get_attribute("role") == "status"
            # Saved in place: the page was not reloaded.
            assert page.evaluate("performance.timeOrigin") == origin
            page.evaluate("document.getElementById('save-status').textContent = ''")
        page.reload()
        assert page.locator("#dp_hh_total").input_value() == "41000"
        assert page.locator(".conflict").count() == 0
        assert problems == []


CONTRAST = """(el) => {
    const rgb = (text) => text.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map((c) => {
        c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }).reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
    let back = el.parentElement;
    while (back && getComputedStyle(back).backgroundColor.endsWith(", 0)")) {
        back = back.parentElement;
    }
    const a = lum(rgb(getComputedStyle(el).outlineColor));
    const b = lum(rgb(getComputedStyle(back || document.body).backgroundColor));
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def test_focus_rings_stand_out_on_every_background(sqlite_app):
    with live_server(sqlite_app) as base, chromium(
            viewport={"width": 360, "height": 740}) as context:
        page = context.new_page()
        page.goto(f"{base}/?lang=en")
        checked = 0
        for _ in range(12):  # skip link, brand, languages, then the page's own links
            page.keyboard.press("Tab")
            ratio = page.evaluate(f"() => ({CONTRAST})(document.activeElement)")
            where = page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)")
            assert ratio >= 3, f"focus ring {ratio:.2f}:1 on {where}"
            checked += 1
        assert checked == 12


def test_long_pages_fold_on_a_phone_and_open_from_the_contents(sqlite_app):
    from intake.services.cities import create_city
    from intake.services.links import snapshot_token

    token = snapshot_token(create_city(name="Foldtown", population=70_000))
    db.session.close()
    with live_server(sqlite_app) as base, chromium(
            viewport={"width": 360, "height": 740}) as context:
        page = context.new_page()
        page.goto(f"{base}/snapshot/{token}?lang=en")
        sections = page.locator("details.dimension-details")
        assert sections.count() >= 3
        assert all(not sections.nth(i).evaluate("d => d.open") for i in range(sections.count()))
        page.locator(".page-toc a").nth(1).click()
        assert sections.nth(1).evaluate("d => d.open")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.reload()
        assert all(sections.nth(i).evaluate("d => d.open") for i in range(sections.count()))


def test_the_verification_report_folds_by_dimension_on_a_phone(sqlite_app):
    """86 KPIs not reported read as three dimension headings on a phone; the contents link
    opens the section's first dimension; on a wide screen everything is open."""
    from intake.services.cities import create_city
    from tests.intake.test_accounts import make_staff
    from tests.test_programme_browser import sign_in

    make_staff()
    city_id = create_city(name="Foldtown", population=70_000).id
    db.session.close()
    with live_server(sqlite_app) as base, chromium(
            viewport={"width": 360, "height": 740}) as context:
        page = context.new_page()
        problems = watch_console(page)
        sign_in(page, base, "sec@example.org")
        page.goto(f"{base}/staff/verify/{city_id}/report.html?lang=en")
        folds = page.locator("#report-not-reported details.dimension-details")
        assert folds.count() == 3
        assert all(not folds.nth(i).evaluate("d => d.open") for i in range(3))
        assert not page.get_by_text("EC: ICT: WS: 1C").first.is_visible()
        page.locator(".page-toc a[href='#report-not-reported']").click()
        assert folds.nth(0).evaluate("d => d.open")
        assert page.get_by_text("EC: ICT: WS: 1C").first.is_visible()
        screenshot(page, "report-folded-phone-en")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.reload()
        assert all(folds.nth(i).evaluate("d => d.open") for i in range(3))
        assert problems == []
