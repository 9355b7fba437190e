"""A city official fills a whole category in Chromium: with and without JavaScript,
in English and Arabic, leaving halfway and resuming by link."""

from __future__ import annotations

import pytest

from intake.services.cities import create_city
from intake.services.links import workspace_url
from intake.services.values import category_status, get_city_values
from tests.browser import chromium, live_server, screenshot, watch_console

pytestmark = pytest.mark.browser

ICT = "ec-ict-infrastructure"
# Step by step: the figures typed (Arabic-Indic digits where the official writes Arabic).
FIGURES = {
    "en": [{"dp_hh_total": "20 000", "dp_pop": "50,000"}, {"dp_hh_internet": "15 000"},
           {"dp_fbb_subs": "9000"}, {"dp_wbb_subs": "61 000"},
           {"dp_cov_3g": "49 000", "dp_cov_4g": "45 500"}, {"dp_wifi_hotspots": "42"}],
    "ar": [{"dp_hh_total": "٢٠٠٠٠", "dp_pop": "٥٠٠٠٠"}, {"dp_hh_internet": "١٥٠٠٠"},
           {"dp_fbb_subs": "٩٠٠٠"}, {"dp_wbb_subs": "٦١٠٠٠"},
           {"dp_cov_3g": "٤٩٠٠٠", "dp_cov_4g": "٤٥٥٠٠"}, {"dp_wifi_hotspots": "٤٢"}],
}


def fill_step(page, figures: dict[str, str], *, source: str | None = None) -> None:
    for name, value in figures.items():
        page.fill(f'input[name="{name}"]', value)
    tier = page.locator('select[name$="__tier"]')
    if tier.count():
        tier.select_option("accurate")
        page.fill('input[name$="__source"]', source or "City statistics office")
        page.fill('input[name$="__year"]', "2025")


def press_next(page) -> None:
    page.locator('.wizard-buttons button[name="action"][value="next"], '
                 '.wizard-buttons button[name="action"][value="review"]').click()
    page.wait_for_load_state()


def in_language(app, lang: str, singular: str, plural: str | None = None, n: int = 1, **kw):
    """The text the portal shows in `lang`, taken from its own catalogue."""
    from flask_babel import force_locale, gettext, ngettext

    with app.test_request_context(), force_locale(lang):
        if plural is None:
            return gettext(singular, **kw)
        return ngettext(singular, plural, n, **kw)


def answered(app, lang: str, answered_count: int, total: int) -> str:
    return in_language(app, lang, "%(answered)s of %(num)s KPI answered",
                       "%(answered)s of %(num)s KPIs answered", total,
                       answered=answered_count)


def link_for(link: str, base: str) -> str:
    return link.replace("http://localhost", base)


@pytest.mark.parametrize(("lang", "javascript"), [("en", True), ("ar", False)],
                         ids=["english-js", "arabic-nojs"])
def test_fill_leave_resume_and_complete_a_category(sqlite_app, lang, javascript):
    from intake.extensions import db

    city = create_city(name="Browserville", population=50_000, locale=lang)
    city_id, link = city.id, workspace_url(city)
    # End this thread's SQLite transaction so the server thread can write.
    db.session.rollback()
    figures = FIGURES[lang]
    tag = f"{lang}-{'js' if javascript else 'nojs'}"
    with live_server(sqlite_app) as base:
        # First sitting: the first three steps, then the browser is closed.
        with chromium(java_script_enabled=javascript, locale=lang,
                      viewport={"width": 1100, "height": 900}) as context:
            page = context.new_page()
            problems = watch_console(page)
            page.goto(link_for(link, base) + f"?lang={lang}")
            assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
            assert page.get_by_text(answered(sqlite_app, lang, 0, 5)).first.is_visible()
            screenshot(page, f"wizard-workspace-{tag}")
            page.locator(".next-step a.button-primary").click()
            assert page.url.endswith(f"/w/c/{ICT}/0")
            fill_step(page, figures[0])
            press_next(page)
            fill_step(page, figures[1])
            if javascript:
                # The KPI appears while typing, before anything is saved.
                from playwright.sync_api import expect

                result = page.locator('[data-computed-for="EC: ICT: ICT: 1C"] .computed-value')
                expect(result).to_have_text("75")
            screenshot(page, f"wizard-step-{tag}")
            press_next(page)
            # A mistake is explained and kept; correcting it lets the official go on.
            page.fill('input[name="dp_fbb_subs"]', "9000abc")
            press_next(page)
            assert page.locator(".field-error").count() == 1
            assert page.input_value('input[name="dp_fbb_subs"]') == "9000abc"
            screenshot(page, f"wizard-error-{tag}")
            fill_step(page, figures[2])
            press_next(page)
            assert page.url.endswith(f"/w/c/{ICT}/3")
            # The refused step answers 422 on purpose; anything else (CSP, JS) is a bug.
            assert [p for p in problems if "status of 422" not in p] == []
        # Second sitting: a new browser, opened from the link; the work is where it was left.
        with chromium(java_script_enabled=javascript, locale=lang) as context:
            page = context.new_page()
            problems = watch_console(page)
            page.goto(link_for(link, base) + f"?lang={lang}")
            assert page.get_by_text(answered(sqlite_app, lang, 2, 5)).first.is_visible()
            page.locator(".next-step a.button-primary").click()
            assert page.url.endswith(f"/w/c/{ICT}/3")  # where the official left off
            page.locator(".wizard-steps a").nth(2).click()  # earlier figures are all there
            assert page.input_value('input[name="dp_fbb_subs"]') == figures[2]["dp_fbb_subs"]
            press_next(page)
            for step_figures in figures[3:]:
                fill_step(page, step_figures)
                press_next(page)
            assert page.url.endswith(f"/w/c/{ICT}/review")
            assert page.locator(".review-table").get_by_text("75", exact=True).is_visible()
            screenshot(page, f"wizard-review-{tag}")
            page.get_by_role(
                "button", name=in_language(sqlite_app, lang, "Mark category complete")).click()
            page.wait_for_load_state()
            assert page.get_by_role(
                "button", name=in_language(sqlite_app, lang, "Reopen")).is_visible()
            screenshot(page, f"wizard-complete-{tag}")
            assert problems == []
    assert category_status(city_id, ICT) == "complete"
    values = get_city_values(city_id)
    assert values["hh_internet"] == 15000 and values["cov_4g"] == 45500
