"""The whole programme in Chromium, as the people who use it walk it.

A city official talks to the assistant and gets the participation letter; the secretariat
finds it in the inbox, acknowledges it, invoices the fee and records it paid, moves the city
through the programme's steps and assigns a verifier; the verifier asks a question and refuses
one figure, the city answers and corrects it from its workspace link, the verifier accepts
the corrected figure and verifies the KPIs; the city adds a KPI of its own, which the
secretariat approves and the report carries apart from the 91; the secretariat marks the
city verified, reads its full report, hands over the certificate, publishes the city with
its consent, nominates it for an award and gives the case study to a writer, who starts
from the generated outline.
Every document is checked on the way, in English and again in Arabic.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import City, ProgrammeStage
from intake.services import values as value_service
from tests.browser import chromium, live_server, screenshot, watch_console
from tests.document_checks import assert_docx, assert_page, assert_pdf, assert_text
from tests.intake.test_accounts import PASSWORD, make_staff
from tests.intake.test_assistant_browser import ARABIC, first_answer, send
from tests.intake.test_verification import ICT, fill_ict
from tests.test_local_kpis_browser import NAME as LOCAL_KPI_NAME
from tests.test_local_kpis_browser import approve, fill_proposal, report_figures

pytestmark = pytest.mark.browser

# The case study package ("2"): the secretariat tracks a case study for this city.
ANSWERS = ["Stavanger", "Norway", "145000", "yes", "2",
           "A city that measures what matters, for everyone.", "Ingrid Berg",
           "ingrid@stavanger.example", "Kari Mayor", "Mayor"]
STEPS_TO_VERIFICATION = ["Data collection", "Submitted", "In verification"]
WIDE, PHONE = {"width": 1280, "height": 900}, {"width": 360, "height": 780}
REFUSED = "wifi_hotspots"  # the figure the verifier refuses, and the city corrects


def sign_in(page, base: str, email: str, language: str = "en") -> None:
    page.goto(f"{base}/language/en?next=/staff/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/staff/")
    if language != "en":
        page.goto(f"{base}/language/{language}?next=/staff/")


def watch(page, problems: list):
    """Console errors, and which address answered with an error (the console omits it)."""
    problems += watch_console(page)
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    return page


def new_page(c, problems: list, viewport=WIDE):
    return watch(c.browser.new_context(viewport=viewport).new_page(), problems)


def ask_for_the_letter(page, base: str, answers: list[str], language: str) -> dict[str, str]:
    """The official's conversation; returns the workspace and letter links it ends with."""
    page.goto(f"{base}/assistant?lang={language}")
    first_answer(page, answers[0])
    for text in answers[1:]:
        send(page, text)
    page.locator(".quick-reply").first.click()  # "Yes, prepare the letter"
    page.locator("#result").wait_for()
    links = {"workspace": urlsplit(page.locator("#result a[href*='/w/']").first
                                   .get_attribute("href")).path}
    for kind in ("html", "pdf", "docx"):
        links[kind] = page.locator(f"#result a[href$='.{kind}']").first.get_attribute("href")
    return links


def fetch(page, url: str) -> bytes:
    """A download as the signed-in browser gets it (same cookies, same language)."""
    response = page.request.get(url)
    assert response.ok, f"{url}: {response.status}"
    return response.body()


def download(page, link) -> bytes:
    with page.expect_download() as started:
        link.click()
    return Path(started.value.path()).read_bytes()


def check_letter(page, base: str, links: dict, *, language: str, city: str) -> None:
    page.goto(f"{base}{urlsplit(links['html']).path}")
    assert_page(page, language=language, city=city, what="letter (HTML)")
    assert_pdf(fetch(page, links["pdf"]), language=language, city=city, what="letter (PDF)")
    assert_docx(fetch(page, links["docx"]), language=language, city=city,
                what="letter (DOCX)")


WIDER_THAN_THE_WINDOW = """[...document.querySelectorAll('main *')].filter(e => {
  const box = e.getBoundingClientRect();
  return box.right > window.innerWidth + 1 || box.left < -1;
}).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + e.textContent.slice(0, 40))"""


