"""Bounded work: a workbook bomb is refused from its directory, over-long figures are never
stored, an import's cells are capped."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models.values import DataValue, ValueAudit
from intake.services.cities import create_city
from intake.services.workbook import WorkbookError, export_xlsx, plan_import
from tests.reliability.helpers import DRAINAGE, open_workspace, post_step


def _bomb(unpacked: int = 94 * 1024 * 1024) -> bytes:
    """A real exported workbook whose sharedStrings part unpacks to `unpacked` bytes."""
    city = create_city(name="Bombtown", population=10_000)
    source = zipfile.ZipFile(io.BytesIO(export_xlsx(city.id)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for item in source.infolist():
            if item.filename != "xl/sharedStrings.xml":
                archive.writestr(item, source.read(item))
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
                       b'spreadsheetml/2006/main"><si><t>')
            chunk = b"A" * (1024 * 1024)
            for _ in range(unpacked // len(chunk)):
                part.write(chunk)
            part.write(b"</t></si></sst>")
    return out.getvalue()


def test_a_shared_strings_bomb_is_refused_before_parsing(app):
    data = _bomb()
    assert len(data) < 500 * 1024  # the probe's was 245 kB
    city = create_city(name="Target", population=10_000)
    tracemalloc.start()
    try:
        with pytest.raises(WorkbookError) as refused:
            plan_import(city.id, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "MB of text or cells once unpacked" in str(refused.value.text)
    assert peak < 20 * 1024 * 1024  # nothing was unpacked (the bomb is 94 MB)


def test_the_bomb_upload_gets_a_clear_message_in_the_users_language(app, client):
    data = _bomb(8 * 1024 * 1024)
    city = create_city(name="Upload", population=10_000, locale="fr")
    open_workspace(client, city)
    from tests.conftest import csrf_token_from

    page = client.get("/w/import", headers={"Accept-Language": "fr"})
    response = client.post("/w/import", headers={"Accept-Language": "fr"}, data={
        "csrf_token": csrf_token_from(page.data),
        "workbook": (io.BytesIO(data), "book.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Mo de texte ou de cellules" in response.get_data(as_text=True)


def test_a_sheet_claiming_thousands_of_columns_is_read_within_bounds(app):
    from openpyxl import load_workbook

    city = create_city(name="Wide", population=10_000)
    book = load_workbook(io.BytesIO(export_xlsx(city.id)))
    sheet = book.worksheets[0]
    sheet.cell(row=2, column=16_000, value="far away")
    out = io.BytesIO()
    book.save(out)
    plan = plan_import(city.id, out.getvalue())  # the far cell is simply not read
    assert plan.changes == []


def test_a_long_cell_value_is_a_problem_row_not_a_stored_value(app):
    from openpyxl import load_workbook

    from tests.intake.test_workbook import header_keys

    city = create_city(name="Longcell", population=10_000)
    book = load_workbook(io.BytesIO(export_xlsx(city.id)))
    for ws in book.worksheets:
        header = header_keys(ws)
        for row in ws.iter_rows(min_row=2):
            if row[header.index("data_point")].value == "dr_km":
                row[header.index("value")].value = "9" * 5_000
    out = io.BytesIO()
    book.save(out)
    plan = plan_import(city.id, out.getvalue())
    (problem,) = [p for p in plan.problems if p.data_point and p.data_point.id == "dr_km"]
    assert len(problem.new_text) <= 500 and not plan.changes


def test_a_450_kB_number_is_refused_and_never_stored(app, client):
    city = create_city(name="Hugenumber", population=10_000)
    open_workspace(client, city)
    response = post_step(client, DRAINAGE, 0, {"dp_dr_km": "1" * 450_000,
                                               "dp_dr_ict_km": "20"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing on this page was saved" in page
    assert "This is too long to be a number" in page
    assert len(page) < 400_000  # the text is not echoed back whole
    assert db.session.scalar(select(func.count()).select_from(DataValue).where(
        DataValue.city_id == city.id)) == 0
    assert db.session.scalar(select(func.max(func.length(ValueAudit.new_text)))) is None
    # A figure of normal length still saves.
    assert post_step(client, DRAINAGE, 0, {"dp_dr_km": "200",
                                           "dp_dr_ict_km": "20"}).status_code == 302
