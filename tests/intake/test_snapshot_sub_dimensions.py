"""The sub-dimension ring of the City Snapshot wheel: one arc per run of a sub-dimension's
KPIs, coloured by its band, saying its score and "from N of M categories" when partial."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from intake.services import scoring as scoring_service
from intake.services.links import snapshot_token
from intake.snapshot.data import build_snapshot
from scoring.wheel import BAND_COLOURS, NO_DATA_COLOUR
from tests.intake.test_snapshot import SVG, city_with_ict


def _sub_ring(svg_bytes: bytes) -> list[tuple[str, str, str]]:
    root = ET.fromstring(svg_bytes)
    ring = next(g for g in root.iter(f"{SVG}g") if "ring-sub-dimensions" in g.get("class", ""))
    return [(path.get("data-sub-dimension"), path.get("fill"), path.find(f"{SVG}title").text)
            for path in ring.iter(f"{SVG}path")]


def _expected_runs(catalog) -> list[str]:
    """Sub-dimensions in wheel order, neighbours of the same sub-dimension merged."""
    runs: list[str] = []
    for dimension in catalog.dimensions:
        previous = None
        for category in catalog.categories_in(dimension.id):
            for kpi in catalog.kpis_in(category.id):
                for _item in kpi.items:
                    if kpi.sub_dimension != previous:
                        runs.append(kpi.sub_dimension)
                    previous = kpi.sub_dimension
    return runs


def test_every_sub_dimension_is_drawn_with_its_score_band_and_coverage(app, client):
    city = city_with_ict()  # ICT Infrastructure complete: 1 of ICT's 6 categories
    catalog = scoring_service.get_catalog()
    response = client.get(f"/snapshot/{snapshot_token(city)}/wheel.svg")
    assert response.status_code == 200
    ring = _sub_ring(response.data)
    assert [sub for sub, _fill, _title in ring] == _expected_runs(catalog)
    assert {sub for sub, _fill, _title in ring} == {s.id for s in catalog.sub_dimensions}

    snapshot = build_snapshot(city, "en", False)
    scores = {s["id"]: s for s in snapshot.sub_dimensions}
    ict = scores["ICT"]
    assert ict["band"] in BAND_COLOURS and ict["partial"]
    assert (ict["categories_scored"], ict["categories_total"]) == (1, 6)
    for sub, fill, title in ring:
        score = scores[sub]
        assert fill == (BAND_COLOURS[score["band"]] if score["band"] else NO_DATA_COLOUR)
        assert title.startswith(f"Sub-dimension: {score['label']}: ")
        if sub == "ICT":
            assert title == (f"Sub-dimension: ICT: {round(ict['percent'])}%"
                             " (from 1 of 6 categories)")
        else:  # nothing scored: no score, and no "from 0 of …"
            assert title.endswith(": –") and "from" not in title


def test_the_page_lists_sub_dimensions_under_the_wheel_with_partial_wording(app, client):
    city = city_with_ict()
    html = client.get(f"/snapshot/{snapshot_token(city)}").get_data(as_text=True)
    scores = html.split('class="score-list"', 1)[1].split("</dl>", 1)[0]
    catalog = scoring_service.get_catalog()
    for sub in catalog.sub_dimensions:
        assert f"Sub-dimension: {sub.name.get('en')}" in scores.replace("&#39;", "'")
    ict = scores.split("Sub-dimension: ICT", 1)[1].split("</dd>", 1)[0]
    assert "from 1 of 6 categories" in ict and "band-" in scores.split("Sub-dimension: ICT")[0]


def test_the_arabic_wheel_names_its_sub_dimensions_in_arabic(app, client):
    # First request of the test: the test app context keeps one language per test.
    city = city_with_ict()
    arabic = client.get(f"/snapshot/{snapshot_token(city)}/wheel.svg?lang=ar")
    titles = [title for _sub, _fill, title in _sub_ring(arabic.data)]
    assert len(titles) == 13
    assert all(title.startswith("البعد الفرعي") for title in titles), titles[:2]


def test_the_pdf_wheel_draws_the_sub_dimension_ring(app):
    from intake.snapshot.render import svg_text

    city = city_with_ict()
    for language, rtl in (("en", False), ("ar", True)):
        snapshot = build_snapshot(city, language, rtl)
        # The PDF embeds the shapes-only SVG; its labels are laid over it as HTML.
        shapes = svg_text(snapshot, standalone=True, with_text=False)
        assert len(_sub_ring(shapes.encode())) == len(snapshot.wheel.sub_dimensions) == 13