def both_widths(page, name: str) -> None:
    """A screenshot as on a desk and as on a phone (nothing may stick out sideways)."""
    screenshot(page, f"{name}-1280")
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    wide = page.evaluate(WIDER_THAN_THE_WINDOW)
    screenshot(page, f"{name}-360")
    page.set_viewport_size(WIDE)
    assert overflow <= 1, f"{name}: {overflow}px wider than a phone: {wide}"


def add_local_kpi(city_page, staff, base: str, city_id: int) -> None:
    """The city defines a KPI of its own, the secretariat approves it, the city reports it."""
    from playwright.sync_api import expect

    city_page.locator("nav.subnav a[href='/w/local-kpis']").click()
    city_page.wait_for_url(f"{base}/w/local-kpis")
    fill_proposal(city_page, target="60", category=ICT)
    city_page.locator("#propose button[type=submit]").click()
    city_page.wait_for_load_state()
    card = city_page.locator("article.local-kpi").first
    expect(card.locator(".badge-warning")).to_be_visible()
    approve(staff, base, city_id)
    city_page.reload()
    kpi_id = card.get_attribute("id").rsplit("-", 1)[1]
    report_figures(city_page, kpi_id)
    expect(city_page.locator(f"#local-kpi-{kpi_id} .swatch.band-3")).to_be_visible()
    both_widths(city_page, "programme-local-kpi-en")


def kpi_anchor(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "-", code).strip("-")


