"""Long pages fold by dimension behind a table of contents, and are open without JavaScript."""

from __future__ import annotations

import re
from pathlib import Path

from intake.services.links import snapshot_token, workspace_token
from tests.intake.test_snapshot import city_with_ict


def test_snapshot_has_contents_and_open_sections_per_dimension(app, client):
    city = city_with_ict()
    page = client.get(f"/snapshot/{snapshot_token(city)}").text
    toc = re.search(r'<nav class="page-toc".*?</nav>', page, re.S).group(0)
    targets = re.findall(r'href="#(dimension-[^"]+)"', toc)
    assert len(targets) == page.count('<details class="dimension-details" open>') >= 3
    for target in targets:
        assert f'id="{target}"' in page
    # Each table scrolls on a phone: reachable by keyboard and named with its dimension.
    scrolls = re.findall(r'<div class="table-scroll"[^>]*>', page)
    assert scrolls and all('tabindex="0"' in s and "aria-labelledby" in s for s in scrolls)
    # The script that opens a section named in the address comes with the page (inline, so
    # a cold visit on a slow line is one request).
    sections = (Path(app.static_folder) / "js" / "sections.js").read_text(encoding="utf-8")
    assert sections.strip() in page


def test_factsheet_names_each_category_with_its_dimension(app, client):
    city = city_with_ict()
    client.get(f"/w/{workspace_token(city)}")
    page = client.get("/w/factsheet").text
    assert page.count('<details class="dimension-details" open>') >= 3
    labelled = re.findall(r'<section class="card factsheet-category"[^>]*aria-labelledby="([^"]+)"',
                          page)
    assert labelled and len(set(labelled)) == len(labelled)
    assert all(label.split()[0].startswith("fs-dim-name-") for label in labelled)
