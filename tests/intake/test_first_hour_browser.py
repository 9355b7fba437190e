"""The first hour in Chromium, in French and Arabic, on a port other than 5000: assistant →
letter → every link on the card → signed letter → the secretariat sees it; the same city
again; a lost link found from /resume; a category's score on the workspace."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from intake.models import City, JobRecord, Letter
from tests.browser import chromium, live_server, screenshot, watch_console
from tests.intake.test_accounts import PASSWORD, make_staff
from tests.intake.test_wizard_browser import FIGURES, ICT, fill_step, in_language, press_next

pytestmark = pytest.mark.browser

CONVERSATIONS = {
    "fr": ["Saint-Aubin-sur-Loire", "France", "45 000", "oui", "1",
           "Une ville verte et sûre pour tous.", "Marie Dupont", "marie@saint-aubin.fr",
           "Jean Martin", "Maire", "oui"],
    "ar": ["دبي", "الإمارات العربية المتحدة", "٣٫٥ مليون", "نعم", "1",
           "مدينة ذكية ومستدامة تخدم جميع سكانها.", "فاطمة علي", "fatima@dubai.ae",
           "محمد أحمد", "رئيس البلدية", "نعم"],
}
# French reads "50,000" as fifty; the figures are typed as a French clerk would.
ICT_FIGURES = {
    "fr": [{"dp_hh_total": "20 000", "dp_pop": "50 000"}, {"dp_hh_internet": "15 000"},
           {"dp_fbb_subs": "9000"}, {"dp_wbb_subs": "61 000"},
           {"dp_cov_3g": "49 000", "dp_cov_4g": "45 500"}, {"dp_wifi_hotspots": "42"}],
    "ar": FIGURES["ar"],
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def t(app, lang, text, **values):
    return in_language(app, lang, text, **values)


def send(page, text):
    before = page.locator(".bubble-bot").count()
    page.fill("#chat-text", text)
    page.click("#chat-send")
    page.locator(".bubble-bot").nth(before).wait_for()


def first_answer(page, text):
    page.fill("#chat-text", text)
    with page.expect_navigation():
        page.click("#chat-send")


def converse(page, base, lang, answers):
    page.goto(f"{base}/assistant?lang={lang}")
    first_answer(page, answers[0])
    for text in answers[1:]:
        send(page, text)


def last_mail(app, to: str) -> str:
    """The latest e-mail queued for `to`, as it is sent (links wait in the job row as
    placeholders until then), read and released at once (SQLite)."""
    from intake.extensions import db
    from intake.services.links import reveal_links

    jobs = db.session.execute(select(JobRecord).where(JobRecord.kind == "mail.send")
                              .order_by(JobRecord.created_at.desc())).scalars().all()
    body = reveal_links(next(job.payload["body"] for job in jobs if to in job.payload["to"]))
    db.session.rollback()
    return body


def links_in(text: str, base: str) -> list[str]:
    return re.findall(re.escape(base) + r"/\S+", text)


def cities_and_letters() -> tuple[int, int]:
    from intake.extensions import db

    counted = (db.session.scalar(select(func.count()).select_from(City)),
               db.session.scalar(select(func.count()).select_from(Letter)))
    db.session.rollback()
    return counted


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_first_hour(sqlite_app, lang):
    from intake.extensions import db

    app = sqlite_app
    # No PUBLIC_BASE_URL: e-mails use the address the visitor uses, like `make run PORT=…`.
    app.config["PUBLIC_BASE_URL"] = None
    make_staff()
    db.session.rollback()
    answers = CONVERSATIONS[lang]
    email = answers[7]
    with live_server(app) as base:
        assert urlsplit(base).port != 5000
        # ---------------------------------------------------------------- the assistant
        with chromium(locale=lang, viewport={"width": 1000, "height": 900}) as context:
            page = context.new_page()
            problems = watch_console(page)
            converse(page, base, lang, answers[:-1])
            page.fill("#chat-text", answers[-1])
            page.click("#chat-send")
            page.locator("#result").wait_for()
            assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
            card = page.locator("#result")
            assert email in page.locator("#links-sent-to").inner_text()
            assert page.locator("#signed-letter-steps li").count() == 3
            screenshot(page, f"first-hour-card-{lang}")
            # Every link on the card works, on this port.
            hrefs = [a.get_attribute("href") for a in card.locator("a").all()]
            assert len(hrefs) == 4
            for href in hrefs:
                assert href.startswith(base + "/"), href
                response = page.request.get(href, max_redirects=0)
                assert response.status in (200, 302), (href, response.status)
            kinds = {urlsplit(h).path.rsplit(".", 1)[-1] for h in hrefs if "/letters/" in h}
            assert kinds == {"html", "pdf", "docx"}
            assert page.request.get(hrefs[1]).body()[:4] == b"%PDF"
            # The workspace link as text, with a copy button (JavaScript is on).
            link = page.input_value("#workspace-link")
            assert link.startswith(base + "/w/") and link in hrefs
            copy = page.locator(".copy-button")
            assert copy.is_visible()
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
            copy.click()
            expect(copy).to_have_text(t(app, lang, "Copied"))  # the script answers the click
            page.get_by_role("link", name=t(app, lang, "Open your city’s workspace")).click()
            page.wait_for_load_state()
            assert urlsplit(page.url).path == "/w/"

            # ------------------------------------------------------------ signed letter
            page.set_input_files("#signed-file", files=[
                {"name": "lettre-signee.pdf", "mimeType": "application/pdf", "buffer": PDF}])
            page.locator("#signed-letter button[type=submit]").click()
            page.wait_for_load_state()
            assert "lettre-signee.pdf" in page.locator("#signed-status").inner_text()
            screenshot(page, f"first-hour-signed-{lang}")
            assert problems == []

        # ---------------------------------------------------------------- the secretariat
        with chromium(locale=lang) as context:
            page = context.new_page()
            page.goto(f"{base}/login?lang={lang}")
            page.fill('input[name="email"]', "sec@example.org")
            page.fill('input[name="password"]', PASSWORD)
            with page.expect_navigation():
                page.locator('form button[type="submit"]').first.click()
            page.goto(f"{base}/staff/")
            assert t(app, lang, "Signed letter received") in page.inner_text("main")
            page.goto(f"{base}/staff/letters")
            received = t(app, lang, "Signed letter received")
            assert received in page.inner_text("main")
            screenshot(page, f"first-hour-inbox-{lang}")
            page.get_by_role("button", name=t(app, lang, "Acknowledge")).click()
            page.wait_for_load_state()
            assert t(app, lang, "Signed letter acknowledged") in page.inner_text("main")

        # ---------------------------------------------------------------- the same city again
        before = cities_and_letters()
        with chromium(locale=lang) as context:
            page = context.new_page()
            converse(page, base, lang, answers[:2])
            offer = page.locator(".bubble-bot").last.inner_text()
            assert answers[0] in offer
            page.locator(".quick-reply",
                         has_text=t(app, lang, "E-mail me the existing links")).click()
            page.locator("#registered-done").wait_for()
            assert page.locator("#assistant-form").count() == 0
            screenshot(page, f"first-hour-again-{lang}")
        assert cities_and_letters() == before

        # ---------------------------------------------------------------- a lost link
        with chromium(locale=lang, viewport={"width": 360, "height": 740}) as context:
            page = context.new_page()
            problems = watch_console(page)
            page.goto(f"{base}/resume?lang={lang}")
            page.fill("#lost-email", email)
            page.locator("#lost-email ~ button").click()
            page.wait_for_load_state()
            assert page.locator(".flash").count() == 1
            screenshot(page, f"first-hour-resume-{lang}")
            # The address was never confirmed: the e-mail asks to confirm it first.
            confirm = links_in(last_mail(app, email), base)
            assert len(confirm) == 1 and "/confirm-email/" in confirm[0]
            page.goto(confirm[0])
            page.locator("#confirm-email").click()
            page.wait_for_load_state()
            assert email in page.locator("#confirmed").inner_text()
            sent = links_in(last_mail(app, email), base)
            workspace = [link for link in sent if "/w/" in link]
            assert len(workspace) == 1 and any("/letters/" in link for link in sent)
            page.goto(workspace[0])
            assert answers[0] in page.locator("h1").inner_text()

            # ------------------------------------------------------------ the score
            page.locator(f'.category-card a[href$="/c/{ICT}"]').click()
            for figures in ICT_FIGURES[lang]:
                fill_step(page, figures)
                press_next(page)
            page.get_by_role("button", name=t(app, lang, "Mark category complete")).click()
            page.wait_for_load_state()
            page.goto(f"{base}/w/")
            card = page.locator(".category-card", has=page.locator(f'a[href$="/c/{ICT}"]'))
            score = card.locator(".category-score .score")
            assert re.search(r"\d", score.inner_text())
            screenshot(page, f"first-hour-score-{lang}")
            card.get_by_role("link", name=t(app, lang, "in the City Snapshot")).click()
            page.wait_for_load_state()
            assert urlsplit(page.url).path == "/snapshot/"
            assert urlsplit(page.url).fragment == f"cat-{ICT}"
            assert page.locator(f"#cat-{ICT}").count() == 1
            assert problems == []
