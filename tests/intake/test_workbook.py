"""The XLSX round trip (export, dry-run import, apply), CSV and JSON exports, hostile files."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from openpyxl import load_workbook

from intake.services.cities import create_city
from intake.services.links import workspace_token
from intake.services.values import (
    get_city_values,
    mark_category_complete,
    provenance_rows,
    set_city_values,
)
from intake.services.workbook import (
    WorkbookError,
    apply_import,
    export_csv,
    export_json,
    export_xlsx,
    plan_import,
)
from intake.services.workbook.layout import _header_keys
from tests.conftest import csrf_token_from


@pytest.fixture
def city(app):
    city = create_city(name="Sheetham", population=40_000)
    set_city_values(city.id, {"hh_total": 10_000, "hh_internet": 6_000, "pop": 40_000},
                    actor="seed", provenance={"EC: ICT: ICT: 1C": {
                        "quality_tier": "accurate", "source": "=HYPERLINK(\"http://x\")",
                        "reference_year": 2024}})
    return city


def header_keys(ws) -> list:
    """The column keys of a sheet whose headers are in the city's language."""
    keys = _header_keys()
    return [keys.get(str(c.value).casefold(), c.value) for c in ws[1]]


def rows_of(book):
    found = {}
    for ws in book.worksheets:
        header = header_keys(ws)
        for row in ws.iter_rows(min_row=2, values_only=True):
            data = dict(zip(header, row, strict=False))
            found[data["data_point"]] = (ws.title, ws, data)
    return found


def edit(data: bytes, changes: dict[str, object]) -> bytes:
    book = load_workbook(io.BytesIO(data))
    for ws in book.worksheets:
        header = header_keys(ws)
        col = header.index("value") + 1
        na_col = header.index("not_available") + 1
        for row in ws.iter_rows(min_row=2):
            dp_id = row[header.index("data_point")].value
            if dp_id in changes:
                if changes[dp_id] == "n/a":
                    ws.cell(row=row[0].row, column=na_col, value="yes")
                else:
                    ws.cell(row=row[0].row, column=col, value=changes[dp_id])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_export_has_sheets_per_dimension_units_provenance_and_no_formulas(city):
    data = export_xlsx(city.id)
    book = load_workbook(io.BytesIO(data))
    assert [ws.title[:2] for ws in book.worksheets] == ["Ci", "EC", "EN", "SC"]
    rows = rows_of(book)
    assert rows["hh_internet"][2]["value"] == 6000
    assert rows["hh_internet"][2]["unit"] == "number"
    assert rows["hh_internet"][2]["quality_tier"] == "accurate"
    assert rows["pop"][0] == "City"
    # The injected "=HYPERLINK(...)" is text, never a formula.
    assert rows["hh_internet"][2]["source"] == '=HYPERLINK("http://x")'
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert all(b"<f>" not in archive.read(n) for n in sheets)
    from forms.catalog.loading import load_catalog

    catalog = load_catalog()
    every = {dp.id for kpi in catalog.kpis for dp in kpi.data_points}
    results = {item.result_key for item in catalog.scored_items()}
    assert len(results) == 112
    # One row per data point, and one per scored item for a result reported directly.
    assert set(rows) == every | results


def test_csv_and_json_exports(city):
    text = export_csv(city.id)
    assert text.splitlines()[0].startswith("sheet,kpi_code,")
    assert "'=HYPERLINK" in text  # neutralised for spreadsheets
    payload = json.loads(export_json(city.id))
    assert payload["city"]["name"] == "Sheetham"
    hh = next(v for v in payload["values"] if v["data_point"] == "hh_internet")
    assert hh["value"] == 6000


def test_round_trip_dry_run_then_apply(city):
    data = edit(export_xlsx(city.id), {"hh_internet": 7000, "wifi_hotspots": "1 250",
                                        "dr_km": "n/a", "fbb_subs": "lots"})
    plan = plan_import(city.id, data)
    changed = {c.data_point.id: (c.old_text, c.new_text) for c in plan.changes}
    assert changed == {"hh_internet": ("6000", "7000"), "wifi_hotspots": ("", "1 250"),
                       "dr_km": ("", "n/a")}
    assert [p.data_point.id for p in plan.problems] == ["fbb_subs"]
    assert plan.problems[0].errors[0].id == "not_a_number"
    assert get_city_values(city.id)["hh_internet"] == 6000  # dry run wrote nothing
    apply_import(city.id, data, actor="importer")
    values = get_city_values(city.id)
    assert values["hh_internet"] == 7000 and values["wifi_hotspots"] == 1250
    assert values["dr_km"] is None
    assert provenance_rows(city.id)["EC: ICT: ICT: 1C"].quality_tier == "accurate"


def test_import_refuses_rule_breaking_values_and_complete_categories(app, city):
    mark_category_complete(city.id, "ec-drainage", actor="t")
    data = edit(export_xlsx(city.id), {"hh_internet": 50_000, "dr_km": 5,
                                        "swt_landfill": 140})
    plan = plan_import(city.id, data)
    reasons = {p.data_point.id: ([e.id for e in p.errors], p.skipped_reason) for p in plan.problems}
    assert reasons["hh_internet"][0] == ["part_exceeds_total"]
    assert reasons["swt_landfill"][0] == ["percent_over_100"]
    with app.test_request_context():  # the reason is translated when shown
        assert "complete" in str(reasons["dr_km"][1])
    assert plan.changes == []


