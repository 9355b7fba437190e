"""The City Snapshot page, its SVG and PDF downloads, the table, Arabic, and the browser."""

from __future__ import annotations

import re
import subprocess
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sqlalchemy import select

from intake.demo import DEMO_VALUES, load_demo
from intake.extensions import db
from intake.jobs import HANDLERS
from intake.models import JobRecord, JobState
from intake.services import scoring as scoring_service
from intake.services.cities import create_city
from intake.services.links import city_from_snapshot_token, snapshot_token, workspace_token
from intake.services.values import mark_category_complete, set_city_values
from tests.pdf_checks import assert_accessible_pdf

CATEGORY = "ec-ict-infrastructure"
SVG = "{http://www.w3.org/2000/svg}"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def city_with_ict(name="Testville"):
    catalog = scoring_service.get_catalog()
    needed = {p.id for k in catalog.kpis_in(CATEGORY) for p in k.data_points}
    city = create_city(name=name, population=250_000)
    set_city_values(city.id, {k: v for k, v in DEMO_VALUES.items() if k in needed},
                    actor="test", provenance={"EC: ICT: ICT: 1C": {"quality_tier": "survey"}})
    mark_category_complete(city.id, CATEGORY, actor="test")
    return city


def test_snapshot_page_by_snapshot_link(app, client):
    city = city_with_ict()
    page = client.get(f"/snapshot/{snapshot_token(city)}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and "<script" not in html.split("<svg", 1)[1].split("</svg>")[0]
    assert "<title id=\"wheel-title\">" in html and "<desc" in html
    for words in ("95 %+ of target", "66–95 % of target", "33–66 % of target",
                  "less than 33 % of target", "no data or no target",
                  "data reported but no target yet"):
        assert words in html
    catalog = scoring_service.get_catalog()
    assert catalog.benchmark_version in html and "provisional" in html
    assert "ICT Infrastructure" in html and "85%" in html  # category percentage
    # every one of the 112 scored items is a slice of the wheel; 13 arcs of sub-dimensions
    # (Economy's categories mix ICT and Infrastructure KPIs), 24 categories, 3 dimensions
    assert len(re.findall(r'<path d="M [^"]+" fill="[^"]+" class="(?:band-\d|no-data|no-target)"',
                          html)) == 112 + 13 + 24 + 3


def test_the_snapshot_link_and_the_workspace_link_are_separate_capabilities(app, client):
    """Probe finding 1: whoever is sent a snapshot cannot open the workspace, and the
    workspace link is not a snapshot link either."""
    city = city_with_ict()
    snapshot, workspace = snapshot_token(city), workspace_token(city)
    assert snapshot != workspace
    assert city.access_key[:16] not in snapshot_payload(snapshot)
    visitor = app.test_client()
    for path in (f"/w/{snapshot}", f"/w/{snapshot}/"):
        response = visitor.get(path)
        assert response.status_code == 404, path
    # No city session was opened: the workspace and its forms stay closed.
    assert visitor.get("/w/").status_code == 401
    assert visitor.get("/snapshot/").status_code == 403
    for suffix in ("", "/wheel.svg", "/snapshot.pdf"):
        assert visitor.get(f"/snapshot/{workspace}{suffix}").status_code == 404, suffix
    page = visitor.get(f"/snapshot/{snapshot}")
    assert page.status_code == 200
    assert "noindex" in page.headers["X-Robots-Tag"]
    assert "private" in page.headers["Cache-Control"]
    assert "/w/" not in page.get_data(as_text=True)
    # The workspace offers the read-only link to share, never its own link for that.
    owner = app.test_client()
    owner.get(f"/w/{workspace}")
    home = owner.get("/w/").get_data(as_text=True)
    shared = re.search(r"/snapshot/([A-Za-z0-9_.\-]+)<", home).group(1)
    assert city_from_snapshot_token(shared).id == city.id
    assert f"/snapshot/{workspace}" not in home


def snapshot_payload(token: str) -> str:
    import base64

    head = token.split(".", 1)[0]
    return base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode()


def test_table_lists_value_unit_target_percent_band_and_quality(app, client):
    city = city_with_ict()
    html = client.get(f"/snapshot/{snapshot_token(city)}").get_data(as_text=True)
    table = html[html.index('id="cat-ec-ict-infrastructure"'):]
    table = table[:table.index("</table>")]
    row = table[table.index("EC: ICT: ICT: 1C"):]
    row = row[:row.index("</tr>")]
    assert "Household Internet Access" in row
    assert ">90<" in row  # value
    assert "≥ 100" in row  # target
    assert "90%" in row and "66–95 % of target" in row
    assert "Extrapolation from a survey or sample" in row  # data quality
    hotspots = table[table.index("EC: ICT: ICT: 5C"):]
    assert "data reported but no target yet" in hotspots[:hotspots.index("</tr>")]


def test_snapshot_from_the_session_and_refusals(app, client):
    city = city_with_ict()
    assert client.get("/snapshot/").status_code == 403  # nobody signed in
    client.get(f"/w/{workspace_token(city)}")  # the workspace link opens the session
    assert client.get("/snapshot/").status_code == 200
    other = client.application.test_client()
    other.get(f"/w/{workspace_token(city)}")  # opening the workspace link signs the city in
    assert other.get("/snapshot/").status_code == 200
    assert client.get("/snapshot/not-a-real-token").status_code == 404
    assert client.get("/snapshot/not-a-real-token/wheel.svg").status_code == 404


def test_a_kept_page_is_not_sent_for_a_link_that_no_longer_opens_the_city(app, client):
    from intake.models import City

    city = city_with_ict()
    old_link = snapshot_token(city)
    assert client.get(f"/snapshot/{old_link}").status_code == 200  # now kept in memory
    # A new access key (links revoked) closes every link made before it, kept page or not.
    stored = db.session.get(City, city.id)
    stored.access_key = "n" * 32
    db.session.commit()
    assert client.get(f"/snapshot/{old_link}").status_code == 404
    assert client.get(f"/snapshot/{snapshot_token(stored)}").status_code == 200
    # A link naming a city that does not exist.
    db.session.delete(stored)
    db.session.commit()
    assert client.get(f"/snapshot/{snapshot_token(stored)}").status_code == 404


def test_an_expired_link_is_410(app, client):
    import time

    import time_machine

    city = city_with_ict()
    link = snapshot_token(city)
    assert client.get(f"/snapshot/{link}").status_code == 200
    with time_machine.travel(time.time() + 61 * 24 * 3600, tick=False):
        assert client.get(f"/snapshot/{link}").status_code == 410


def test_svg_download_is_valid_xml_with_escaped_labels(app, client):
    city = city_with_ict(name='Ville <b>"Test"</b> & Co')
    response = client.get(f"/snapshot/{snapshot_token(city)}/wheel.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert body.startswith("<?xml") and "<b>" not in body
    root = ET.fromstring(response.data)
    assert root.tag == f"{SVG}svg"
    title = root.find(f"{SVG}title").text
    assert 'Ville <b>"Test"</b> & Co' in title
    assert root.find(f"{SVG}defs/{SVG}pattern") is not None  # the hatch
    assert all(el.tag != f"{SVG}script" for el in root.iter())
    texts = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    assert "ICT Infrastructure" in texts and "data reported but no target yet" in texts


def test_pdf_download(app, client, tmp_path):
    city = city_with_ict()
    response = client.get(f"/snapshot/{snapshot_token(city)}/snapshot.pdf?lang=ar")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert_accessible_pdf(response.data, "ar")
    pdf = tmp_path / "snapshot.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Testville" in text and "EC: ICT: ICT: 1C" in text


def test_pdf_fetches_nothing_but_data_urls(app):
    from intake.snapshot.render import _fetcher

    fetcher = _fetcher()
    for url in ("file:///etc/passwd", "http://127.0.0.1/", "https://example.com/x.png"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,ok") is not None


def test_arabic_snapshot_is_right_to_left(app, client):
    city = city_with_ict()
    html = client.get(f"/snapshot/{snapshot_token(city)}?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert 'direction="rtl"' in svg and 'lang="ar"' in svg


def test_failed_job_shows_retry_and_retry_needs_csrf(app, client, monkeypatch, form_post):
    def broken(payload):
        raise RuntimeError("boom")

    monkeypatch.setitem(HANDLERS, "scoring.category", broken)
    city = city_with_ict()
    token = snapshot_token(city)
    [job] = db.session.execute(select(JobRecord)).scalars()
    assert job.state == JobState.FAILED
    html = client.get(f"/snapshot/{token}").get_data(as_text=True)
    assert "failed" in html and f"/snapshot/{token}/retry/{job.id}" in html
    monkeypatch.setitem(HANDLERS, "scoring.category", scoring_service.run_scoring)
    assert client.post(f"/snapshot/{token}/retry/{job.id}").status_code == 400  # no token
    response = form_post(client, f"/snapshot/{token}/retry/{job.id}", {},
                         page_url=f"/snapshot/{token}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(JobRecord, job.id).state == JobState.DONE
    html = client.get(f"/snapshot/{token}").get_data(as_text=True)
    assert "85%" in html and f"/retry/{job.id}" not in html


def test_queued_job_is_shown_without_asking_redis(app, client):
    city = city_with_ict()
    [job] = db.session.execute(select(JobRecord)).scalars()
    job.state = JobState.QUEUED
    db.session.execute(scoring_service.CategoryScore.__table__.delete())
    db.session.commit()
    html = client.get(f"/snapshot/{snapshot_token(city)}").get_data(as_text=True)
    assert "queued" in html and 'id="scoring-jobs"' in html


def _collector(messages: list[str]):
    def collect(message) -> None:
        messages.append(message.text)

    return collect


@pytest.mark.browser
def test_demo_wheel_in_headless_chromium(sqlite_app):
    from werkzeug.serving import make_server

    from tests.browser import chromium_browser

    city = load_demo()
    token = snapshot_token(city)
    db.session.commit()  # release SQLite's write lock (BEGIN IMMEDIATE) for the server
    db.session.close()
    server = make_server("127.0.0.1", 0, sqlite_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}/snapshot/{token}"
    SCREENSHOTS.mkdir(exist_ok=True)
    try:
        with chromium_browser() as browser:
            for language, width in (("en", 1280), ("ar", 1280), ("en", 360), ("ar", 360)):
                page = browser.new_page(viewport={"width": width, "height": 900})
                problems: list[str] = []
                page.on("console", _collector(problems))
                page.goto(f"{base}?lang={language}")
                wheel = page.locator("svg.wheel")
                wheel.wait_for(timeout=10_000)
                # (On a phone the drawing is larger than its frame, which crops it to
                # the wheel and its category numbers.)
                box = page.locator("figure.snapshot-figure").bounding_box()
                assert box["width"] <= width and box["width"] > width * 0.5
                assert page.locator("svg.wheel .ring-items path").count() == 112
                direction = page.locator("html").get_attribute("dir")
                assert direction == ("rtl" if language == "ar" else "ltr")
                page.locator("figure.snapshot-figure").screenshot(
                    path=str(SCREENSHOTS / f"snapshot-wheel-{language}-{width}.png"))
                # The sub-dimension ring, and its scores in the list beside (or, on a
                # phone, under) the wheel.
                assert page.locator("svg.wheel .ring-sub-dimensions path").count() == 13
                assert page.locator(".score-list dt.score-sub").count() == 7
                page.locator("aside.snapshot-scores").screenshot(
                    path=str(SCREENSHOTS / f"snapshot-scores-{language}-{width}.png"))
                assert problems == []  # no CSP violations, no errors
                page.close()
    finally:
        server.shutdown()


def test_the_fingerprint_moves_with_everything_the_snapshot_shows(app):
    from intake.models import City
    from intake.services.values import reopen_category, store_provenance
    from intake.snapshot.cache import snapshot_state

    city = city_with_ict()  # complete: scored inline
    other = city_with_ict("Otherville")
    seen = [snapshot_state(city.id).fingerprint]
    other_before = snapshot_state(other.id).fingerprint

    def changed() -> bool:
        db.session.commit()
        now = snapshot_state(city.id).fingerprint
        moved = now != seen[-1]
        seen.append(now)
        return moved

    reopen_category(city.id, CATEGORY, actor="test")
    assert changed()
    set_city_values(city.id, {"hh_internet": 12_345}, actor="test")
    assert changed()
    store_provenance(city.id, {"EC: ICT: ICT: 1C": {"source": "census"}})
    assert changed()
    mark_category_complete(city.id, CATEGORY, actor="test")  # a new score and its job
    assert changed()
    job = db.session.execute(select(JobRecord).where(
        JobRecord.key.like(f"score:{city.id}:%"))).scalars().first()
    job.state = JobState.FAILED
    assert changed()
    db.session.get(City, city.id).name = "Renamed"
    assert changed()
    assert not changed()  # nothing happened: the same page may be sent again
    assert snapshot_state(other.id).fingerprint == other_before
    assert snapshot_state(city.id).access_key == db.session.get(City, city.id).access_key
    assert snapshot_state(10_000).access_key is None
