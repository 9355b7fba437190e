"""The programme from letter to recognition: fee invoiced and paid (with the invoice),
certificate and award, skipped steps, and the case study with its outline."""

from __future__ import annotations

import re
import subprocess

import pytest

from intake.models import ProgrammeStage
from intake.services import improvement, pipeline
from intake.services import programme as service
from intake.services.cities import create_city
from tests.intake.test_accounts import make_staff, sign_in

S = ProgrammeStage


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    return subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True,
                          check=True, timeout=60).stdout.decode()


@pytest.fixture
def secretariat(app):
    return make_staff()


@pytest.fixture
def city(app):
    return create_city(name="Lyon", population=520_000, locale="fr",
                       focal_point_name="Inès", focal_point_email="ines@lyon.example")


@pytest.fixture
def signed_in(app, secretariat):
    client = app.test_client()
    sign_in(client)
    return client


def page_of(city) -> str:
    return f"/staff/programme/cities/{city.id}"


def test_timeline_puts_the_fee_and_recognition_between_the_steps(app, city):
    keys = [step.key for step in service.timeline(city)]
    assert keys == ["letter_received", "acknowledged", "fee_invoiced", "fee_paid",
                    "data_collection", "submitted", "in_verification", "verified",
                    "certificate_issued", "published", "award_nominated"]
    states = {step.key: step.state for step in service.timeline(city)}
    assert states["data_collection"] == "current"  # a city created by staff starts there
    assert states["acknowledged"] == "done" and states["fee_invoiced"] == "open"


def test_invoice_recorded_then_paid_and_the_invoice_downloaded(app, city, signed_in,
                                                               form_post):
    url = page_of(city)
    early = form_post(signed_in, f"{url}/milestones/fee_paid",
                      {"status": "done", "amount": "5000", "currency": "CHF"}, page_url=url)
    assert early.status_code == 400
    assert "Record the invoice first" in early.text

    invoiced = form_post(signed_in, f"{url}/milestones/fee_invoiced",
                         {"status": "done", "amount": "5 000", "currency": "CHF",
                          "occurred_on": "2026-11-30"}, page_url=url)
    assert invoiced.status_code == 302
    mark = service.milestones_of(city.id)[service.MilestoneKind.FEE_INVOICED]
    assert (str(mark.amount), mark.currency) == ("5000.00", "CHF")
    assert mark.reference == f"U4SSC-INV-2026-{city.id:05d}"

    invoice = signed_in.get(f"{url}/invoice.pdf")
    assert invoice.status_code == 200 and invoice.mimetype == "application/pdf"
    text = " ".join(pdf_text(invoice.data).split())
    assert f"U4SSC-INV-2026-{city.id:05d}" in text and "5,000.00 CHF" in text
    assert "Facture" in text and "Lyon" in text  # in the city's language

    paid = form_post(signed_in, f"{url}/milestones/fee_paid",
                     {"status": "done", "amount": "5000", "currency": "CHF",
                      "occurred_on": "2026-12-01"}, page_url=url)
    assert paid.status_code == 302
    page = signed_in.get(url).text
    assert "5,000.00 CHF" in page and "Fee paid" in page


def test_bad_amounts_dates_and_skips_get_a_message(app, city, signed_in, form_post):
    url = page_of(city)
    cases = [
        ({"status": "done", "amount": "lots", "currency": "CHF"}, "is not an amount"),
        ({"status": "done", "amount": "-5", "currency": "CHF"}, "more than 0"),
        ({"status": "done", "amount": "1e999", "currency": "CHF"}, "more than 0"),
        ({"status": "done", "amount": "", "currency": "CHF"}, "Give the amount"),
        ({"status": "done", "amount": "100", "currency": "EUR"}, "Give the amount"),
        ({"status": "done", "amount": "100", "currency": "CHF",
          "occurred_on": "2999-01-01"}, "cannot be in the future"),
        ({"status": "skipped", "note": "", "currency": "CHF"}, "Say why this step is skipped"),
    ]
    for data, message in cases:
        response = form_post(signed_in, f"{url}/milestones/fee_invoiced", data, page_url=url)
        assert response.status_code == 400, data
        assert message in response.text, data
    assert service.milestones_of(city.id) == {}
    nonsense = form_post(signed_in, f"{url}/milestones/nonsense", {"status": "done"},
                         page_url=url)
    assert nonsense.status_code == 404


def test_a_skipped_fee_stays_visible_as_skipped(app, city, signed_in, form_post):
    url = page_of(city)
    for kind in ("fee_invoiced", "fee_paid"):
        response = form_post(signed_in, f"{url}/milestones/{kind}",
                             {"status": "skipped", "note": "Paid by the national hub",
                              "currency": "CHF"},
                             page_url=url)
        assert response.status_code == 302
    states = {step.key: (step.state, step.detail) for step in service.timeline(city)}
    assert states["fee_invoiced"] == ("skipped", "Paid by the national hub")
    page = signed_in.get(url).text
    assert page.count('class="timeline-skipped"') == 2
    # No invoice for a skipped fee: the download explains instead of failing.
    refused = signed_in.get(f"{url}/invoice.pdf")
    assert refused.status_code == 302
    assert "No invoice is recorded" in signed_in.get(refused.location).text
    # Taken back, the step is open again.
    form_post(signed_in, f"{url}/milestones/fee_paid/clear", {}, page_url=url)
    assert {s.key: s.state for s in service.timeline(city)}["fee_paid"] == "open"


