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
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select, tuple_

from intake.extensions import db
from intake.models._types import utcnow
from intake.models.city import City, ProgrammeStage
from intake.services import values as value_service
from intake.services.datapoint_checks import checks_for_export, verdicts_for_export
from intake.services.workbook.layout import _NOT_XML, COLUMNS, _csv_safe, export_rows_from

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "jsonl": "application/jsonl",
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


BATCH = 200


class _Value(NamedTuple):
    """A stored value as the export reads it (plain columns: no ORM objects to track)."""

    data_point_id: str
    raw_text: str
    not_available: bool
    valid: bool
    number: float | None
    boolean: bool | None
    previous_value: float | None
    origin: str | None

    @property
    def value(self) -> float | bool | None:
        if self.not_available or not self.valid:
            return None
        return self.boolean if self.boolean is not None else self.number


class CityData(NamedTuple):
    city: Any
    stored: dict  # data point → _Value
    prov: dict  # KPI code → provenance row
    states: dict  # category → state row
    verdicts: dict  # KPI code → verdict
    checks: dict  # data point → its YES/NO check


Progress = Callable[[int], None] | None


def iter_cities(query=None, *, batch: int | None = None, progress: Progress = None
                ) -> Iterator[CityData]:
    """Each city of `query` (all cities when None) with its values, provenance, category
    states, KPI verdicts and data point checks, by name, reading BATCH cities at a time.
    `progress`, when given, is told how many cities were handed out after each batch.

    Pages are taken by key (name, id) rather than by offset, and rows are read as plain
    columns, so memory stays the same whatever the number of cities.
    """
    from intake.models.submission import CategoryState
    from intake.models.values import DataValue, KpiProvenance

    base = (query if query is not None else select(City)).with_only_columns(
        City.id, City.name, City.country, City.population, City.economy, City.package,
        City.stage)
    batch = batch or BATCH
    after: tuple[str, int] | None = None
    handed_out = 0
    while True:
        page = base.order_by(City.name, City.id).limit(batch)
        if after is not None:
            page = page.where(tuple_(City.name, City.id) > tuple_(*after))
        cities = db.session.execute(page).all()
        if not cities:
            return
        ids = [city.id for city in cities]
        values: dict[int, dict] = {}
        for city_id, *row in db.session.execute(select(
                DataValue.city_id, DataValue.data_point_id, DataValue.raw_text,
                DataValue.not_available, DataValue.valid, DataValue.number,
                DataValue.boolean, DataValue.previous_value, DataValue.origin).where(
                DataValue.city_id.in_(ids))):
            value = _Value(*row)
            values.setdefault(city_id, {})[value.data_point_id] = value
        provenance: dict[int, dict] = {}
        for row in db.session.execute(select(
                KpiProvenance.city_id, KpiProvenance.kpi_code, KpiProvenance.quality_tier,
                KpiProvenance.source, KpiProvenance.reference_year).where(
                KpiProvenance.city_id.in_(ids))):
            provenance.setdefault(row.city_id, {})[row.kpi_code] = row
        states: dict[int, dict] = {}
        for row in db.session.execute(select(
                CategoryState.city_id, CategoryState.category_id, CategoryState.status).where(
                CategoryState.city_id.in_(ids))):
            states.setdefault(row.city_id, {})[row.category_id] = row
        verdicts = verdicts_for_export(ids)
        checks = checks_for_export(ids)
        for city in cities:
            yield CityData(city, values.get(city.id, {}), provenance.get(city.id, {}),
                           states.get(city.id, {}), verdicts.get(city.id, {}),
                           checks.get(city.id, {}))
        handed_out += len(cities)
        if progress is not None:
            progress(handed_out)
        after = (cities[-1].name, cities[-1].id)
        if len(cities) < batch:
            return


def iter_rows(lang: str = "en", query=None, *, progress: Progress = None
              ) -> Iterator[dict[str, Any]]:
    """One dict per (city, data point), in ALL_COLUMNS order."""
    versions = _versions()
    for each in iter_cities(query, progress=progress):
        city = each.city
        prefix = {"city_id": city.id, "city_name": city.name, "country": city.country or "",
                  "stage": str(ProgrammeStage(city.stage))}
        for sheet, data in export_rows_from(each.stored, each.prov, lang,
                                            verdicts=each.verdicts, checks=each.checks):
            yield {**prefix, "sheet": sheet, **data, **versions}


