"""Verification: who may review which city, verdicts per KPI, questions answered by the city."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import JobRecord, KpiVerification, Question, ValueAudit
from intake.services import values as value_service
from intake.services import verification as service
from intake.services.cities import create_city
from intake.services.links import workspace_token
from intake.services.pipeline import assign_verifier
from tests.conftest import csrf_token_from
from tests.intake.test_accounts import make_staff, sign_in

ICT = "ec-ict-infrastructure"
KPI = "EC: ICT: ICT: 1C"
ICT_VALUES = {"hh_internet": 41_000, "hh_total": 50_000, "fbb_subs": 30_000, "pop": 120_000,
              "wbb_subs": 90_000, "cov_3g": 100, "cov_4g": 95, "wifi_hotspots": 140}


def fill_ict(city_id: int, *, complete: bool = True) -> None:
    value_service.set_city_values(
        city_id, ICT_VALUES, actor="city test",
        provenance={KPI: {"quality_tier": "accurate", "source": "National statistics office",
                          "reference_year": 2024}})
    if complete:
        value_service.mark_category_complete(city_id, ICT, actor="city test")


@pytest.fixture
def world(app):
    sec = make_staff()
    verifier = make_staff(email="ver@example.org", role="verifier", name="Vera Verifier")
    other_verifier = make_staff(email="other@example.org", role="verifier", name="Otto")
    mine = create_city(name="Stavanger", population=120_000, locale="fr",
                       focal_point_name="Ingrid", focal_point_email="ingrid@stavanger.example")
    theirs = create_city(name="Bergen", population=290_000, locale="en",
                         focal_point_email="fp@bergen.example")
    fill_ict(mine.id)
    fill_ict(theirs.id)
    assign_verifier(mine.id, verifier.id, actor=sec)
    return {"sec": sec, "verifier": verifier, "other": other_verifier, "mine": mine,
            "theirs": theirs}


def as_verifier(client, email="ver@example.org"):
    sign_in(client, email=email)
    return client


def as_city(client, city):
    assert client.get(f"/w/{workspace_token(city)}").status_code == 302
    return client


def post(client, url, data, page):
    html = client.get(page).text
    return client.post(url, data={"csrf_token": csrf_token_from(html), **data})


def mail_jobs(prefix: str) -> list[JobRecord]:
    return [job for job in db.session.execute(select(JobRecord).where(
        JobRecord.kind == "mail.send")).scalars() if job.key.startswith(prefix)]


# ------------------------------------------------------------------------------ roles
def test_verifier_sees_only_assigned_cities(app, client, world):
    as_verifier(client)
    mine, theirs = world["mine"].id, world["theirs"].id
    assert client.get(f"/staff/verify/{mine}/").status_code == 200
    for path in ("/", f"/c/{ICT}", "/questions", "/audit", "/audit.csv", "/report.html"):
        assert client.get(f"/staff/verify/{theirs}{path}").status_code == 403, path
    assert client.get("/staff/verify/999999/").status_code == 404
    assert client.get(f"/staff/verify/{mine}/c/no-such-category").status_code == 404
    # Nor can the verifier write to a city not assigned to them.
    token = csrf_token_from(client.get(f"/staff/verify/{mine}/c/{ICT}").text)
    response = client.post(f"/staff/verify/{theirs}/kpi/{KPI}",
                           data={"csrf_token": token, "status": "verified"})
    assert response.status_code == 403
    response = client.post(f"/staff/verify/{theirs}/questions",
                           data={"csrf_token": token, "target": "hh_total", "text": "Why?"})
    assert response.status_code == 403
    assert db.session.execute(select(KpiVerification)).first() is None
    assert db.session.execute(select(Question)).first() is None


def test_secretariat_sees_every_city_and_the_link_from_the_city_page(app, client, world):
    sign_in(client)
    page = client.get(f"/staff/cities/{world['theirs'].id}").text
    assert f'href="/staff/verify/{world["theirs"].id}/"' in page
    assert client.get(f"/staff/verify/{world['theirs'].id}/").status_code == 200


def test_city_users_and_visitors_never_reach_staff_pages(app, client, world):
    assert client.get(f"/staff/verify/{world['mine'].id}/").status_code in (302, 401)
    as_city(client, world["mine"])
    # A city's session is not a staff session: sent to sign in (or refused), never shown.
    for path in ("/", "/audit.csv", "/report.html", "/questions"):
        response = client.get(f"/staff/verify/{world['mine'].id}{path}")
        assert response.status_code in (302, 403), path
        assert "Stavanger" not in response.text


# ------------------------------------------------------------------------------ review
def test_review_page_shows_figures_formula_value_provenance_and_questions(app, client, world):
    as_verifier(client)
    page = client.get(f"/staff/verify/{world['mine'].id}/c/{ICT}").text
    assert "Households with Internet access ÷ total households × 100" in page
    assert "41000" in page  # as entered (plain format)
    assert "82" in page  # computed: 41 000 ÷ 50 000 × 100
    assert "National statistics office" in page and "2024" in page
    assert "Accurate measurement" in page
    assert "Ask about this figure" in page
    assert "Is <bdi>EC: ICT: ICT: 1C</bdi> verified?" in page


def test_marking_a_kpi_verified_and_changing_the_verdict(app, client, world):
    as_verifier(client)
    city_id = world["mine"].id
    page = f"/staff/verify/{city_id}/c/{ICT}"
    response = post(client, f"/staff/verify/{city_id}/kpi/{KPI}",
                    {"status": "verified", "note": "Matches the statistics office table"}, page)
    assert response.status_code == 302
    row = db.session.execute(select(KpiVerification)).scalar_one()
    assert (row.status, row.note, row.verifier_id) == (
        "verified", "Matches the statistics office table", world["verifier"].id)
    post(client, f"/staff/verify/{city_id}/kpi/{KPI}", {"status": "not_verified"}, page)
    db.session.expire_all()
    row = db.session.execute(select(KpiVerification)).scalar_one()  # still one row
    assert row.status == "not_verified" and row.note is None
    overview = client.get(f"/staff/verify/{city_id}/").text
    assert "0 / 5" in overview


def test_marking_refuses_no_choice_unknown_kpi_and_unsubmitted_category(app, client, world):
    as_verifier(client)
    city_id = world["mine"].id
    page = f"/staff/verify/{city_id}/c/{ICT}"
    response = post(client, f"/staff/verify/{city_id}/kpi/{KPI}", {"note": "hm"}, page)
    assert response.status_code == 400
    assert "Choose whether the KPI is verified." in response.text
    response = post(client, f"/staff/verify/{city_id}/kpi/NOPE", {"status": "verified"}, page)
    assert response.status_code == 404
    value_service.reopen_category(city_id, ICT, actor="city")
    response = post(client, f"/staff/verify/{city_id}/kpi/{KPI}", {"status": "verified"}, page)
    assert response.status_code == 409
    assert "has not been submitted yet" in response.text
    assert db.session.execute(select(KpiVerification)).first() is None


# ------------------------------------------------------------------------------ questions
def open_question_as_verifier(client, city_id, target="hh_internet",
                              text="Is 41 000 from the 2024 household survey?"):
    response = post(client, f"/staff/verify/{city_id}/questions",
                    {"target": target, "text": text, "category": ICT},
                    f"/staff/verify/{city_id}/c/{ICT}")
    assert response.status_code == 302, response.text
    return db.session.execute(select(Question).order_by(Question.id.desc())).scalars().first()


def test_question_mail_answer_with_new_value_and_audit(app, client, world):
    city = world["mine"]
    as_verifier(client)
    question = open_question_as_verifier(client, city.id)
    assert (question.data_point_id, question.kpi_code, question.status) == (
        "hh_internet", KPI, "open")
    [job] = mail_jobs(f"mail:question:{question.id}")
    assert job.payload["to"] == ["ingrid@stavanger.example"]
    # Written in the city's language (French), with the link to its workspace.
    assert "Bonjour Ingrid," in job.payload["body"]
    assert "Is 41 000 from the 2024 household survey?" in job.payload["body"]
    # The job row holds a placeholder; the link back to the workspace is written
    # out when the e-mail is sent.
    assert "/w/" not in job.payload["body"]
    from intake.services.links import reveal_links

    assert "/w/" in reveal_links(job.payload["body"])

    city_client = app.test_client()
    as_city(city_client, city)
    workspace = city_client.get("/w/").text
    assert "Questions from the verifier (1 open)" in workspace
    tasks = city_client.get("/w/questions/?lang=en").text
    assert "Is 41 000 from the 2024 household survey?" in tasks
    response = post(city_client, f"/w/questions/{question.id}/answer",
                    {"text": "No: the 2024 census says 42 500.", "new_value": "42,500"},
                    "/w/questions/?lang=en")
    assert response.status_code == 302
    db.session.expire_all()
    [audit] = db.session.execute(select(ValueAudit).where(
        ValueAudit.city_id == city.id, ValueAudit.reason.like("answer to%"))).scalars()
    assert (audit.data_point_id, audit.old_text, audit.new_text, audit.actor, audit.reason) == (
        "hh_internet", "41000", "42500", "Ingrid (focal point)",
        f"answer to question #{question.id}")
    assert value_service.get_city_values(city.id)["hh_internet"] == 42_500
    question = db.session.get(Question, question.id)
    assert question.status == "answered"
    assert [m.author_kind for m in question.messages] == ["staff", "city"]
    assert (question.messages[1].old_value, question.messages[1].new_value) == ("41000",
                                                                                "42500")
    # The verifier is told, and sees the thread with the change on the review page.
    assert mail_jobs(f"mail:question-answer:{question.messages[1].id}")
    review = client.get(f"/staff/verify/{city.id}/c/{ICT}").text
    assert "No: the 2024 census says 42 500." in review and "Value changed:" in review
    assert "85" in review  # the computed value follows: 42 500 ÷ 50 000 × 100
    trail = client.get(f"/staff/verify/{city.id}/audit").text
    assert f"answer to question #{question.id}" in trail


def test_invalid_reply_value_is_refused_and_nothing_is_lost(app, client, world):
    city = world["mine"]
    as_verifier(client)
    question = open_question_as_verifier(client, city.id)
    city_client = app.test_client()
    as_city(city_client, city)
    response = post(city_client, f"/w/questions/{question.id}/answer",
                    {"text": "Corrected figure below", "new_value": "about 42k"},
                    "/w/questions/?lang=en")
    assert response.status_code == 400
    assert "is not a number" in response.text or "not a number" in response.text.lower()
    # What the city typed is still there, and nothing was stored.
    assert "Corrected figure below</textarea>" in response.text
    assert 'value="about 42k"' in response.text
    db.session.expire_all()
    assert len(db.session.get(Question, question.id).messages) == 1
    assert value_service.get_city_values(city.id)["hh_internet"] == 41_000
    # A value breaking a blocking rule (a negative count) is refused the same way.
    response = post(city_client, f"/w/questions/{question.id}/answer",
                    {"text": "", "new_value": "-5"}, "/w/questions/?lang=en")
    assert response.status_code == 400 and 'value="-5"' in response.text
    # An empty answer says what is missing.
    response = post(city_client, f"/w/questions/{question.id}/answer",
                    {"text": "  ", "new_value": ""}, "/w/questions/?lang=en")
    assert response.status_code == 400
    assert "Write an answer or give the corrected value." in response.text


def test_city_never_sees_or_answers_another_citys_questions(app, client, world):
    as_verifier(client)
    question = open_question_as_verifier(client, world["mine"].id,
                                         text="Private question for Stavanger")
    other = app.test_client()
    as_city(other, world["theirs"])
    assert "Private question for Stavanger" not in other.get("/w/questions/").text
    response = post(other, f"/w/questions/{question.id}/answer", {"text": "hijack"},
                    "/w/questions/")
    assert response.status_code == 404
    db.session.expire_all()
    assert len(db.session.get(Question, question.id).messages) == 1
    # Without a workspace session the page asks for the link.
    assert app.test_client().get("/w/questions/").status_code == 401


def test_staff_reply_reopens_and_close_stops_answers(app, client, world):
    city = world["mine"]
    as_verifier(client)
    question = open_question_as_verifier(client, city.id, target=KPI, text="Which year?")
    assert question.data_point_id is None and question.kpi_code == KPI
    page = f"/staff/verify/{city.id}/questions"
    assert post(client, f"{page}/{question.id}/reply", {"text": "Also: the source?"},
                page).status_code == 302
    assert mail_jobs(f"mail:question:{question.id}:")
    response = post(client, f"{page}/{question.id}/reply", {"text": ""}, page)
    assert response.status_code == 400
    assert post(client, f"{page}/{question.id}/close", {}, page).status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, question.id).status == "closed"
    city_client = app.test_client()
    as_city(city_client, city)
    with pytest.raises(service.VerificationError):
        service.answer_question(question.id, "late", city_id=city.id)
    assert "Send the answer" not in city_client.get("/w/questions/").text


def test_opening_a_question_refuses_empty_text_and_unknown_targets(app, client, world):
    as_verifier(client)
    city_id = world["mine"].id
    page = f"/staff/verify/{city_id}/c/{ICT}"
    response = post(client, f"/staff/verify/{city_id}/questions",
                    {"target": "hh_total", "text": "   ", "category": ICT}, page)
    assert response.status_code == 400
    assert "Write the question for the city." in response.text
    assert 'aria-invalid="true"' in response.text  # on the figure's own question box
    response = post(client, f"/staff/verify/{city_id}/questions",
                    {"target": "no_such_point", "text": "Why?", "category": ICT}, page)
    assert response.status_code == 400
    assert "is not a KPI of the catalog" in response.text
    assert db.session.execute(select(Question)).first() is None


# ------------------------------------------------------------------------------ audit
def test_audit_csv_export_neutralises_formulas(app, client, world):
    city_id = world["mine"].id
    value_service.set_city_values(city_id, {"wifi_hotspots": 150},
                                  actor="=HYPERLINK(\"http://evil\")", reason="@SUM(A1)")
    as_verifier(client)
    response = client.get(f"/staff/verify/{city_id}/audit.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:2] == ["When (UTC)", "Data point"]
    newest = rows[1]
    assert newest[1] == "wifi_hotspots" and newest[4:6] == ["140", "150"]
    assert newest[3].startswith("'=") and newest[6] == "'@SUM(A1)"
    assert all(not re.match(r"^[=+@]", cell) for row in rows for cell in row)
    assert service.neutralise("-5") == "-5" and service.neutralise("-1+1") == "'-1+1"


# ------------------------------------------------------------------------------ browser
@pytest.mark.browser
def test_verification_end_to_end_in_chromium(sqlite_app):
    from playwright.sync_api import expect

    from intake.models import City, ProgrammeStage
    from intake.services import pipeline
    from tests.browser import chromium, live_server, screenshot, watch_console
    from tests.intake.test_accounts import PASSWORD

    sec = make_staff()
    make_staff(email="ver@example.org", role="verifier", name="Vera Verifier")
    city = create_city(name="Stavanger", population=120_000, locale="en", country="NO",
                       focal_point_name="Ingrid", focal_point_email="ingrid@stavanger.example")
    fill_ict(city.id)
    for stage in (ProgrammeStage.SUBMITTED, ProgrammeStage.IN_VERIFICATION):
        pipeline.move_city(city.id, stage, actor=sec)
    city_id, token = city.id, workspace_token(city)
    kpi_codes = [k.code for k in value_service.catalog().kpis_in(ICT)]
    db.session.close()  # SQLite: hold no transaction while the server writes

    def login(page, base, email):
        page.goto(f"{base}/language/en?next=/staff/")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/staff/")

    with live_server(sqlite_app) as base, chromium(viewport={"width": 1280, "height": 900}) as c:
        staff = c.new_page()
        problems = watch_console(staff)
        login(staff, base, "sec@example.org")
        staff.goto(f"{base}/staff/cities/{city_id}")
        staff.get_by_label("Assign a verifier").select_option(
            label="Vera Verifier <ver@example.org>")
        staff.get_by_role("button", name="Assign", exact=True).click()
        staff.wait_for_load_state()
        expect(staff.get_by_text("The verifier is assigned")).to_be_visible()

        verifier_context = c.browser.new_context(viewport={"width": 1280, "height": 900})
        verifier = verifier_context.new_page()
        problems += watch_console(verifier)
        login(verifier, base, "ver@example.org")
        verifier.goto(f"{base}/staff/verify/{city_id}/")
        verifier.get_by_role("link", name="Review the KPIs").first.click()
        section = verifier.locator("#kpi-EC-ICT-ICT-1C")
        row = section.locator("tr", has_text="hh_internet")
        row.get_by_text("Ask about this figure").click()
        row.get_by_label("Your question to the city").fill(
            "Is 41 000 from the 2024 household survey?")
        row.get_by_role("button", name="Send the question").click()
        verifier.wait_for_load_state()
        expect(verifier.get_by_text("is sent; the focal point is informed")).to_be_visible()

        city_context = c.browser.new_context(viewport={"width": 1280, "height": 900})
        city_page = city_context.new_page()
        problems += watch_console(city_page)
        city_page.goto(f"{base}/w/{token}?lang=en")
        city_page.get_by_role("link", name="Questions from the verifier (1 open)").click()
        city_page.get_by_label("Your answer").fill("The 2024 census says 42 500.")
        city_page.get_by_label("Corrected value (optional)").fill("42,5OO")
        city_page.get_by_role("button", name="Send the answer").click()
        expect(city_page.locator("p.error").first).to_be_visible()  # a letter O, not a zero
        expect(city_page.get_by_label("Your answer")).to_have_value(
            "The 2024 census says 42 500.")
        city_page.get_by_label("Corrected value (optional)").fill("42,500")
        city_page.get_by_role("button", name="Send the answer").click()
        city_page.wait_for_load_state()
        expect(city_page.get_by_text("the value is updated")).to_be_visible()
        screenshot(city_page, "verify-city-questions-en")

        verifier.goto(f"{base}/staff/verify/{city_id}/c/{ICT}")
        expect(verifier.get_by_text("The 2024 census says 42 500.").first).to_be_visible()
        screenshot(verifier, "verify-review-en")
        for code in kpi_codes:
            anchor = re.sub(r"[^A-Za-z0-9_]+", "-", code).strip("-")
            form = verifier.locator(f"#kpi-{anchor} form.mark-form")
            form.get_by_label("Yes, verified").check()
            form.get_by_role("button").click()
            verifier.wait_for_load_state()
        # At least one "verified" verdict per KPI, waiting for the last page to load.
        expect(verifier.locator(".verdict", has_text="verified").nth(len(kpi_codes) - 1)
               ).to_be_visible()

        staff.goto(f"{base}/staff/cities/{city_id}")
        staff.get_by_role("button", name="Forward to “Verified”").click()
        staff.wait_for_load_state()
        staff.get_by_role("link", name="Verify data").click()
        staff.get_by_role("link", name="Verification report").click()
        expect(staff.get_by_text(f"KPIs reported and verified ({len(kpi_codes)})")).to_be_visible()
        screenshot(staff, "verify-report-en")
        with staff.expect_download() as report_download:
            staff.get_by_role("link", name="Download the report (PDF)").click()
        with staff.expect_download() as certificate_download:
            staff.get_by_role("link", name="Download the certificate (PDF)").click()
        for download in (report_download.value, certificate_download.value):
            assert Path(download.path()).read_bytes().startswith(b"%PDF")
        staff.goto(f"{base}/staff/verify/{city_id}/report.html?lang=ar")
        assert staff.locator("html").get_attribute("dir") == "rtl"
        screenshot(staff, "verify-report-ar")
        staff.goto(f"{base}/staff/verify/{city_id}/c/{ICT}")
        screenshot(staff, "verify-review-ar")

        city_page.goto(f"{base}/w/questions/?lang=ar")
        assert city_page.locator("html").get_attribute("dir") == "rtl"
        screenshot(city_page, "verify-city-questions-ar")
        verifier_context.close()
        city_context.close()
        assert problems == []
    assert db.session.get(City, city_id).stage == ProgrammeStage.VERIFIED
    assert value_service.get_city_values(city_id)["hh_internet"] == 42_500
