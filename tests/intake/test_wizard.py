"""The city workspace and category wizards, driven like a browser without JavaScript."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import DataValue, JobRecord
from intake.services.cities import create_city
from intake.services.links import workspace_token
from tests.conftest import csrf_token_from

ICT = "ec-ict-infrastructure"
DRAINAGE = "ec-drainage"


@pytest.fixture
def city(app):
    return create_city(name="Stepford", population=50_000, focal_point_email="fp@example.org")


def open_workspace(client, city, lang=None):
    url = f"/w/{workspace_token(city)}" + (f"?lang={lang}" if lang else "")
    response = client.get(url)
    assert response.status_code == 302
    return client


def version_from(html: str) -> str:
    return re.search(r'name="version" type="hidden" value="([^"]*)"', html).group(1)


def fresh_csrf():
    """Tests share one app context, so Flask-WTF's per-request token cache in `g` would
    leak one client's token into another client's page; browsers never share it."""
    from flask import g

    g.pop("csrf_token", None)


def post_step(client, category, index, data, *, action="next", page=None, **kwargs):
    fresh_csrf()
    page = page if page is not None else client.get(f"/w/c/{category}/{index}").text
    fresh_csrf()
    form = {"csrf_token": csrf_token_from(page), "version": version_from(page),
            "action": action, **data}
    return client.post(f"/w/c/{category}/{index}", data=form, **kwargs)


def stored(city, dp_id):
    return db.session.execute(select(DataValue).where(
        DataValue.city_id == city.id, DataValue.data_point_id == dp_id)).scalar_one_or_none()


def input_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    if match is None:
        match = re.search(rf'<input[^>]*value="([^"]*)"[^>]*name="{re.escape(name)}"', html)
    return match.group(1) if match else None


# ------------------------------------------------------------------------------ workspace
def test_link_opens_workspace_with_progress_and_next_step(client, city):
    open_workspace(client, city)
    page = client.get("/w/")
    assert page.status_code == 200
    assert "Stepford" in page.text
    assert "0 of 5 KPIs answered" in page.text
    assert "Economy" in page.text and "Environment" in page.text
    assert "Start with “ICT Infrastructure”." in page.text


def test_tampered_link_gets_friendly_page_in_users_language(client, city):
    token = workspace_token(city)
    response = client.get(f"/w/{token[:-3]}xyz", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    assert '<html lang="fr"' in response.text
    response = client.get(f"/w/{'a' * 5000}")
    assert response.status_code == 404


def test_pages_without_the_link_ask_for_it(client, city):
    response = client.get(f"/w/c/{ICT}/0")
    assert response.status_code == 401
    assert "/resume" in response.text


def test_cli_printed_link_works(app, client):
    import json

    result = app.test_cli_runner().invoke(args=["cities", "create", "--name", "Clitown",
                                                "--population", "9000"])
    url = json.loads(result.output)["workspace_url"]
    response = client.get(url.replace("http://localhost", ""))
    assert response.status_code == 302
    assert "Clitown" in client.get("/w/").text


# ------------------------------------------------------------------------------ steps
def test_step_shows_label_unit_help_formula_and_provenance(client, city):
    open_workspace(client, city)
    page = client.get(f"/w/c/{ICT}/1").text
    assert "Households with Internet access" in page
    assert "How it is calculated:" in page and "total households" in page
    assert "Data quality" in page and "Reference year" in page
    assert "Not available" in page
    assert "<script" in page and "onclick" not in page and "style=" not in page


def test_fill_category_computes_kpi_and_restores_exact_text(client, city):
    open_workspace(client, city)
    response = post_step(client, ICT, 0, {"dp_hh_total": "20 000", "dp_pop": "50,000"})
    assert response.status_code == 302 and response.location.endswith(f"/w/c/{ICT}/1")
    response = post_step(client, ICT, 1, {
        "dp_hh_internet": "15 000", "kpi_ec_ict_ict_1c__tier": "survey",
        "kpi_ec_ict_ict_1c__source": "Household survey", "kpi_ec_ict_ict_1c__year": "2024"})
    assert response.status_code == 302
    page = client.get(f"/w/c/{ICT}/1").text
    assert input_value(page, "dp_hh_internet") == "15 000"  # exactly as typed
    assert ">75<" in page  # 15 000 / 20 000 × 100, computed server-side
    assert stored(city, "hh_internet").number == 15000
    assert input_value(client.get(f"/w/c/{ICT}/0").text, "dp_pop") == "50,000"


def test_invalid_values_are_kept_as_typed_with_clear_messages(client, city):
    open_workspace(client, city)
    cases = {
        "12abc": "is not a number",
        "1e309": "too large to be real",
        "-5": "cannot be negative",
    }
    for typed, message in cases.items():
        response = post_step(client, ICT, 0, {"dp_hh_total": typed, "dp_pop": "1000"})
        assert response.status_code == 422, typed[:20]
        assert message in response.text
        assert "saved as a draft" in response.text
        row = stored(city, "hh_total")
        assert row.raw_text == typed and not row.valid
    # Leaving and coming back restores the invalid text.
    assert "-5" in client.get(f"/w/c/{ICT}/0").text
    # Longer than the box allows (only a script sends that): refused whole, never stored
    # (issue #13: a 450 kB "number" filled the values and every audit row).
    response = post_step(client, ICT, 0, {"dp_hh_total": "x" * 100_000, "dp_pop": "1000"})
    assert response.status_code == 422
    assert "too long to be a number" in response.text
    assert "Nothing on this page was saved" in response.text
    assert stored(city, "hh_total").raw_text == "-5"


def test_share_above_100_percent_blocks(client, city):
    open_workspace(client, city)
    response = post_step(client, "en-waste", 0, {"dp_swt_landfill": "101"})
    assert response.status_code == 422
    assert "cannot be above 100 %" in response.text
    assert stored(city, "swt_landfill").raw_text == "101"


def test_shares_adding_up_to_more_than_100_percent_block(client, city):
    open_workspace(client, city)
    response = post_step(client, "en-waste", 0, {"dp_swt_landfill": "70",
                                                 "dp_swt_recycled": "40"})
    assert response.status_code == 422
    assert "add up to 110" in response.text


def test_part_larger_than_total(client, city):
    open_workspace(client, city)
    post_step(client, ICT, 0, {"dp_hh_total": "1000", "dp_pop": "3000"})
    response = post_step(client, ICT, 1, {"dp_hh_internet": "1500"})
    assert response.status_code == 422
    assert "larger than its total" in response.text


def test_warning_needs_a_justification_then_lets_user_go_on(client, city):
    open_workspace(client, city)
    post_step(client, ICT, 0, {"dp_hh_total": "20000", "dp_pop": "50000"})
    response = post_step(client, ICT, 3, {"dp_wbb_subs": "400000"})
    assert response.status_code == 422
    assert "per inhabitant" in response.text
    assert "Explain the warning" in response.text
    response = post_step(client, ICT, 3, {"dp_wbb_subs": "400000",
                                          "dp_wbb_subs__why": "Tourists and IoT SIMs"})
    assert response.status_code == 302
    review = client.get(f"/w/c/{ICT}/review").text
    assert "Tourists and IoT SIMs" in review and "per inhabitant" in review


def test_ambiguous_number_is_asked_back_in_french(client, city):
    open_workspace(client, city, lang="fr")
    response = post_step(client, DRAINAGE, 0, {"dp_dr_km": "1,234", "dp_dr_ict_km": "12"})
    assert response.status_code == 422
    assert 'name="dp_dr_km__meant"' in response.text
    assert "1,234</label>" in response.text and "1,23<" not in response.text  # exact readings
    assert stored(city, "dr_km").raw_text == "1,234"
    response = post_step(client, DRAINAGE, 0, {"dp_dr_km": "1,234", "dp_dr_km__meant": "group",
                                               "dp_dr_ict_km": "12"})
    assert response.status_code == 302
    assert stored(city, "dr_km").number == 1234


def test_not_available_is_an_answer(client, city):
    open_workspace(client, city)
    post_step(client, DRAINAGE, 0, {"dp_dr_km": "", "dp_dr_km__na": "y",
                                    "dp_dr_ict_km": "12"}, action="save")
    row = stored(city, "dr_km")
    assert row.not_available
    page = client.get("/w/").text
    assert "1 of 1 KPI answered" in page


def test_back_and_save_keep_drafts(client, city):
    open_workspace(client, city)
    response = post_step(client, ICT, 1, {"dp_hh_internet": "oops"}, action="back")
    assert response.status_code == 302 and response.location.endswith(f"/w/c/{ICT}/0")
    assert stored(city, "hh_internet").raw_text == "oops"
    response = post_step(client, ICT, 1, {"dp_hh_internet": "12"}, action="save")
    assert response.location.endswith(f"/w/c/{ICT}/1")


# ------------------------------------------------------------------------------ locking
def test_second_editor_gets_409_with_input_kept(app, city):
    first, second = app.test_client(), app.test_client()
    open_workspace(first, city)
    open_workspace(second, city)
    page_first = first.get(f"/w/c/{DRAINAGE}/0").text
    fresh_csrf()
    page_second = second.get(f"/w/c/{DRAINAGE}/0").text
    assert post_step(first, DRAINAGE, 0, {"dp_dr_km": "100", "dp_dr_ict_km": "10"},
                     page=page_first).status_code == 302
    response = post_step(second, DRAINAGE, 0, {"dp_dr_km": "250", "dp_dr_ict_km": "20"},
                         page=page_second)
    assert response.status_code == 409
    assert "Someone else saved this category" in response.text
    assert input_value(response.text, "dp_dr_km") == "250"  # their input kept
    assert "100" in response.text  # what changed meanwhile
    assert stored(city, "dr_km").raw_text == "100"  # nothing overwritten
    # Saving again from the conflict page (now up to date) is a deliberate overwrite.
    response = post_step(second, DRAINAGE, 0, {"dp_dr_km": "250", "dp_dr_ict_km": "20"},
                         page=response.text)
    assert response.status_code == 302
    assert stored(city, "dr_km").raw_text == "250"


def test_expired_csrf_rerenders_with_submitted_values(client, city):
    open_workspace(client, city)
    page = client.get(f"/w/c/{DRAINAGE}/0").text
    response = client.post(f"/w/c/{DRAINAGE}/0", data={
        "csrf_token": "expired", "version": version_from(page), "action": "next",
        "dp_dr_km": "777", "dp_dr_ict_km": "7"})
    assert response.status_code == 200
    assert input_value(response.text, "dp_dr_km") == "777"
    assert "nothing was saved yet" in response.text
    assert stored(city, "dr_km") is None
    # The re-rendered page carries a fresh token: pressing Save again works.
    response = post_step(client, DRAINAGE, 0, {"dp_dr_km": "777", "dp_dr_ict_km": "7"},
                         page=response.text)
    assert response.status_code == 302


def test_lost_session_keeps_values_through_the_resume_field(app, city):
    client = app.test_client()
    open_workspace(client, city)
    page = client.get(f"/w/c/{DRAINAGE}/0").text
    resume = input_value(page, "resume")
    fresh = app.test_client()  # cookies gone: a new browser session
    fresh_csrf()
    response = fresh.post(f"/w/c/{DRAINAGE}/0", data={
        "csrf_token": csrf_token_from(page), "version": version_from(page),
        "resume": resume, "action": "next", "dp_dr_km": "555", "dp_dr_ict_km": "5"})
    assert response.status_code == 200
    assert input_value(response.text, "dp_dr_km") == "555"
    response = post_step(fresh, DRAINAGE, 0, {"dp_dr_km": "555", "dp_dr_ict_km": "5"},
                         page=response.text)
    assert response.status_code == 302


# ------------------------------------------------------------------------------ review
def fill_drainage(client):
    return post_step(client, DRAINAGE, 0, {
        "dp_dr_km": "200", "dp_dr_ict_km": "50", "kpi_ec_ict_d_1a__tier": "accurate",
        "kpi_ec_ict_d_1a__source": "Utility GIS", "kpi_ec_ict_d_1a__year": "2025"},
        action="review")


def test_review_complete_lock_and_reopen(client, city):
    from forms.catalog.loading import load_catalog

    open_workspace(client, city)
    response = client.post(f"/w/c/{DRAINAGE}/complete",
                           data={"csrf_token": csrf_token_from(client.get("/w/").text)})
    assert response.status_code == 422
    assert "still need" in response.text or "still needs" in response.text
    assert fill_drainage(client).location.endswith(f"/w/c/{DRAINAGE}/review")
    review = client.get(f"/w/c/{DRAINAGE}/review").text
    assert ">25<" in review and "Utility GIS" in review and "Accurate measurement" in review
    assert load_catalog().kpi("EC: ICT: D: 1A").name.get("en") in review
    response = client.post(f"/w/c/{DRAINAGE}/complete", data={"csrf_token":
                                                                csrf_token_from(review)})
    assert response.status_code == 302
    page = client.get(f"/w/c/{DRAINAGE}/review").text
    assert "Reopen" in page
    # A locked category refuses changes and says why.
    response = post_step(client, DRAINAGE, 0, {"dp_dr_km": "999", "dp_dr_ict_km": "5"},
                         follow_redirects=True)
    assert "Reopen it to edit" in response.text
    assert stored(city, "dr_km").raw_text == "200"
    client.post(f"/w/c/{DRAINAGE}/reopen", data={"csrf_token": csrf_token_from(page)})
    assert post_step(client, DRAINAGE, 0, {"dp_dr_km": "999", "dp_dr_ict_km": "5"}
                     ).status_code == 302


def test_future_reference_year_is_an_error(client, city):
    open_workspace(client, city)
    response = post_step(client, DRAINAGE, 0, {"dp_dr_km": "200", "dp_dr_ict_km": "50",
                                               "kpi_ec_ict_d_1a__year": "2999"})
    assert response.status_code == 422
    assert "is in the future" in response.text


# ------------------------------------------------------------------------------ evidence
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_evidence_upload_checked_by_content_and_downloaded_as_attachment(client, city):
    open_workspace(client, city)
    response = post_step(client, DRAINAGE, 0, {
        "dp_dr_km": "321", "dp_dr_ict_km": "1",
        "kpi_ec_ict_d_1a__evidence": (io.BytesIO(PDF), "report.pdf")},
        action="upload", content_type="multipart/form-data", follow_redirects=True)
    assert "report.pdf" in response.text
    assert stored(city, "dr_km").raw_text == "321"  # typed values saved with the upload
    link = re.search(r'href="(/w/evidence/\d+)"', response.text).group(1)
    with client.get(link) as download:
        assert download.data == PDF
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert download.headers["Content-Type"] == "application/pdf"
    # A program renamed to .pdf is refused by its content, and the figures are kept.
    response = post_step(client, DRAINAGE, 0, {
        "dp_dr_km": "322", "dp_dr_ict_km": "1",
        "kpi_ec_ict_d_1a__evidence": (io.BytesIO(b"MZ\x90\x00\x03" + b"\x00" * 100),
                                      "invoice.pdf")},
        action="upload", content_type="multipart/form-data", follow_redirects=True)
    assert "This type of file is not accepted" in response.text
    assert stored(city, "dr_km").raw_text == "322"


def test_evidence_of_another_city_is_not_served(app, client, city):
    from intake.services.evidence import save_evidence

    other = create_city(name="Elsewhere", population=1000)
    record = save_evidence(other.id, "EC: ICT: D: 1A", "x.pdf", io.BytesIO(PDF), actor="t")
    open_workspace(client, city)
    assert client.get(f"/w/evidence/{record.id}").status_code == 404


# ------------------------------------------------------------------------------ misc
def test_resume_link_is_emailed(client, city):
    open_workspace(client, city)
    page = client.get("/w/").text
    response = client.post("/w/resume-link", data={"csrf_token": csrf_token_from(page),
                                                   "email": "fp@example.org"})
    assert response.status_code == 302
    job = db.session.execute(select(JobRecord).where(JobRecord.kind == "mail.send")
                             ).scalar_one()
    assert job.payload["to"] == ["fp@example.org"]
    # The job row holds a placeholder; the link is written out only when sending.
    assert "http://localhost/w/" not in job.payload["body"]
    from intake.services.links import reveal_links

    assert "http://localhost/w/" in reveal_links(job.payload["body"])
    response = client.post("/w/resume-link", data={"csrf_token": csrf_token_from(page),
                                                   "email": "not an address"},
                           follow_redirects=True)
    assert "does not look right" in response.text


def test_live_preview_computes_without_saving(client, city):
    open_workspace(client, city)
    response = client.get(f"/w/c/{DRAINAGE}/0/preview?dp_dr_km=200&dp_dr_ict_km=50")
    assert response.json["EC: ICT: D: 1A"][0]["value"] == "25"
    assert stored(city, "dr_km") is None
    response = client.get(f"/w/c/{DRAINAGE}/0/preview?dp_dr_km=abc")
    assert response.json["EC: ICT: D: 1A"][0]["value"] == "—"


def test_arabic_step_is_right_to_left_with_arabic_digits_accepted(client, city):
    open_workspace(client, city, lang="ar")
    page = client.get(f"/w/c/{DRAINAGE}/0").text
    assert 'dir="rtl"' in page
    response = post_step(client, DRAINAGE, 0, {"dp_dr_km": "٢٠٠", "dp_dr_ict_km": "٥٠"})
    assert response.status_code == 302
    assert stored(city, "dr_km").number == 200
    assert stored(city, "dr_km").raw_text == "٢٠٠"


def test_expired_form_on_a_button_page_says_so_and_returns(client, city):
    open_workspace(client, city)
    response = client.post(f"/w/c/{DRAINAGE}/complete", data={"csrf_token": "stale"},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "This page had expired" in response.text


@pytest.mark.parametrize("path", [
    "/w/c/no-such-category", "/w/c/no-such-category/0", "/w/c/no-such-category/review",
    f"/w/c/{DRAINAGE}/7", f"/w/c/{DRAINAGE}/7/preview", "/w/evidence/999",
])
def test_unknown_pages_are_404_not_500(client, city, path):
    open_workspace(client, city)
    assert client.get(path).status_code == 404


def test_unknown_category_posts_are_404(client, city):
    open_workspace(client, city)
    token = csrf_token_from(client.get("/w/").text)
    for path in ("/w/c/nope/complete", "/w/c/nope/reopen", "/w/c/nope/0"):
        assert client.post(path, data={"csrf_token": token}).status_code == 404


def test_garbled_version_is_a_conflict_not_a_crash(client, city):
    open_workspace(client, city)
    page = client.get(f"/w/c/{DRAINAGE}/0").text
    response = client.post(f"/w/c/{DRAINAGE}/0", data={
        "csrf_token": csrf_token_from(page), "version": "abc", "dp_dr_km": "12"})
    assert response.status_code == 409
    assert input_value(response.text, "dp_dr_km") == "12"


def test_oversize_evidence_is_refused_with_figures_kept(app, client, city):
    app.config["EVIDENCE_MAX_BYTES"] = 1024
    open_workspace(client, city)
    response = post_step(client, DRAINAGE, 0, {
        "dp_dr_km": "64", "kpi_ec_ict_d_1a__evidence": (io.BytesIO(PDF + b"0" * 2048),
                                                        "big.pdf")},
        action="upload", content_type="multipart/form-data", follow_redirects=True)
    assert "larger than" in response.text
    assert stored(city, "dr_km").raw_text == "64"