def test_from_the_letter_to_recognition(sqlite_app):
    from playwright.sync_api import expect

    make_staff()
    make_staff(email="ver@example.org", role="verifier", name="Vera Verifier")
    db.session.close()  # SQLite: hold no transaction while the server writes
    with live_server(sqlite_app) as base, chromium(viewport=WIDE) as c:
        problems: list[str] = []
        official = watch(c.new_page(), problems)
        links = ask_for_the_letter(official, base, ANSWERS, "en")
        workspace = links["workspace"]
        check_letter(official, base, links, language="en", city="Stavanger")

        city = db.session.execute(select(City).where(City.name == "Stavanger")).scalar_one()
        city_id = city.id
        assert city.stage == ProgrammeStage.LETTER_RECEIVED
        fill_ict(city_id)  # the departments' figures (the wizards are tested on their own)
        kpi_codes = [k.code for k in value_service.catalog().kpis_in(ICT)]
        db.session.close()

        # ---- the secretariat: inbox, acknowledgement, fee invoiced and paid
        staff = new_page(c, problems)
        sign_in(staff, base, "sec@example.org")
        staff.goto(f"{base}/staff/letters")
        row = staff.locator("tr", has_text="Stavanger")
        expect(row.get_by_text("145,000")).to_be_visible()
        screenshot(staff, "programme-inbox-en")
        row.get_by_role("link", name="Stavanger").first.click()
        staff.get_by_role("button", name="Forward to “Acknowledged”").click()
        staff.wait_for_load_state()
        staff.get_by_role("link", name="Fee, recognition and case study").click()
        invoiced = staff.locator("section", has=staff.get_by_role("heading", name="Fee invoiced"))
        invoiced.get_by_text("Record it").click()
        expect(invoiced.get_by_label("Amount")).to_have_value("30000.00")  # the letter's quote
        invoiced.get_by_label("Currency").select_option("CHF")
        invoiced.get_by_role("button", name="Save").click()
        staff.wait_for_load_state()
        invoice = assert_pdf(download(staff, invoiced.get_by_role(
            "link", name="Download the invoice (PDF)")), language="en", city="Stavanger",
            what="invoice")
        number = f"U4SSC-INV-{date.today().year}-{city_id:05d}"
        assert f"Invoice {number}" in invoice and "30,000.00 CHF" in invoice
        assert "case study" in invoice and "Ingrid Berg" in invoice

        paid = staff.locator("section", has=staff.get_by_role("heading", name="Fee paid"))
        paid.get_by_text("Record it").click()
        paid.get_by_label("Date").fill(date.today().isoformat())
        paid.get_by_label("Amount").fill("30 000")
        paid.get_by_label("Currency").select_option("USD")
        paid.get_by_role("button", name="Save").click()
        staff.wait_for_load_state()
        step = staff.locator("#step-fee_paid")
        expect(step).to_contain_text("done")
        expect(step).to_contain_text("30,000.00 USD")
        expect(staff.locator("#step-fee_invoiced")).to_contain_text(number)
        assert_page(staff, language="en", city="Stavanger", what="programme page")
        both_widths(staff, "programme-fee-en")

        # The pipeline (the city's page) shows the fee paid between the steps.
        staff.get_by_role("link", name="Stavanger").first.click()
        expect(staff.locator(".stage-track")).to_contain_text("Fee paid")
        for forward in STEPS_TO_VERIFICATION:
            staff.get_by_role("button", name=f"Forward to “{forward}”").click()
            staff.wait_for_load_state()
        staff.get_by_label("Assign a verifier").select_option(
            label="Vera Verifier <ver@example.org>")
        staff.get_by_role("button", name="Assign", exact=True).click()
        staff.wait_for_load_state()
        screenshot(staff, "programme-city-en")

        # ---- the verifier: a question on one figure, NO on another
        verifier = new_page(c, problems)
        sign_in(verifier, base, "ver@example.org")
        verifier.goto(f"{base}/staff/verify/{city_id}/c/{ICT}")
        row = verifier.locator("#kpi-EC-ICT-ICT-1C tr", has_text="hh_internet")
        row.get_by_text("Ask about this figure").click()
        row.get_by_label("Your question to the city").fill("Is 41 000 from the census?")
        row.get_by_role("button", name="Send the question").click()
        verifier.wait_for_load_state()
        check = verifier.locator(f"#dp-{REFUSED}")
        check.get_by_text("Check this figure").click()
        check.get_by_label("What is wrong (needed for NO)").fill(
            "140 counts private hotspots: give the public ones only.")
        check.get_by_role("button", name="NO", exact=True).click()
        verifier.wait_for_load_state()
        expect(verifier.locator(f"#dp-{REFUSED}")).to_contain_text("NO: not accepted")

        # ---- the city: answers the question and corrects the refused figure
        answer = new_page(c, problems)
        answer.goto(f"{base}{workspace}?lang=en")  # the link the assistant gave the official
        answer.get_by_role("link", name="Questions from the verifier (2 open)").click()
        census = answer.locator("section.thread-box", has_text="Is 41 000 from the census?")
        census.get_by_label("Your answer").fill("The census says 42 500.")
        census.get_by_label("Corrected value (optional)").fill("42500")
        census.get_by_role("button", name="Send the answer").click()
        answer.wait_for_load_state()
        expect(answer.get_by_text("the value is updated")).to_be_visible()
        hotspots = answer.locator("section.thread-box",
                                  has_text="140 counts private hotspots")
        hotspots.get_by_label("Your answer").fill("Public hotspots only: 120.")
        hotspots.get_by_label("Corrected value (optional)").fill("120")
        hotspots.get_by_role("button", name="Send the answer").click()
        answer.wait_for_load_state()
        expect(answer.get_by_text("the value is updated")).to_be_visible()
        both_widths(answer, "programme-city-answers-en")

        # ---- a local KPI: the city proposes it, the secretariat approves, the city fills it
        add_local_kpi(answer, staff, base, city_id)

        # ---- the verifier: the corrected figure is to be checked again, then YES
        verifier.goto(f"{base}/staff/verify/{city_id}/c/{ICT}")
        check = verifier.locator(f"#dp-{REFUSED}")
        expect(check).to_contain_text("check it again")
        check.get_by_text("Check this figure").click()
        check.get_by_role("button", name="YES", exact=True).click()
        verifier.wait_for_load_state()
        expect(verifier.locator(f"#dp-{REFUSED}")).to_contain_text("YES: checked")
        for code in kpi_codes:
            form = verifier.locator(f"#kpi-{kpi_anchor(code)} form.mark-form")
            form.get_by_label("Yes, verified").check()
            form.get_by_role("button").click()
            verifier.wait_for_load_state()

        # ---- the secretariat: verified, the full report and the certificate
        staff.goto(f"{base}/staff/cities/{city_id}")
        staff.get_by_role("button", name="Forward to “Verified”").click()
        staff.wait_for_load_state()
        staff.get_by_role("link", name="Verify data").click()
        staff.get_by_role("link", name="Verification report").first.click()
        report = assert_page(staff, language="en", city="Stavanger", what="report (HTML)")
        catalog = value_service.catalog()
        for heading in ("Introduction and verification background",
                        "KPI and data-point reporting and verification summary",
                        "Benchmarks and scoring methodology", "Scores by dimension and category",
                        "KPIs reported and verified", "KPIs reported but not verified",
                        "KPIs not reported", "Next steps"):
            expect(staff.get_by_role("heading", name=heading)).to_be_visible()
            # Every section is one tap away from the table of contents.
            expect(staff.locator(".page-toc").get_by_role("link", name=heading)).to_have_count(1)
        assert "Verifiers: Vera Verifier" in report
        assert f"KPI catalog {catalog.version}." in report
        assert f"Benchmark set {catalog.benchmark_version}" in report
        summary = staff.locator("#report-summary tr", has_text="Data points (raw figures)")
        expect(summary).to_contain_text(str(len(catalog.all_data_points)))
        local = staff.locator("#report-local-kpis")
        expect(local).to_contain_text(LOCAL_KPI_NAME)
        expect(local.locator(".swatch.band-3")).to_be_visible()  # 45 % of a 60 % target
        both_widths(staff, "programme-report-en")
        text = assert_pdf(download(staff, staff.get_by_role(
            "link", name="Download the report (PDF)")), language="en", city="Stavanger",
            what="report (PDF)")
        for part in ("Introduction and verification background", "Data points (raw figures)",
                     "Benchmarks and scoring methodology", "KPIs not reported",
                     f"KPI catalog {catalog.version}.", "Local KPIs", LOCAL_KPI_NAME):
            assert part in text, part
        text = assert_pdf(download(staff, staff.get_by_role(
            "link", name="Download the certificate (PDF)")), language="en", city="Stavanger",
            what="certificate")
        assert f"KPI catalog {catalog.version}." in text

        # ---- recognition: certificate handed over, published (with consent), award
        staff.goto(f"{base}/staff/cities/{city_id}")
        staff.get_by_role("link", name="Fee, recognition and case study").click()
        issued = staff.locator("section", has=staff.get_by_role(
            "heading", name="Certificate issued"))
        issued.get_by_text("Record it").click()
        issued.get_by_role("button", name="Save").click()
        staff.wait_for_load_state()
        answer.goto(f"{base}/w/")
        answer.get_by_role("link", name="Publication of your results").click()
        answer.get_by_label("We agree that our verified results are published").check()
        answer.get_by_role("button", name="Give consent").click()
        answer.wait_for_load_state()
        expect(answer.get_by_text("Consent given")).to_be_visible()
        staff.get_by_role("link", name="Stavanger").first.click()
        staff.get_by_role("button", name="Forward to “Published”").click()
        staff.wait_for_load_state()
        staff.get_by_role("link", name="Fee, recognition and case study").click()
        award = staff.locator("section", has=staff.get_by_role("heading", name="Award nominated"))
        award.get_by_text("Record it").click()
        award.get_by_label("Note").fill("U4SSC awards 2026, category data.")
        award.get_by_role("button", name="Save").click()
        staff.wait_for_load_state()
        steps = staff.locator(".programme-timeline li")
        expect(steps).to_have_count(11)
        assert staff.locator(".programme-timeline li.timeline-open").all_inner_texts() == []
        expect(staff.locator("#step-published")).to_contain_text("current step")

        # ---- the case study: a writer, and the outline built from this city's results
        study = staff.locator("#case-study")
        study.get_by_label("Writer", exact=True).fill("Wanda Writer")
        study.get_by_label("Writer's e-mail").fill("wanda@example.org")
        study.get_by_role("button", name="Save").click()
        staff.wait_for_load_state()
        expect(staff.locator("#case-study")).to_contain_text("Writer assigned")
        both_widths(staff, "programme-recognition-en")
        outline = download(staff, staff.get_by_role(
            "link", name="Download the outline for the writer (Markdown)")).decode()
        assert_text(outline, language="en", city="Stavanger", what="case study outline")
        assert outline.startswith("# Case study: Stavanger")
        assert "A city that measures what matters, for everyone." in outline  # the vision
        assert re.search(r"- ICT Infrastructure: \d+ %", outline, re.I), outline

        # ---- the City Snapshot, from the city's workspace
        answer.goto(f"{base}/w/")
        answer.get_by_role("link", name="See your City Snapshot").click()
        assert_page(answer, language="en", city="Stavanger", what="snapshot")
        assert_pdf(fetch(answer, f"{base}/snapshot/snapshot.pdf"), language="en",
                   city="Stavanger", what="snapshot (PDF)")
        assert problems == []
    city = db.session.get(City, city_id)
    assert city.stage == ProgrammeStage.PUBLISHED
    values = value_service.get_city_values(city_id)
    assert (values["hh_internet"], values[REFUSED]) == (42_500, 120)


