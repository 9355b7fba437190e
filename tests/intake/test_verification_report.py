"""The verification report (HTML, PDF, Arabic) and the certificate of a verified city."""

from __future__ import annotations

import re
import subprocess

import pytest
from flask_babel import refresh

from forms.catalog.loading import load_catalog
from intake.models import ProgrammeStage
from intake.services import pipeline
from intake.services import verification as service
from intake.services.cities import create_city
from intake.services.pipeline import assign_verifier
from tests.intake.test_accounts import make_staff, sign_in
from tests.intake.test_verification import KPI, as_city, fill_ict
from tests.pdf_checks import assert_accessible_pdf

S = ProgrammeStage


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content,
                            capture_output=True, check=True, timeout=60)
    return result.stdout.decode()


@pytest.fixture
def world(app):
    sec = make_staff()
    verifier = make_staff(email="ver@example.org", role="verifier", name="Vera Verifier")
    city = create_city(name="Tromsø", population=120_000, locale="en",
                       focal_point_email="fp@tromso.example")
    fill_ict(city.id)
    assign_verifier(city.id, verifier.id, actor=sec)
    service.mark_kpi(city.id, KPI, "verified", actor=verifier)
    service.mark_kpi(city.id, "EC: ICT: ICT: 2C", "not_verified", actor=verifier,
                     note="Subscriptions double-counted")
    return {"sec": sec, "verifier": verifier, "city": city}


def move_to_verified(city, staff) -> None:
    for stage in (S.SUBMITTED, S.IN_VERIFICATION, S.VERIFIED):
        pipeline.move_city(city.id, stage, actor=staff)


def test_report_html_has_every_section(app, client, world):
    sign_in(client, email="ver@example.org")
    response = client.get(f"/staff/verify/{world['city'].id}/report.html")
    assert response.status_code == 200
    page = response.text
    assert "Verification report: Tromsø" in page
    for section in ("report-snapshot", "report-scores", "report-verified", "report-unverified",
                    "report-not-reported", "report-next"):
        assert f'id="{section}"' in page, section
    assert "KPIs reported and verified (1)" in page
    assert "KPIs reported but not verified (4)" in page  # 2C refused, 3C–5C awaiting
    assert "Subscriptions double-counted" in page
    assert "KPIs not reported (86)" in page
    assert "<svg" in page  # the snapshot's wheel
    # The verified KPI's row names its category (not merely some text containing "ICT").
    verified = page.split('id="report-verified"')[1].split("</section>")[0]
    category = load_catalog().category(load_catalog().kpi(KPI).category).name.get("en")
    assert re.search(rf"{re.escape(KPI)}</span>[^<]*</td><td>{re.escape(category)}</td>",
                     verified), verified
    assert "86 KPIs were not reported" in page
    # Not verified yet: no certificate link.
    assert "Download the certificate" not in page


def test_report_pdf_and_arabic(app, client, world):
    sign_in(client)
    city_id = world["city"].id
    response = client.get(f"/staff/verify/{city_id}/report.pdf?lang=en")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert_accessible_pdf(response.data, "en")
    assert "Tromsø" in text and "KPIs reported and verified" in text
    assert "U4SSC-V-" in text
    refresh()  # the tests share one app context, where Flask-Babel caches the locale
    arabic = client.get(f"/staff/verify/{city_id}/report.html?lang=ar").text
    assert 'dir="rtl"' in arabic and 'lang="ar"' in arabic
    refresh()
    response = client.get(f"/staff/verify/{city_id}/report.pdf")
    assert "Tromsø" in pdf_text(response.data)


def test_certificate_only_when_verified(app, client, world):
    sign_in(client)
    city = world["city"]
    refused = client.get(f"/staff/verify/{city.id}/certificate.pdf?lang=en")
    assert refused.status_code == 409 and "No certificate yet" in refused.text
    city_client = app.test_client()
    as_city(city_client, city)
    for path in ("/w/questions/report", "/w/questions/report.pdf",
                 "/w/questions/certificate.pdf"):
        assert city_client.get(path).status_code == 409, path

    move_to_verified(city, world["sec"])
    response = client.get(f"/staff/verify/{city.id}/certificate.pdf")
    assert_accessible_pdf(response.data, "en")
    text = " ".join(pdf_text(response.data).split())
    assert "Tromsø" in text
    assert "has completed the verification of the U4SSC key performance indicators" in text
    assert "U4SSC-V-" in text and f"{city.id:05d}" in text
    assert "Download the certificate" in client.get(
        f"/staff/verify/{city.id}/report.html").text

    # The city gets its own report and certificate once verified.
    page = city_client.get("/w/questions/?lang=en").text
    assert "Your city's data is verified" in page
    assert city_client.get("/w/questions/report").status_code == 200
    assert "Tromsø" in pdf_text(city_client.get("/w/questions/certificate.pdf").data)
    assert pdf_text(city_client.get("/w/questions/report.pdf").data)