@pytest.mark.parametrize("payload", [
    b"not a zip at all",
    b"%PDF-1.4 pretending",
    b"PK\x03\x04 broken zip",
])
def test_non_xlsx_files_are_refused(city, payload):
    with pytest.raises(WorkbookError):
        plan_import(city.id, payload)


def test_zip_bomb_is_refused(city):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (120 * 1024 * 1024))
    assert len(out.getvalue()) < 1024 * 1024
    with pytest.raises(WorkbookError):
        plan_import(city.id, out.getvalue())


def test_oversize_is_refused(city):
    with pytest.raises(WorkbookError):
        plan_import(city.id, b"PK\x03\x04" + b"\x00" * (6 * 1024 * 1024))


def test_import_pages_preview_then_apply(app, client, city):
    from intake.services.links import workspace_token

    client.get(f"/w/{workspace_token(city)}")
    page = client.get("/w/import").text
    data = edit(export_xlsx(city.id), {"hh_internet": 6500})
    preview = client.post("/w/import", data={
        "csrf_token": csrf_token_from(page), "workbook": (io.BytesIO(data), "city.xlsx")},
        content_type="multipart/form-data")
    assert preview.status_code == 200
    assert "1 value would change" in preview.text and "6500" in preview.text
    assert get_city_values(city.id)["hh_internet"] == 6000
    ticket = preview.text.split('name="ticket" value="')[1].split('"')[0]
    done = client.post("/w/import/apply", data={"csrf_token": csrf_token_from(preview.text),
                                                "ticket": ticket}, follow_redirects=True)
    assert "1 value was updated" in done.text
    assert get_city_values(city.id)["hh_internet"] == 6500
    wrong = client.post("/w/import", data={
        "csrf_token": csrf_token_from(page),
        "workbook": (io.BytesIO(b"\x89PNG\r\n\x1a\n...."), "photo.xlsx")},
        content_type="multipart/form-data")
    assert wrong.status_code == 400 and "not an Excel workbook" in wrong.text
    with client.get("/w/export.xlsx") as download:
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert download.data.startswith(b"PK")


def test_previous_year_values_feed_the_large_change_warning(app, city):
    from intake.services.wizard.checks import check_step
    from intake.services.wizard.drafts import StepInput
    from intake.services.wizard.steps import get_step

    data = export_xlsx(city.id)
    book = load_workbook(io.BytesIO(data))
    for ws in book.worksheets:
        header = header_keys(ws)
        for row in ws.iter_rows(min_row=2):
            if row[header.index("data_point")].value == "wifi_hotspots":
                row[header.index("previous_year_value")].value = 100
    out = io.BytesIO()
    book.save(out)
    plan = apply_import(city.id, out.getvalue(), actor="importer")
    assert plan.previous == {"wifi_hotspots": 100.0}
    step = get_step("ec-ict-infrastructure", 5)
    submitted = StepInput(values={"wifi_hotspots": {"text": "420"}})
    checked = check_step(city.id, step, submitted, "en")
    assert [m.id for m in checked.findings["wifi_hotspots"]] == ["large_change"]
    assert checked.unjustified == {"wifi_hotspots"}
    rows = rows_of(load_workbook(io.BytesIO(export_xlsx(city.id))))
    assert rows["wifi_hotspots"][2]["previous_year_value"] == 100


def test_sheets_and_headers_are_in_the_citys_language_and_such_a_workbook_imports(app, client):
    city = create_city(name="Lyonnaise", population=40_000, locale="fr")
    set_city_values(city.id, {"hh_total": 10_000, "hh_internet": 6_000}, actor="seed")
    assert client.get(f"/w/{workspace_token(city)}").status_code == 302
    with client.get("/w/export.xlsx?lang=en") as download:
        book = load_workbook(io.BytesIO(download.data))
    first = book.worksheets[0]
    assert first.title == "Ville"
    headers = [c.value for c in first[1]]
    assert "Valeur" in headers and "value" not in headers
    plan = plan_import(city.id, edit(download.data, {"hh_internet": 7000}), locale="fr")
    assert [(c.data_point.id, c.new_text) for c in plan.changes] == [("hh_internet", "7000")]


def test_results_reported_directly_round_trip_with_the_same_checks(app, city):
    from intake.services.scoring import current_payload
    from scoring.jobs import score_category

    data = export_xlsx(city.id)
    rows = rows_of(load_workbook(io.BytesIO(data)))
    assert "result:EC: ICT: ICT: 1C" in rows and "result:EC: ICT: ICT: 4C#cov_3g" in rows
    plan = plan_import(city.id, edit(data, {"result:EC: ICT: ICT: 1C": 140,
                                            "result:EC: ICT: ICT: 4C#cov_3g": "95 %"}))
    found = {c.data_point.id: [m.id for m in c.errors] for c in plan.problems}
    assert found["result:EC: ICT: ICT: 1C"] == ["percent_over_100"]
    assert "result:EC: ICT: ICT: 4C#cov_3g" not in found  # "95 %" in a percent field is 95
    apply_import(city.id, edit(data, {"result:EC: ICT: ICT: 1C": 92.4}), actor="import")
    assert get_city_values(city.id)["result:EC: ICT: ICT: 1C"] == 92.4
    result = score_category(current_payload(city.id, "ec-ict-infrastructure"))
    item = next(i for i in result["items"] if i["id"] == "EC: ICT: ICT: 1C")
    assert (item["value"], item["reported_directly"], item["computed_value"]) == (92.4, True, 60)
    exported = rows_of(load_workbook(io.BytesIO(export_xlsx(city.id))))
    assert exported["result:EC: ICT: ICT: 1C"][2]["value"] == 92.4
