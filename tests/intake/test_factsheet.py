"""The factsheet: results, SDGs, radar, initiatives and recommendations, page and PDF."""

from __future__ import annotations

import subprocess

import pytest
from flask_babel import refresh
from sqlalchemy import select

from intake.demo import load_demo
from intake.extensions import db
from intake.models import Recommendation
from intake.services import gains, improvement
from intake.services.links import workspace_token
from tests.intake.test_accounts import make_staff, sign_in
from tests.pdf_checks import assert_accessible_pdf


@pytest.fixture
def demo(app, client):
    city = load_demo()
    assert client.get(f"/w/{workspace_token(city)}").status_code == 302
    return city


def test_factsheet_shows_results_units_sdgs_radar_and_initiatives(client, demo):
    improvement.save_initiative(demo.id, category_id="en-energy", title="Solar roofs on schools",
                          description="Panels on 48 schools", status="ongoing",
                          link="https://example.org/solar")
    html = client.get("/w/factsheet").text
    assert "Factsheet" in html and "Demoville" in html
    # The radar: one spoke per category, a score polygon, translated labels.
    assert 'class="radar"' in html and 'class="radar-area"' in html
    catalog = gains.catalog()
    assert html.count("<line x1=\"0\" y1=\"0\"") == len(catalog.categories)
    assert "Air quality" in html or catalog.categories[11].name.get("en") in html
    # KPI results with units, percent of target, band and the linked SDGs.
    assert "EC: ICT: ICT: 1C" in html and "17.8.1" in html
    assert "Percent of target" in html and "95 %+ of target" in html
    # The city's own initiative, in its category.
    assert "Solar roofs on schools" in html and "Ongoing" in html
    assert 'href="https://example.org/solar"' in html
    assert "No initiative described yet." in html


def test_factsheet_in_arabic_is_right_to_left(client, demo):
    refresh()  # the tests share one app context, where Flask-Babel caches the locale
    html = client.get("/w/factsheet?lang=ar").text
    refresh()
    assert '<html lang="ar" dir="rtl">' in html and 'direction="rtl"' in html
    arabic = gains.catalog().categories[0].name.get("ar")
    assert arabic in html


def test_factsheet_pdf_is_in_the_citys_language(client, demo, tmp_path):
    demo.locale = "fr"
    db.session.commit()
    response = client.get("/w/factsheet.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert_accessible_pdf(response.data, "fr")
    path = tmp_path / "factsheet.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Demoville" in text
    assert gains.catalog().categories[0].name.get("fr") in " ".join(text.split())


def test_generated_draft_points_at_lowest_bands_and_missing_kpis(app, demo):
    from intake.snapshot.data import build_snapshot

    count = improvement.generate_draft(demo.id, author="test")
    rows = list(db.session.execute(select(Recommendation)).scalars())
    assert count == len(rows) > 0 and all(r.generated for r in rows)
    snapshot = build_snapshot(demo, "en", False)
    low, missing = improvement.draft_targets(snapshot)
    assert low and {c.band for c in low} <= {1, 2}
    assert {c.id for c in snapshot.categories if c.band in (1, 2)} == {c.id for c in low}
    drafted = {r.category_id for r in rows}
    assert {c.id for c in low} <= drafted and set(missing) <= drafted
    missing_code = next(iter(missing.values()))[0].kpi_code
    assert any(missing_code in r.text for r in rows)
    # Generating again replaces untouched drafts, but keeps what a person edited.
    edited = improvement.save_recommendation(demo.id, category_id=rows[0].category_id,
                                       text="Edited by the secretariat", author="Sam",
                                       recommendation_id=rows[0].id)
    assert improvement.generate_draft(demo.id, author="test") == count
    texts = [r.text for r in db.session.execute(select(Recommendation)).scalars()]
    assert "Edited by the secretariat" in texts and len(texts) == count + 1
    assert not edited.generated


def test_staff_write_recommendations_the_city_reads_them(app, client, demo, form_post):
    staff_client = app.test_client()
    make_staff()
    sign_in(staff_client)
    url = f"/staff/gains/{demo.id}"
    page = staff_client.get(url)
    assert page.status_code == 200 and "Generate a first draft" in page.text
    empty = form_post(staff_client, url, {"category_id": "en-energy", "text": "  "})
    assert empty.status_code == 422 and "Write the recommendation." in empty.text
    bad = form_post(staff_client, url, {"category_id": "nope", "text": "x"})
    assert bad.status_code == 422
    saved = form_post(staff_client, url, {"category_id": "en-energy",
                                          "text": "Publish the energy plan"})
    assert saved.status_code == 302
    generated = form_post(staff_client, f"{url}/generate", {}, page_url=url)
    assert generated.status_code == 302
    assert "draft" in staff_client.get(url).text
    html = client.get("/w/factsheet").text
    assert "Publish the energy plan" in html
    # A city user never opens the staff pages (they are sent to the staff sign-in).
    for staff_url in (url, f"{url}/factsheet"):
        response = client.get(staff_url)
        assert response.status_code in (302, 403)
        assert "/login" in response.headers.get("Location", "/login")


def test_factsheet_needs_the_workspace_link(client, app):
    assert client.get("/w/factsheet").status_code == 401
    assert client.get("/w/factsheet.pdf").status_code == 401
