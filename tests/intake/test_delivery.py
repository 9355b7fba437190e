"""Delivery on a slow line: compression, hashed static files cached for a year, Vary."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest
from flask import Response, stream_with_context

from intake.assets import file_hashes
from tests.intake.test_api_auth import bearer, staff_with_token
from tests.intake.test_api_values import DP, url
from tests.intake.test_api_values import city as city  # noqa: F401,PLC0414  (fixture)

GZIP = {"Accept-Encoding": "gzip"}
BROTLI = {"Accept-Encoding": "br, gzip"}


def stylesheet_url(html: str) -> str:
    return re.search(r'href="([^"]*css/portal\.css[^"]*)"', html).group(1)


def test_pages_are_compressed_with_brotli_or_gzip(sqlite_app):
    client = sqlite_app.test_client()
    plain = client.get("/").get_data()
    zipped = client.get("/", headers=GZIP)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()) == plain
    assert len(zipped.get_data()) < len(plain) / 2
    squeezed = client.get("/", headers=BROTLI)
    assert squeezed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(squeezed.get_data()) == plain
    assert "Accept-Encoding" in squeezed.headers["Vary"]


def test_stylesheet_script_and_svg_are_compressed(sqlite_app):
    client = sqlite_app.test_client()
    for path in ("/static/css/portal.css", "/static/js/assistant.js", "/static/js/wizard.js"):
        response = client.get(path, headers=GZIP)
        body = response.get_data()
        response.close()
        assert response.headers.get("Content-Encoding") == "gzip", path
        original = Path(sqlite_app.static_folder, path.removeprefix("/static/")).read_bytes()
        assert len(body) < 0.6 * len(original), path


def test_tiny_responses_are_left_alone(sqlite_app):
    response = sqlite_app.test_client().get("/static/favicon.svg", headers=GZIP)
    response.close()
    assert "Content-Encoding" not in response.headers  # 252 bytes: not worth it


def test_a_streamed_response_still_streams(app_factory, sqlite_database_url):
    app = app_factory(sqlite_database_url)
    produced: list[int] = []
    rows_total = 1000

    @app.get("/test-stream")
    def stream():
        def rows():
            for number in range(rows_total):
                produced.append(number)
                yield f"{number}," + "text " * 100 + "\n"
        return Response(stream_with_context(rows()), mimetype="text/csv")

    response = app.test_client().get("/test-stream", headers=BROTLI, buffered=False)
    assert response.is_streamed and "Content-Length" not in response.headers
    chunks = iter(response.response)
    first = next(chunks)
    # The first row leaves before the last one is made: the export starts at once and is
    # never held whole in memory.
    assert first.startswith(b"0,") and len(produced) < 5
    rest = b"".join(chunks)
    response.close()
    assert (first + rest).count(b"\n") == rows_total


def test_compressed_etag_gives_304_and_if_match_still_writes(app, client, city):  # noqa: F811
    token = staff_with_token()[1]
    listing = f"/api/v1/cities/{city.id}/values"
    first = client.get(listing, headers={**bearer(token), **GZIP})
    assert first.headers["Content-Encoding"] == "gzip"
    etag = first.headers["ETag"]
    assert etag.endswith(':gzip"')
    again = client.get(listing, headers={**bearer(token), **GZIP, "If-None-Match": etag})
    assert again.status_code == 304
    # A client that read a compressed value sends the suffixed ETag back in If-Match.
    read = client.get(url(city), headers=bearer(token)).headers["ETag"]
    suffixed = read[:-1] + ':br"'
    written = client.put(url(city), headers={**bearer(token), "If-Match": suffixed},
                         json={"value": 31_000})
    assert written.status_code == 200, written.text
    assert written.get_json()["value"] == 31_000 and DP in url(city)


def test_static_files_are_linked_by_content_hash_and_cached_for_a_year(sqlite_app):
    client = sqlite_app.test_client()
    href = stylesheet_url(client.get("/").text)
    digest = file_hashes(sqlite_app.static_folder)["css/portal.css"]
    assert href == f"/static/css/portal.css?v={digest}"
    response = client.get(href)
    response.close()
    cache = response.headers["Cache-Control"]
    assert "immutable" in cache and "max-age=31536000" in cache and "public" in cache
    assert "no-cache" not in cache and "Cookie" not in response.headers.get("Vary", "")


@pytest.mark.parametrize("query", ["", "?v=0123456789ab"])
def test_unhashed_or_stale_static_urls_are_revalidated(sqlite_app, query):
    response = sqlite_app.test_client().get("/static/css/portal.css" + query)
    response.close()
    assert response.status_code == 200
    assert "immutable" not in response.headers.get("Cache-Control", "")
    assert "no-cache" in response.headers.get("Cache-Control", "")


def test_hash_changes_with_the_file(tmp_path):
    (tmp_path / "css").mkdir()
    sheet = tmp_path / "css" / "a.css"
    sheet.write_text("body { color: red }")
    before = file_hashes(tmp_path)["css/a.css"]
    sheet.write_text("body { color: blue }")
    assert file_hashes(tmp_path)["css/a.css"] != before


def test_pages_in_the_visitors_language_vary_by_language_and_cookie(sqlite_app):
    client = sqlite_app.test_client()
    french = client.get("/", headers={"Accept-Language": "fr"})
    assert 'lang="fr"' in french.text
    assert {"Accept-Language", "Cookie"} <= set(french.headers["Vary"].split(", "))
    client.set_cookie("lang", "ar")
    arabic = client.get("/", headers={"Accept-Language": "fr"})
    assert 'lang="ar"' in arabic.text
    assert {"Accept-Language", "Cookie"} <= set(arabic.headers["Vary"].split(", "))


def test_a_language_in_the_address_does_not_vary_by_accept_language(sqlite_app):
    response = sqlite_app.test_client().get("/?lang=es", headers={"Accept-Language": "fr"})
    assert 'lang="es"' in response.text
    assert "Accept-Language" not in response.headers.get("Vary", "")
