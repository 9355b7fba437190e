"""The assistant in Chromium: whole conversations in English and Arabic, with and without JS."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser import chromium, live_server, screenshot, watch_console

pytestmark = pytest.mark.browser

ENGLISH = ["Springfield", "Kenya", "250,000", "yes", "1",
           "Green, safe and connected neighbourhoods for everyone.", "Jane Doe",
           "jane@springfield.gov", "John Smith", "Mayor"]
ARABIC = ["دبي", "الإمارات العربية المتحدة", "٣٫٥ مليون", "نعم", "1",
          "مدينة ذكية ومستدامة تخدم جميع سكانها.", "فاطمة علي", "fatima@dubai.ae",
          "محمد أحمد", "رئيس البلدية"]


def send(page, text):
    """Type an answer and wait for the assistant's reply bubble."""
    before = page.locator(".bubble-bot").count()
    page.fill("#chat-text", text)
    page.click("#chat-send")
    page.locator(".bubble-bot").nth(before).wait_for()


def press(page, label):
    before = page.locator(".bubble-bot").count()
    page.locator(".quick-reply", has_text=label).first.click()
    page.locator(".bubble-bot").nth(before).wait_for()


def first_answer(page, text):
    """The first answer is an ordinary post: it creates the conversation."""
    page.fill("#chat-text", text)
    with page.expect_navigation():
        page.click("#chat-send")


def test_english_conversation_with_a_change_from_the_summary(sqlite_app):
    with live_server(sqlite_app) as base, chromium(locale="en-GB",
                                                   viewport={"width": 900, "height": 900}) as c:
        page = c.new_page()
        problems = watch_console(page)
        page.goto(f"{base}/assistant?lang=en")
        assert page.locator(".bubble-bot").first.inner_text().strip()
        first_answer(page, ENGLISH[0])
        url = page.url
        for text in ENGLISH[1:]:
            send(page, text)
        assert page.url == url  # no reloads: the script used the JSON API
        summary = page.locator(".bubble-bot").last.inner_text()
        assert "a city of 250,000 in a developing economy: 3,000 CHF or USD" in summary
        screenshot(page, "assistant-en-summary")

        press(page, "Change: Population")
        assert page.locator("#chat-text").is_visible()
        send(page, "1.2 million")
        summary = page.locator(".bubble-bot").last.inner_text()
        assert "a city of 1,200,000 in a developing economy: 7,000 CHF or USD" in summary

        # Reload mid-conversation: the whole transcript comes back.
        page.reload()
        assert "7,000 CHF or USD" in page.locator(".bubble-bot").last.inner_text()

        page.locator(".quick-reply", has_text="Yes, prepare the letter").click()
        page.locator("#result").wait_for()
        result = page.locator("#result")
        assert "Your city is registered" in result.inner_text()
        downloads = {}
        for name in ("Letter (web page)", "Letter (PDF)", "Letter (Word, to sign)"):
            # Links are absolute on PUBLIC_BASE_URL; fetch their path from the test server.
            href = page.get_by_role("link", name=name).get_attribute("href")
            response = page.request.get(base + urlsplit(href).path)
            assert response.ok, (name, response.status)
            downloads[name] = response.body()
        assert downloads["Letter (PDF)"][:4] == b"%PDF"
        assert downloads["Letter (Word, to sign)"][:2] == b"PK"
        assert "Springfield" in downloads["Letter (web page)"].decode()
        assert page.get_by_role("link", name="Open your city’s workspace").is_visible()
        screenshot(page, "assistant-en-done")
        assert problems == []


def test_arabic_conversation_right_to_left(sqlite_app):
    with live_server(sqlite_app) as base, chromium(locale="ar",
                                                   viewport={"width": 900, "height": 900}) as c:
        page = c.new_page()
        problems = watch_console(page)
        page.goto(f"{base}/assistant?lang=ar")
        assert page.locator("html").get_attribute("dir") == "rtl"
        first_answer(page, ARABIC[0])
        for text in ARABIC[1:]:
            send(page, text)
        summary = page.locator(".bubble-bot").last.inner_text()
        assert "7,000" in summary and "دبي" in summary
        # In right-to-left, the official's bubbles sit on the left, the assistant's on the right.
        user = page.locator(".bubble-user").last.bounding_box()
        bot = page.locator(".bubble-bot").last.bounding_box()
        assert user["x"] < bot["x"]
        screenshot(page, "assistant-ar-summary")

        press(page, "تغيير: عدد السكان")
        send(page, "٢٥٠٠٠٠")
        assert "3,000" in page.locator(".bubble-bot").last.inner_text()
        page.locator(".quick-reply", has_text="نعم، أعدّ الخطاب").click()
        page.locator("#result").wait_for()
        assert page.locator("#result a[href$='.pdf']").count() == 1
        screenshot(page, "assistant-ar-done")
        assert problems == []


def test_without_javascript_every_turn_is_a_page(sqlite_app):
    with live_server(sqlite_app) as base, chromium(java_script_enabled=False) as c:
        page = c.new_page()
        page.goto(f"{base}/assistant?lang=en")
        first_answer(page, "Springfield")
        page.fill("#chat-text", "Kenya")
        with page.expect_navigation():
            page.click("#chat-send")
        page.fill("#chat-text", "250k")
        with page.expect_navigation():
            page.click("#chat-send")
        with page.expect_navigation():
            page.locator(".quick-reply", has_text="Developing economy").click()
        assert "Which package would you like?" in page.locator(".bubble-bot").last.inner_text()
        screenshot(page, "assistant-en-nojs")


def test_phone_width_in_chinese_and_arabic(sqlite_app):
    with live_server(sqlite_app) as base, chromium(viewport={"width": 360, "height": 740}) as c:
        page = c.new_page()
        for language, answers in (("zh", ["深圳", "中国", "1700万"]), ("ar", ARABIC[:3])):
            page.goto(f"{base}/assistant?lang={language}")
            first_answer(page, answers[0])
            for text in answers[1:]:
                send(page, text)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{language}: page is {overflow}px wider than the phone"
            page.locator(".quick-reply").nth(1).wait_for()  # replies render after the bubble
            assert page.locator(".quick-reply").count() == 2  # the economy choices
            screenshot(page, f"assistant-phone-{language}")
            page.locator(".chat-restart button").click()