# The city's own indicators, apart from the 91: a sheet of their own (XLSX) and a section of
# their own (JSON), one row per local KPI with its latest value and points.
LOCAL_COLUMNS = ("city_id", "city_name", "id", "name", "unit", "formula", "kind", "multiplier",
                 "numerator_label", "denominator_label", "direction", "target",
                 "target_source", "category_id", "status", "approved_at", "reference_year",
                 "numerator", "denominator", "value", "percent", "band", "source",
                 "quality_tier", "verification", "compared_with_peers")


def iter_local_rows(query=None) -> Iterator[dict[str, Any]]:
    """One dict per local KPI of the cities of `query` (all cities when None)."""
    from sqlalchemy.orm import selectinload

    from intake.models.local_kpi import LocalKpi
    from intake.services.local_kpis import as_data, row_for

    ids = (query if query is not None else select(City)).with_only_columns(City.id)
    kpis = db.session.execute(
        select(LocalKpi, City.name).join(City, City.id == LocalKpi.city_id)
        .where(LocalKpi.city_id.in_(ids.scalar_subquery()))
        .options(selectinload(LocalKpi.values))
        .order_by(City.name, City.id, LocalKpi.id)).all()
    for kpi, city_name in kpis:
        data = as_data(row_for(kpi))
        approved = data["approved_at"]
        yield {**data, "city_id": kpi.city_id, "city_name": city_name,
               "approved_at": approved.isoformat(timespec="seconds") if approved else None}


def city_rows(lang: str = "en", query=None) -> list[dict[str, Any]]:
    return list(iter_rows(lang, query))


def stream_csv(lang: str = "en", query=None, *, progress: Progress = None
               ) -> Iterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out)
    # A byte-order mark lets Excel open UTF-8 (Arabic, Chinese names) correctly.
    out.write("\ufeff")
    writer.writerow(ALL_COLUMNS)
    for number, row in enumerate(iter_rows(lang, query, progress=progress), start=1):
        writer.writerow([_csv_safe(row[column]) for column in ALL_COLUMNS])
        if number % 500 == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def export_csv(lang: str = "en", query=None) -> bytes:
    return b"".join(stream_csv(lang, query))


def _text_cells(sheet, values: list[Any]) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, _NOT_XML.sub("", value))
            # openpyxl turns "=…" into a formula; the data type "s" keeps it a string.
            cell.data_type = "s"
            cells.append(cell)
        else:
            cells.append(value)
    return cells


def write_xlsx(target, lang: str = "en", query=None, *, now: datetime | None = None,
               progress: Progress = None) -> None:
    """The workbook written row by row (openpyxl's write-only mode) to a path or file."""
    # openpyxl is imported here, not with the module: a web process that never writes a
    # workbook does not hold it (about 12 MB).
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    versions = _versions()
    book = Workbook(write_only=True)
    about = book.create_sheet("About")
    for label, value in (("export", "U4SSC Intake: all cities' data"),
                         ("catalog_version", versions["catalog_version"]),
                         ("benchmark_version", versions["benchmark_version"]),
                         ("generated_at", (now or utcnow()).isoformat(timespec="seconds")),
                         ("language", lang)):
        about.append(_text_cells(about, [label, value]))
    data = book.create_sheet("Data")
    data.freeze_panes = "A2"
    header = []
    for column in ALL_COLUMNS:
        cell = WriteOnlyCell(data, column)
        cell.font = Font(bold=True)
        header.append(cell)
    data.append(header)
    for row in iter_rows(lang, query, progress=progress):
        data.append(_text_cells(data, [row[column] for column in ALL_COLUMNS]))
    local = book.create_sheet("Local KPIs")
    local.freeze_panes = "A2"
    local.append([_bold(local, column) for column in LOCAL_COLUMNS])
    for row in iter_local_rows(query):
        local.append(_text_cells(local, [row[column] for column in LOCAL_COLUMNS]))
    book.save(target)