def test_recognition_follows_verification(app, city, secretariat, signed_in, form_post):
    url = page_of(city)
    early = form_post(signed_in, f"{url}/milestones/certificate_issued", {"status": "done"},
                      page_url=url)
    assert early.status_code == 400 and "follows verification" in early.text
    cannot_skip = form_post(signed_in, f"{url}/milestones/award_nominated",
                            {"status": "skipped", "note": "x"}, page_url=url)
    assert cannot_skip.status_code == 400
    for stage in (S.SUBMITTED, S.IN_VERIFICATION, S.VERIFIED):
        pipeline.move_city(city.id, stage, actor=secretariat)
    assert form_post(signed_in, f"{url}/milestones/certificate_issued", {"status": "done"},
                     page_url=url).status_code == 302
    assert form_post(signed_in, f"{url}/milestones/award_nominated",
                     {"status": "done", "note": "U4SSC Awards 2027"},
                     page_url=url).status_code == 302
    states = {s.key: s.state for s in service.timeline(city)}
    assert states["certificate_issued"] == states["award_nominated"] == "done"
    assert states["verified"] == "current" and states["published"] == "open"


def test_only_the_secretariat_reaches_the_programme_pages(app, city):
    make_staff(email="ver@example.org", role="verifier", name="Vera")
    verifier = app.test_client()
    sign_in(verifier, email="ver@example.org")
    assert verifier.get(page_of(city)).status_code == 403
    assert verifier.get(f"{page_of(city)}/case-study-outline.md").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get(page_of(city)).status_code == 302  # to the sign-in page
    assert anonymous.post(f"{page_of(city)}/milestones/fee_paid").status_code in (302, 400)
    assert service.milestones_of(city.id) == {}


def test_case_study_tracked_with_an_outline_from_the_results(app, city, signed_in,
                                                             form_post):
    improvement.save_initiative(city.id, category_id="ec-ict-infrastructure",
                                title="Open data portal", description="", status="planned",
                                link=None)
    url = page_of(city)
    unpublished = form_post(signed_in, f"{url}/case-study",
                            {"writer_name": "Ana Writer", "status": "published"},
                            page_url=url)
    assert unpublished.status_code == 400
    assert "needs the link where it is published" in unpublished.text
    bad_mail = form_post(signed_in, f"{url}/case-study",
                         {"writer_name": "Ana", "writer_email": "not-mail", "status": "draft"},
                         page_url=url)
    assert bad_mail.status_code == 400 and "is not an e-mail address" in bad_mail.text
    saved = form_post(signed_in, f"{url}/case-study",
                      {"writer_name": "Ana Writer", "writer_email": "ana@example.org",
                       "status": "draft", "due_on": "2027-03-01"}, page_url=url)
    assert saved.status_code == 302
    study = service.case_study_of(city.id)
    assert (study.writer_name, study.status) == ("Ana Writer", "draft")
    assert "Draft" in signed_in.get(url).text

    outline = signed_in.get(f"{url}/case-study-outline.md?lang=en")
    assert outline.status_code == 200 and outline.mimetype == "text/markdown"
    text = outline.text
    assert text.startswith("# Case study: Lyon")
    for heading in ("The city", "Vision and strategy", "Results by dimension", "Strengths",
                    "Where the city can improve", "Initiatives",
                    "Lessons learned and next steps"):
        assert f". {heading}" in text, heading
    assert "Population: 520,000" in text and "Open data portal" in text


def test_the_invoice_form_is_prefilled_with_the_citys_fee(app, city, signed_in):
    city.economy = "developed"
    from intake.extensions import db

    db.session.commit()
    page = signed_in.get(page_of(city)).text
    # 520 000 inhabitants, developed economy: 8 000 (no letter yet, so from the fee table).
    assert 'id="amount-fee_invoiced"' in page and 'value="8000.00"' in page


def test_the_city_page_shows_the_fee_and_recognition_between_the_steps(app, city, secretariat,
                                                                      signed_in):
    """The pipeline a secretariat reads on the city's page is the whole programme: the fee
    paid and the recognition steps sit between the stages, a skipped step shown as such."""
    from intake.models.programme import MilestoneKind

    service.record_milestone(city.id, MilestoneKind.FEE_INVOICED, actor=secretariat,
                               status="skipped", note="Paid by the national hub")
    page = signed_in.get(f"/staff/cities/{city.id}?lang=en").text
    track = page.split('class="stage-track"', 1)[1].split("</ol>", 1)[0]
    labels = re.findall(r"<li[^>]*>([^<]+)", track)
    assert [label.strip() for label in labels] == [
        "Letter received", "Acknowledged", "Fee invoiced", "Fee paid", "Data collection",
        "Submitted", "In verification", "Verified", "Certificate issued", "Published",
        "Award nominated"]
    assert 'class="skipped milestone"' in track and "(skipped)" in track