def test_certificate_needs_a_one_page_pdf(app, client, world):
    move_to_verified(world["city"], world["sec"])
    sign_in(client)
    content = client.get(f"/staff/verify/{world['city'].id}/certificate.pdf?lang=ar").data
    result = subprocess.run(["pdfinfo", "-"], input=content, capture_output=True, check=True,
                            timeout=60)
    assert re.search(r"^Pages:\s+1$", result.stdout.decode(), re.M)


def test_other_city_cannot_download_a_verified_citys_report(app, world):
    move_to_verified(world["city"], world["sec"])
    other = create_city(name="Narvik", population=20_000)
    client = app.test_client()
    as_city(client, other)
    assert client.get("/w/questions/report").status_code == 409  # its own: not verified
    assert client.get(f"/staff/verify/{world['city'].id}/report.pdf").status_code in (302, 403)


def test_report_counts_every_kpi_once(app, world):
    from intake.services.reports import build_report

    report = build_report(world["city"], "en", False)
    assert report.total == 91
    assert {line.code for line in report.verified} == {KPI}
    assert all(line.category for line in report.not_reported)
    assert not any(line.category == report.verified[0].category
                   for line in report.not_reported)  # every ICT KPI was reported


def test_report_has_the_published_reports_sections(app, client, world):
    """Background, the data-point summary and the methodology, as published reports have."""
    from intake.services.reports import build_report
    from intake.services.values import catalog

    report = build_report(world["city"], "en", False)
    assert (report.items_total, report.data_points_total) == (
        112, len(catalog().all_data_points))
    assert 0 < report.items_reported < 112 and report.items_verified == 1  # one KPI, one item
    assert 0 < report.data_points_reported < report.data_points_total
    assert report.verifiers == ["Vera Verifier"]

    sign_in(client, email="ver@example.org")
    page = client.get(f"/staff/verify/{world['city'].id}/report.html?lang=en").text
    order = [page.index(f'id="{section}"') for section in (
        "report-background", "report-summary", "report-scores", "report-methodology",
        "report-next")]
    assert order == sorted(order)
    assert "Verifiers: Vera Verifier" in page
    assert "Scored items (KPIs and the parts of multi-part KPIs)" in page
    assert "1 below 33 % of the target" in page and "9/16 = 56.25 %" in page
    assert f"KPI catalog {catalog().version}." in page


def test_certificate_names_the_catalog_and_benchmark_versions(app, client, world):
    from intake.services.values import catalog

    move_to_verified(world["city"], world["sec"])
    sign_in(client)
    text = " ".join(pdf_text(client.get(
        f"/staff/verify/{world['city'].id}/certificate.pdf?lang=en").data).split())
    assert f"KPI catalog {catalog().version}." in text
    assert f"Benchmark set {catalog().benchmark_version}." in text


def test_the_contents_list_every_section_of_the_report(app, client, world):
    """On a phone the report is long: every section is one tap away from its contents."""
    sign_in(client, email="ver@example.org")
    page = client.get(f"/staff/verify/{world['city'].id}/report.html?lang=en").text
    toc = page.split('class="page-toc"', 1)[1].split("</nav>", 1)[0]
    sections = re.findall(r'<section class="report-section" id="([^"]+)"', page)
    assert len(sections) >= 9
    assert re.findall(r'href="#([^"]+)"', toc) == sections


def test_arabic_report_keeps_version_names_in_their_order(app, client, world):
    """"2026.2" and "provisional-2026-12" inside Arabic text are isolated left-to-right runs,
    so a reader sees them as written, not with their parts reversed."""
    sign_in(client)
    catalog = load_catalog()
    refresh()
    arabic = client.get(f"/staff/verify/{world['city'].id}/report.html?lang=ar").text
    refresh()
    assert f'<bdi dir="ltr">{catalog.version}</bdi>' in arabic
    assert f'<bdi dir="ltr">{catalog.benchmark_version}</bdi>' in arabic


def test_kpi_lists_are_read_by_dimension_and_fold_on_a_phone(app, client, world):
    """86 KPIs not reported are one table per dimension, each a <details> left open in the
    HTML (so the page reads whole without JavaScript) that the sections script folds on a
    phone; the PDF has the same dimension headings and nothing to fold."""
    sign_in(client)
    catalog = load_catalog()
    page = client.get(f"/staff/verify/{world['city'].id}/report.html?lang=en").text
    missing = page.split('id="report-not-reported"')[1].split("</section>")[0]
    counts = {d.name.get("en"): sum(k.dimension == d.id for k in catalog.kpis)
              for d in catalog.dimensions}
    counts["Economy"] -= 5  # the five ICT KPIs of the world fixture are reported
    for name, count in counts.items():
        assert re.search(rf'<details class="dimension-details" open><summary><h3 '
                         rf'class="report-dimension">{re.escape(name)} <span class="num">'
                         rf"\({count}\)</span></h3></summary>", missing), name
    assert missing.count("<table") == 3
    assert "sections.js" not in page and "dimension-details" in page  # the script is inline
    assert 'details.dimension-details' in page.split("<script>", 1)[1]
    text = pdf_text(client.get(f"/staff/verify/{world['city'].id}/report.pdf?lang=en").data)
    missing_text = text.split("KPIs not reported (86)", 1)[1]
    for name, count in counts.items():
        assert f"{name} ({count})" in missing_text, name