def _bold(sheet, text: str):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cell = WriteOnlyCell(sheet, text)
    cell.font = Font(bold=True)
    return cell


def export_xlsx(lang: str = "en", *, now: datetime | None = None, query=None) -> bytes:
    out = io.BytesIO()
    write_xlsx(out, lang, query, now=now)
    return out.getvalue()


def _city_json(each: CityData, lang: str) -> dict:
    city = each.city
    return {
        "id": city.id, "name": city.name, "country": city.country,
        "population": city.population, "economy": city.economy, "package": city.package,
        "stage": str(ProgrammeStage(city.stage)),
        "categories": {cid: state.status for cid, state in sorted(each.states.items())},
        "values": [{"sheet": sheet, **data}
                   for sheet, data in export_rows_from(each.stored, each.prov, lang,
                                                       verdicts=each.verdicts,
                                                       checks=each.checks)],
    }


def stream_json(lang: str = "en", query=None, *, now: datetime | None = None,
                progress: Progress = None) -> Iterator[bytes]:
    """The versions, then each city, written one city at a time as one JSON document."""
    head = {**_versions(), "generated_at": (now or utcnow()).isoformat(timespec="seconds"),
            "language": lang}
    yield json.dumps(head, ensure_ascii=False)[:-1].encode("utf-8") + b', "cities": ['
    for number, each in enumerate(iter_cities(query, progress=progress)):
        text = json.dumps(_city_json(each, lang), ensure_ascii=False, default=str)
        yield (("\n" if number == 0 else ",\n") + text).encode("utf-8")
    yield b'], "local_kpis": ['
    for number, row in enumerate(iter_local_rows(query)):
        text = json.dumps(row, ensure_ascii=False, default=str)
        yield (("\n" if number == 0 else ",\n") + text).encode("utf-8")
    yield b"]}\n"


def stream_jsonl(lang: str = "en", query=None, *, now: datetime | None = None,
                 progress: Progress = None) -> Iterator[bytes]:
    """JSON lines: the versions on the first line, then one city per line."""
    head = {**_versions(), "generated_at": (now or utcnow()).isoformat(timespec="seconds"),
            "language": lang}
    yield (json.dumps(head, ensure_ascii=False) + "\n").encode("utf-8")
    for each in iter_cities(query, progress=progress):
        yield (json.dumps(_city_json(each, lang), ensure_ascii=False,
                          default=str) + "\n").encode("utf-8")


def export_json(lang: str = "en", *, now: datetime | None = None, query=None) -> bytes:
    return b"".join(stream_json(lang, query, now=now))


STREAMS = {"csv": stream_csv, "json": stream_json, "jsonl": stream_jsonl}


def export_stream(fmt: str, lang: str = "en", query=None, *, progress: Progress = None
                  ) -> Iterator[bytes]:
    """The export as chunks; XLSX is written to a temporary file first (the format is a
    zip whose directory comes last) and read back in chunks."""
    if fmt in STREAMS:
        return STREAMS[fmt](lang, query, progress=progress)
    if fmt != "xlsx":
        raise ValueError(f"unknown export format {fmt!r}")
    return _xlsx_chunks(lang, query, progress)


def _xlsx_chunks(lang: str, query, progress: Progress = None) -> Iterator[bytes]:
    with tempfile.TemporaryFile() as spool:
        write_xlsx(spool, lang, query, progress=progress)
        spool.seek(0)
        while chunk := spool.read(256 * 1024):
            yield chunk


def export_filename(fmt: str, when: datetime | None = None) -> str:
    return f"u4ssc-cities-{(when or utcnow()).strftime('%Y%m%d')}.{fmt}"


def export_all(fmt: str, lang: str = "en") -> Export:
    """The export in one of FORMATS, in memory (small programmes, tests); ValueError for
    another format. Pages and the API stream with export_stream instead."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    return Export(body=b"".join(export_stream(fmt, lang)), media_type=FORMATS[fmt],
                  filename=export_filename(fmt))