def bring_to_recognition(city_id: int) -> None:
    """What the English walk does step by step, done directly: the Arabic run checks the
    documents those steps produce."""
    from decimal import Decimal

    from intake.models.programme import MilestoneKind
    from intake.services import pipeline, programme
    from intake.services import verification as verification_service

    # Names are people's names, never the English words the glossary translates.
    sec = make_staff(name="Sara Haddad")
    verifier = make_staff(email="ver@example.org", role="verifier", name="Vera Nasser")
    fill_ict(city_id)
    for stage in ("acknowledged", "data_collection", "submitted", "in_verification"):
        pipeline.move_city(city_id, stage, actor=sec)
    programme.record_milestone(city_id, MilestoneKind.FEE_INVOICED, actor=sec,
                               amount=Decimal("3000"), currency="USD")
    programme.record_milestone(city_id, MilestoneKind.FEE_PAID, actor=sec,
                               amount=Decimal("3000"), currency="USD")
    pipeline.assign_verifier(city_id, verifier.id, actor=sec)
    for kpi in value_service.catalog().kpis_in(ICT):
        verification_service.mark_kpi(city_id, kpi.code, "verified", actor=verifier)
    pipeline.move_city(city_id, "verified", actor=sec)
    programme.record_milestone(city_id, MilestoneKind.CERTIFICATE_ISSUED, actor=sec)
    programme.save_case_study(city_id, actor=sec, writer_name="Wanda Writer",
                              status="assigned")
    db.session.close()


