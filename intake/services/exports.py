"""Every city's data in one file (CSV, XLSX or JSON) for the secretariat, with versions.

Each row is one data point of one city, as the per-city workbook export lays it out
(intake.services.workbook.export_rows), prefixed with the city and followed by the catalog
and benchmark versions, so a figure is always traceable to the definitions it was
collected against. Text that a spreadsheet would run as a formula stays text.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from intake.extensions import db
from intake.models._types import utcnow
from intake.models.city import City, ProgrammeStage
from intake.services import values as value_service
from intake.services.workbook import _FORMULA_START, COLUMNS, _csv_safe, export_rows

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
CITY_COLUMNS = ("city_id", "city_name", "country", "stage", "sheet")
VERSION_COLUMNS = ("catalog_version", "benchmark_version")
ALL_COLUMNS = (*CITY_COLUMNS, *COLUMNS, *VERSION_COLUMNS)


@dataclass(frozen=True)
class Export:
    body: bytes
    media_type: str
    filename: str


def _versions() -> dict[str, str]:
    book = value_service.catalog()
    return {"catalog_version": book.version, "benchmark_version": book.benchmark_version}


def _cities() -> list[City]:
    return list(db.session.execute(select(City).order_by(City.name, City.id)).scalars())


def city_rows(lang: str = "en") -> list[dict[str, Any]]:
    """One dict per (city, data point), in ALL_COLUMNS order."""
    versions = _versions()
    rows = []
    for city in _cities():
        prefix = {"city_id": city.id, "city_name": city.name, "country": city.country or "",
                  "stage": str(ProgrammeStage(city.stage))}
        for sheet, data in export_rows(city.id, lang):
            rows.append({**prefix, "sheet": sheet, **data, **versions})
    return rows


def export_csv(lang: str = "en") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ALL_COLUMNS)
    for row in city_rows(lang):
        writer.writerow([_csv_safe(row[column]) for column in ALL_COLUMNS])
    # A byte-order mark lets Excel open UTF-8 (Arabic, Chinese names) correctly.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _append_as_text(sheet, values: list[Any]) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(_FORMULA_START):
            # openpyxl turns "=…" into a formula; the data type "s" keeps it a string.
            cell.data_type = "s"


def export_xlsx(lang: str = "en", *, now: datetime | None = None) -> bytes:
    versions = _versions()
    book = Workbook()
    about = book.active
    about.title = "About"
    for label, value in (("export", "U4SSC Intake: all cities' data"),
                         ("catalog_version", versions["catalog_version"]),
                         ("benchmark_version", versions["benchmark_version"]),
                         ("generated_at", (now or utcnow()).isoformat(timespec="seconds")),
                         ("language", lang)):
        _append_as_text(about, [label, value])
    data = book.create_sheet("Data")
    data.append(list(ALL_COLUMNS))
    for cell in data[1]:
        cell.font = Font(bold=True)
    data.freeze_panes = "A2"
    for row in city_rows(lang):
        _append_as_text(data, [row[column] for column in ALL_COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_json(lang: str = "en", *, now: datetime | None = None) -> bytes:
    versions = _versions()
    cities = []
    for city in _cities():
        states = value_service.category_states(city.id)
        cities.append({
            "id": city.id, "name": city.name, "country": city.country,
            "population": city.population, "economy": city.economy, "package": city.package,
            "stage": str(ProgrammeStage(city.stage)),
            "categories": {cid: state.status for cid, state in sorted(states.items())},
            "values": [{"sheet": sheet, **data} for sheet, data in export_rows(city.id, lang)],
        })
    payload = {**versions, "generated_at": (now or utcnow()).isoformat(timespec="seconds"),
               "language": lang, "cities": cities}
    return json.dumps(payload, ensure_ascii=False, indent=1, default=str).encode("utf-8")


def export_all(fmt: str, lang: str = "en") -> Export:
    """The export in one of FORMATS; ValueError for another format."""
    builders = {"csv": export_csv, "xlsx": export_xlsx, "json": export_json}
    if fmt not in builders:
        raise ValueError(f"unknown export format {fmt!r}")
    stamp = utcnow().strftime("%Y%m%d")
    return Export(body=builders[fmt](lang), media_type=FORMATS[fmt],
                  filename=f"u4ssc-cities-{stamp}.{fmt}")
