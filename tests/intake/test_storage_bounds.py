"""Disk stays bounded: previewed imports are deleted, evidence has a per-city quota."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path

from intake.services.cities import create_city
from intake.services.evidence import EvidenceError, save_evidence
from intake.services.workbook import clean_pending, export_xlsx, keep_pending, load_pending
from tests.conftest import csrf_token_from
from tests.reliability.helpers import open_workspace

CSV = b"year,value\n2024,12\n"


def imports_folder(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"]) / "imports"


def test_a_new_preview_replaces_the_last_and_stale_ones_are_deleted(app):
    city = create_city(name="Previews", population=10_000)
    other = create_city(name="Other", population=10_000)
    tickets = [keep_pending(city.id, b"x" * 1000) for _ in range(50)]
    keep_pending(other.id, b"y")
    assert len(list(imports_folder(app).iterdir())) == 2  # one per city, not 51
    assert load_pending(city.id, tickets[-1]) == b"x" * 1000
    assert load_pending(city.id, tickets[0]) is None
    assert clean_pending() == 0  # fresh
    assert clean_pending(now=time.time() + 3601) == 2
    assert list(imports_folder(app).iterdir()) == []
    keep_pending(city.id, b"z")
    assert clean_pending(max_age=timedelta(0), now=time.time() + 1) == 1


def test_the_schedule_deletes_stale_previews(app):
    from intake.maintenance import delete_stale_imports
    from intake.schedule import PERIODIC

    assert delete_stale_imports in [task.function for task in PERIODIC]
    city = create_city(name="Scheduled", population=10_000)
    keep_pending(city.id, b"x")
    (path,) = imports_folder(app).iterdir()
    old = time.time() - 2 * 3600
    os.utime(path, (old, old))
    assert delete_stale_imports() == 1


def test_cancel_deletes_the_previewed_workbook(app, client):
    from openpyxl import load_workbook

    city = create_city(name="Canceller", population=10_000)
    open_workspace(client, city)
    book = load_workbook(io.BytesIO(export_xlsx(city.id)))
    from tests.intake.test_workbook import header_keys

    for ws in book.worksheets:
        header = header_keys(ws)
        for row in ws.iter_rows(min_row=2):
            if row[header.index("data_point")].value == "dr_km":
                row[header.index("value")].value = 200
    out = io.BytesIO()
    book.save(out)
    page = client.get("/w/import")
    preview = client.post("/w/import", data={"csrf_token": csrf_token_from(page.data),
                                             "workbook": (io.BytesIO(out.getvalue()),
                                                          "book.xlsx")},
                          content_type="multipart/form-data")
    assert preview.status_code == 200
    assert len(list(imports_folder(app).iterdir())) == 1
    html = preview.get_data(as_text=True)
    assert 'formaction="/w/import/cancel"' in html
    import re

    ticket = re.search(r'name="ticket" value="([0-9a-f]+)"', html).group(1)
    response = client.post("/w/import/cancel", data={"csrf_token": csrf_token_from(html),
                                                     "ticket": ticket})
    assert response.status_code == 302
    assert list(imports_folder(app).iterdir()) == []


def test_evidence_quota_per_city(app_factory, database_url, app):
    small = app_factory(database_url, EVIDENCE_QUOTA_FILES=3, EVIDENCE_QUOTA_BYTES=70)
    with small.app_context():
        city = create_city(name="Quota", population=10_000)
        other = create_city(name="Elsewhere", population=10_000)
        for number in range(2):
            save_evidence(city.id, "EC: ICT: ICT: 1C", f"f{number}.csv", io.BytesIO(CSV),
                          actor="t")
        try:
            save_evidence(city.id, "EC: ICT: ICT: 1C", "big.csv",
                          io.BytesIO(CSV * 3), actor="t")
        except EvidenceError as error:
            assert "storage is full" in str(error.text)
        else:
            raise AssertionError("the byte quota was not enforced")
        save_evidence(city.id, "EC: ICT: ICT: 1C", "f2.csv", io.BytesIO(CSV), actor="t")
        try:
            save_evidence(city.id, "EC: ICT: ICT: 1C", "f3.csv", io.BytesIO(CSV), actor="t")
        except EvidenceError as error:
            assert "at most 3 files" in str(error.text)
        else:
            raise AssertionError("the file quota was not enforced")
        # Another city's quota is its own.
        save_evidence(other.id, "EC: ICT: ICT: 1C", "f.csv", io.BytesIO(CSV), actor="t")
        assert len(list(Path(small.config["UPLOAD_FOLDER"]).glob("*.csv"))) == 4