def test_every_document_in_arabic(sqlite_app):
    """The official talks to the assistant in Arabic: the letter, the invoice (in the city's
    language), and the report, certificate, outline and snapshot the staff and the city
    open in Arabic are Arabic, right to left, with no English left where a term exists."""
    city_name = ARABIC[0]
    with live_server(sqlite_app) as base, chromium(viewport=WIDE, locale="ar") as c:
        problems: list[str] = []
        official = watch(c.new_page(), problems)
        links = ask_for_the_letter(official, base, ARABIC, "ar")
        check_letter(official, base, links, language="ar", city=city_name)
        city_id = db.session.execute(
            select(City.id).where(City.name == city_name)).scalar_one()
        bring_to_recognition(city_id)

        staff = new_page(c, problems)
        sign_in(staff, base, "sec@example.org", language="ar")
        staff.goto(f"{base}/staff/cities/{city_id}")
        staff.locator(f"a[href$='/staff/programme/cities/{city_id}']").click()
        assert_page(staff, language="ar", city=city_name, what="programme page")
        both_widths(staff, "programme-fee-ar")
        invoice = assert_pdf(download(staff, staff.locator("a[href$='/invoice.pdf']")),
                             language="ar", city=city_name, what="invoice")
        assert "3,000.00 USD" in invoice
        outline = download(staff, staff.locator("a[href$='/case-study-outline.md']")).decode()
        assert_text(outline, language="ar", city=city_name, what="case study outline")

        staff.goto(f"{base}/staff/verify/{city_id}/")
        staff.locator(f"a[href$='/staff/verify/{city_id}/report.html']").first.click()
        assert_page(staff, language="ar", city=city_name, what="report (HTML)")
        both_widths(staff, "programme-report-ar")
        assert_pdf(download(staff, staff.locator("a[href$='/report.pdf']")), language="ar",
                   city=city_name, what="report (PDF)")
        assert_pdf(download(staff, staff.locator("a[href$='/certificate.pdf']")),
                   language="ar", city=city_name, what="certificate")

        city = new_page(c, problems)
        city.goto(f"{base}{links['workspace']}?lang=ar")
        city.locator("#snapshot-link").click()
        assert_page(city, language="ar", city=city_name, what="snapshot")
        both_widths(city, "programme-snapshot-ar")
        assert_pdf(fetch(city, f"{base}/snapshot/snapshot.pdf"), language="ar",
                   city=city_name, what="snapshot (PDF)")
        assert problems == []
