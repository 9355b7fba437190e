"""Data origin per value (who produced the figure), in the wizard, the API, the workbook, the
exports and the verifier's view; unknown codes are refused with a translated finding."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from forms.origins import OriginsError, build_origins, load_origins, origin_codes, read_origin
from intake.services import values as value_service
from intake.services.cities import create_city
from intake.services.exports import export_csv, export_json
from intake.services.workbook import apply_import, export_xlsx, plan_import
from tests.intake.test_api_auth import bearer, staff_with_token
from tests.intake.test_verification import as_verifier, world  # noqa: F401
from tests.intake.test_wizard import ICT, open_workspace, post_step, stored
from tests.intake.test_workbook import header_keys, rows_of

ITEM = "EC: ICT: ICT: 1C"
TICK = "kpi_ec_ict_ict_1c__direct"
RESULT = "res_EC_ICT_ICT_1C"
HOSTILE = ['<script>alert(1)</script>', "=HYPERLINK(\"http://evil\")", "city\x00",
           "ﷺ" * 5_000, "city;DROP TABLE data_value", "CITY"]


@pytest.fixture
def city(app):
    return create_city(name="Stepford", population=50_000, focal_point_email="fp@example.org")


def selected(html: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|'
                       r'<option[^>]*value="([^"]*)"[^>]*selected', select.group(1))
    return None if chosen is None else (chosen.group(1) or chosen.group(2) or "")


# ------------------------------------------------------------------------------ the list
def test_the_origins_are_data_with_stable_codes():
    assert origin_codes() == ("city", "statistics_office", "other_organisation")
    assert all(origin.label for origin in load_origins())
    assert read_origin(" statistics_office ") == ("statistics_office", True)
    assert read_origin("") == (None, True) and read_origin(None) == (None, True)
    assert read_origin("accurate") == (None, False)  # a quality tier is no origin
    for bad in ({"origins": []}, {"origins": [{"code": "A b", "label": "x"}]},
                {"origins": [{"code": "a", "label": "x"}, {"code": "a", "label": "y"}]},
                {"origins": [{"code": "a", "label": " "}]}, []):
        with pytest.raises(OriginsError):
            build_origins(bad)


# ------------------------------------------------------------------------------ wizard
def test_wizard_offers_the_origin_beside_each_figure_and_keeps_it(client, city):
    open_workspace(client, city)
    page = client.get(f"/w/c/{ICT}/1").text
    assert "Data origin" in page and "A national or regional statistics office" in page
    assert selected(page, "dp_hh_internet__origin") == ""
    saved = post_step(client, ICT, 1, {"dp_hh_internet": "15 000",
                                       "dp_hh_internet__origin": "statistics_office"},
                      action="save")
    assert saved.status_code == 302
    assert stored(city, "hh_internet").origin == "statistics_office"
    page = client.get(f"/w/c/{ICT}/1").text
    assert selected(page, "dp_hh_internet__origin") == "statistics_office"
    # A forged code is not a choice the page offers: nothing is stored for it, the figure is.
    post_step(client, ICT, 1, {"dp_hh_internet": "16 000",
                               "dp_hh_internet__origin": HOSTILE[0]}, action="save")
    row = stored(city, "hh_internet")
    assert row.raw_text == "16 000" and row.origin is None


def test_wizard_in_arabic_labels_the_origins(client, city):
    open_workspace(client, city, lang="ar")
    page = client.get(f"/w/c/{ICT}/1").text
    assert 'name="dp_hh_internet__origin"' in page and 'dir="rtl"' in page


def test_a_direct_result_has_its_own_origin(client, city):
    from tests.intake.test_wizard_direct import step_of

    open_workspace(client, city)
    index = step_of(ITEM)
    post_step(client, ICT, index, {TICK: "y", RESULT: "92.4",
                                   RESULT + "__origin": "other_organisation"}, action="save")
    assert stored(city, "result:" + ITEM).origin == "other_organisation"
    page = client.get(f"/w/c/{ICT}/{index}").text
    assert selected(page, RESULT + "__origin") == "other_organisation"


# ------------------------------------------------------------------------------ API
def test_api_reads_and_writes_the_origin_of_a_value(client, city):
    token = staff_with_token()[1]
    url = f"/api/v1/cities/{city.id}/values/hh_total"
    first = client.get(url, headers=bearer(token))
    assert first.get_json()["origin"] is None
    written = client.put(url, json={"value": 20_000, "origin": "city"},
                         headers={**bearer(token), "If-Match": first.headers["ETag"]})
    assert written.status_code == 200, written.text
    assert written.get_json()["origin"] == "city"
    # Left out of a write, the origin stays.
    again = client.put(url, json={"value": 21_000},
                       headers={**bearer(token), "If-Match": written.headers["ETag"]})
    assert again.status_code == 200 and again.get_json()["origin"] == "city"
    listed = client.get(f"/api/v1/cities/{city.id}/values", headers=bearer(token)).get_json()
    assert next(v for v in listed["values"] if v["data_point_id"] == "hh_total")["origin"] \
        == "city"
    cleared = client.put(url, json={"value": 21_000, "origin": None},
                         headers={**bearer(token), "If-Match": again.headers["ETag"]})
    assert cleared.status_code == 200 and cleared.get_json()["origin"] is None


@pytest.mark.parametrize("code", HOSTILE)
def test_api_refuses_an_unknown_origin_and_changes_nothing(client, city, code):
    token = staff_with_token()[1]
    value_service.set_city_values(city.id, {"hh_total": 20_000}, actor="city",
                                  origins={"hh_total": "city"})
    url = f"/api/v1/cities/{city.id}/values/hh_total"
    etag = client.get(url, headers=bearer(token)).headers["ETag"]
    refused = client.put(url, json={"value": 30_000, "origin": code},
                         headers={**bearer(token), "If-Match": etag})
    assert refused.status_code == 422
    found = refused.get_json()["errors"]["origin"]
    assert len(found) == 1 and "is not a data origin" in found[0]
    assert "statistics_office" in found[0] and len(found[0]) < 300  # the code shown cut
    row = stored(city, "hh_total")
    assert row.number == 20_000 and row.origin == "city"


def test_api_results_carry_an_origin_and_refuse_unknown_ones(client, city):
    token = staff_with_token()[1]
    url = f"/api/v1/cities/{city.id}/results/{quote(ITEM, safe='')}"
    etag = client.get(url, headers=bearer(token)).headers["ETag"]
    refused = client.put(url, json={"value": 90, "origin": "accurate"},
                         headers={**bearer(token), "If-Match": etag})
    assert refused.status_code == 422 and "accurate" in refused.text
    assert stored(city, "result:" + ITEM) is None
    written = client.put(url, json={"value": 90, "origin": "statistics_office"},
                         headers={**bearer(token), "If-Match": etag})
    assert written.status_code == 200, written.text
    assert written.get_json()["origin"] == "statistics_office"
    assert client.get(url, headers=bearer(token)).get_json()["origin"] == "statistics_office"


def test_openapi_documents_the_origin(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    assert "origin" in schemas["Value"]["properties"]
    assert "origin" in schemas["Result"]["properties"]


# ------------------------------------------------------------------------------ workbook
def _edit(data: bytes, dp_id: str, **columns) -> bytes:
    book = load_workbook(io.BytesIO(data))
    for ws in book.worksheets:
        header = header_keys(ws)
        for row in ws.iter_rows(min_row=2):
            if row[header.index("data_point")].value == dp_id:
                for column, value in columns.items():
                    row[header.index(column)].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_workbook_has_an_origin_column_beside_quality_with_a_dropdown(app, city):
    value_service.set_city_values(city.id, {"hh_internet": 6_000}, actor="city",
                                  origins={"hh_internet": "statistics_office"})
    book = load_workbook(io.BytesIO(export_xlsx(city.id)))
    ws = book.worksheets[1]
    header = header_keys(ws)
    assert header.index("origin") == header.index("quality_tier") + 1
    assert rows_of(book)["hh_internet"][2]["origin"] == "statistics_office"
    checks = ws.data_validations.dataValidation
    assert len(checks) == 1 and checks[0].type == "list"
    assert checks[0].formula1 == '"city,statistics_office,other_organisation"'
    column = "ABCDEFGHIJKLM"[header.index("origin")]
    assert str(checks[0].sqref).startswith(f"{column}2:{column}")
    assert "statistics_office: A national or regional statistics office" in checks[0].prompt


def test_import_reads_the_origin_by_code_or_label_and_refuses_unknown_ones(app, city):
    value_service.set_city_values(city.id, {"hh_internet": 6_000, "hh_total": 8_000},
                                  actor="city")
    data = export_xlsx(city.id)
    # The figure unchanged, its origin given: applied on its own.
    plan = plan_import(city.id, _edit(data, "hh_internet", origin="statistics_office"))
    assert plan.origins == {"hh_internet": "statistics_office"} and not plan.problems
    apply_import(city.id, _edit(data, "hh_internet", origin="statistics_office"), actor="x")
    assert stored(city, "hh_internet").origin == "statistics_office"
    # A label as the dropdown's message gives it (in any of the six languages), any case.
    label = "  THE CITY administration's own records "
    apply_import(city.id, _edit(export_xlsx(city.id), "hh_total", value=9_000, origin=label),
                 actor="x")
    assert stored(city, "hh_total").origin == "city" and stored(city, "hh_total").number == 9000
    # Unknown or hostile: the row is not taken, and the finding says why.
    for code in (HOSTILE[0], HOSTILE[3][:500], HOSTILE[4], "accurate"):
        plan = plan_import(city.id, _edit(export_xlsx(city.id), "hh_total", value=9_500,
                                          origin=code))
        assert not plan.changes and not plan.origins
        assert len(plan.problems) == 1
        assert "is not a data origin" in str(plan.problems[0].skipped_reason)
    # Emptied: the origin is cleared.
    apply_import(city.id, _edit(export_xlsx(city.id), "hh_total", origin=None), actor="x")
    assert stored(city, "hh_total").origin is None


def test_import_page_applies_an_origin_only_change(client, city):
    from tests.conftest import csrf_token_from

    value_service.set_city_values(city.id, {"hh_internet": 6_000}, actor="city")
    open_workspace(client, city)
    page = client.get("/w/import").text
    data = _edit(export_xlsx(city.id), "hh_internet", origin="city")
    preview = client.post("/w/import", data={
        "csrf_token": csrf_token_from(page), "workbook": (io.BytesIO(data), "book.xlsx")},
        content_type="multipart/form-data")
    assert preview.status_code == 200 and "1 data origin would change." in preview.text
    ticket = re.search(r'name="ticket" value="([^"]+)"', preview.text).group(1)
    applied = client.post("/w/import/apply", data={"csrf_token": csrf_token_from(preview.text),
                                                    "ticket": ticket})
    assert applied.status_code == 302
    assert stored(city, "hh_internet").origin == "city"


def test_city_csv_and_json_exports_carry_the_code(client, city):
    value_service.set_city_values(city.id, {"hh_internet": 6_000}, actor="city",
                                  origins={"hh_internet": "other_organisation"})
    open_workspace(client, city)
    rows = list(csv.DictReader(io.StringIO(client.get("/w/export.csv").text)))
    assert next(r for r in rows if r["data_point"] == "hh_internet")["origin"] == \
        "other_organisation"
    values = json.loads(client.get("/w/export.json").text)["values"]
    assert next(v for v in values if v["data_point"] == "hh_internet")["origin"] == \
        "other_organisation"


def test_exports_of_all_cities_carry_the_origin(app, city):
    value_service.set_city_values(city.id, {"hh_internet": 6_000}, actor="city",
                                  origins={"hh_internet": "city"})
    rows = list(csv.DictReader(io.StringIO(export_csv().decode("utf-8-sig"))))
    assert next(r for r in rows if r["data_point"] == "hh_internet")["origin"] == "city"
    assert next(r for r in rows if r["data_point"] == "hh_total")["origin"] == ""
    values = json.loads(export_json())["cities"][0]["values"]
    assert next(v for v in values if v["data_point"] == "hh_internet")["origin"] == "city"


# ------------------------------------------------------------------------------ verifier
def test_the_verifier_sees_each_figures_origin(app, client, world):  # noqa: F811
    mine = world["mine"]
    value_service.reopen_category(mine.id, ICT, actor="t")
    value_service.set_city_values(mine.id, {"hh_internet": 41_000}, actor="city",
                                  origins={"hh_internet": "statistics_office"})
    value_service.mark_category_complete(mine.id, ICT, actor="t")
    as_verifier(client)
    page = client.get(f"/staff/verify/{mine.id}/c/{ICT}").text
    assert "Origin: A national or regional statistics office" in page
