"""The city's data as an XLSX workbook (export, dry-run import, apply), CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from forms.builder import QUALITY_TIER_IDS
from forms.fields import format_plain, parse_boolean, parse_value, parse_year
from forms.rules import ERROR, Message, check_value, message
from intake.extensions import db
from intake.models import City
from intake.models.submission import COMPLETE
from intake.services import values as value_service
from intake.services.evidence import MAX_UNPACKED_BYTES, check_xlsx
from intake.services.values import Entry, catalog

COLUMNS = ("kpi_code", "kpi_name", "data_point", "label", "unit", "type", "value",
           "not_available", "quality_tier", "source", "reference_year", "previous_year_value")
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000
SHEET_CITY = "City"
# Characters that make a spreadsheet treat a cell as a formula (CWE-1236).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class WorkbookError(ValueError):
    def __init__(self, text):
        super().__init__(text)
        self.text = text


# ------------------------------------------------------------------------------ rows
def _layout() -> list[tuple[str, Any, Any]]:
    """(sheet, kpi, data point) once per data point, shared inputs on the first sheet."""
    cat = catalog()
    seen: set[str] = set()
    rows: list[tuple[str, Any, Any]] = []
    for dp in cat.shared_inputs:
        seen.add(dp.id)
        rows.append((SHEET_CITY, None, dp))
    for kpi in cat.kpis:
        for dp in kpi.data_points:
            if dp.id in seen:
                continue
            seen.add(dp.id)
            rows.append((kpi.dimension, kpi, dp))
    return rows


def export_rows(city_id: int, lang: str = "en") -> list[tuple[str, dict]]:
    return export_rows_from(value_service.value_rows(city_id),
                            value_service.provenance_rows(city_id), lang)


def export_rows_from(stored: dict, prov: dict, lang: str = "en") -> list[tuple[str, dict]]:
    """The rows of one city from its value and provenance rows (read by the caller, so an
    export of every city reads them in batches)."""
    cat = catalog()
    result = []
    for sheet, kpi, dp in _layout():
        row = stored.get(dp.id)
        p = prov.get(kpi.code) if kpi is not None else None
        value: Any = ""
        if row is not None and not row.not_available:
            value = row.value if row.valid else row.raw_text
            if isinstance(value, bool):
                value = "yes" if value else "no"
            elif isinstance(value, float) and value == int(value) and abs(value) < 1e15:
                value = int(value)
        result.append((sheet, {
            "kpi_code": kpi.code if kpi else "",
            "kpi_name": kpi.name.get(lang) if kpi else "",
            "data_point": dp.id,
            "label": dp.label.get(lang),
            "unit": dp.unit.get(lang) if dp.unit else "",
            "type": dp.type,
            "value": value,
            "not_available": "yes" if row is not None and row.not_available else "",
            "quality_tier": (p.quality_tier or "") if p else "",
            "source": (p.source or "") if p else "",
            "reference_year": (p.reference_year or "") if p else "",
            "previous_year_value": (row.previous_value if row is not None
                                    and row.previous_value is not None else ""),
        }))
    del cat
    return result


def _sheet_title(sheet: str, lang: str) -> str:
    if sheet == SHEET_CITY:
        return SHEET_CITY
    dimension = next(d for d in catalog().dimensions if d.id == sheet)
    # Sheet titles: at most 31 characters, none of []:*?/\
    return re.sub(r"[\[\]:*?/\\]", " ", f"{sheet} {dimension.name.get(lang)}")[:31]


# Characters XML 1.0 (the format of a worksheet) cannot hold.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def export_xlsx(city_id: int, lang: str = "en") -> bytes:
    book = Workbook()
    book.remove(book.active)
    sheets: dict[str, Any] = {}
    for sheet, data in export_rows(city_id, lang):
        ws = sheets.get(sheet)
        if ws is None:
            ws = sheets[sheet] = book.create_sheet(_sheet_title(sheet, lang))
            ws.append(list(COLUMNS))
            for cell in ws[1]:
                cell.font = Font(bold=True)
            ws.freeze_panes = "A2"
        # Control characters typed into a draft cannot be written to a worksheet at all.
        ws.append([_NOT_XML.sub("", v) if isinstance(v, str) else v
                   for v in (data[c] for c in COLUMNS)])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(_FORMULA_START):
                # Text that looks like a formula stays text (never evaluated by Excel).
                cell.data_type = "s"
    for ws in book.worksheets:
        for letter, width in zip("ABCDEFGHIJKL", (18, 36, 16, 48, 18, 9, 14, 10, 14, 30, 10, 14),
                                 strict=True):
            ws.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_csv(city_id: int, lang: str = "en") -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("sheet", *COLUMNS))
    for sheet, data in export_rows(city_id, lang):
        writer.writerow([sheet, *(_csv_safe(data[c]) for c in COLUMNS)])
    return out.getvalue()


def export_json(city_id: int, lang: str = "en") -> str:
    city = db.session.get(City, city_id)
    cat = catalog()
    payload = {
        "city": {"id": city.id, "name": city.name, "country": city.country,
                 "population": city.population},
        "catalog_version": cat.version,
        "values": [{"sheet": sheet, **data} for sheet, data in export_rows(city_id, lang)],
        "categories": {cid: st.status for cid, st in value_service.category_states(city_id)
                       .items()},
    }
    return json.dumps(payload, ensure_ascii=False, indent=1, default=str)


# ------------------------------------------------------------------------------ import
@dataclass
class Change:
    sheet: str
    row: int
    data_point: Any
    kpi_code: str | None
    old_text: str
    new_text: str
    entry: Entry | None = None
    errors: list[Message] = field(default_factory=list)
    skipped_reason: Any = None


@dataclass
class ImportPlan:
    changes: list[Change] = field(default_factory=list)
    problems: list[Change] = field(default_factory=list)
    provenance: dict[str, dict] = field(default_factory=dict)
    # Last year's values (for the large-change warning), applied with the changes.
    previous: dict[str, float] = field(default_factory=dict)
    unchanged: int = 0


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | int):
        return format_plain(float(value))
    return str(value).strip()


def read_workbook(data: bytes) -> list[tuple[str, int, dict]]:
    """Rows of every sheet as dicts keyed by the header row; refuses anything odd."""
    if len(data) > MAX_IMPORT_BYTES:
        raise WorkbookError(_l("The workbook is larger than %(size)s MB. Remove other sheets "
                               "or pictures and try again.", size=MAX_IMPORT_BYTES // 1048576))
    if not data.startswith(b"PK\x03\x04") or not check_xlsx(data):
        raise WorkbookError(_l("This is not an Excel workbook (.xlsx). Export the workbook "
                               "from this page, fill it in and upload it as .xlsx."))
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on damaged files
        raise WorkbookError(_l("The workbook could not be read. Save it again as .xlsx and "
                               "retry.")) from None
    rows: list[tuple[str, int, dict]] = []
    try:
        for ws in book.worksheets:
            header: list[str] | None = None
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                if header is None:
                    header = [str(v).strip() if v is not None else "" for v in values]
                    if "data_point" not in header or "value" not in header:
                        break
                    continue
                if len(rows) >= MAX_ROWS:
                    raise WorkbookError(_l("The workbook has too many rows. Use the workbook "
                                           "exported from this page."))
                rows.append((ws.title, number, dict(zip(header, values, strict=False))))
    finally:
        book.close()
    if not rows:
        raise WorkbookError(_l("No data rows were found. Use the workbook exported from "
                               "this page: its first row names the columns."))
    return rows


def plan_import(city_id: int, data: bytes, *, locale: str = "en") -> ImportPlan:
    """What applying this workbook would change (the dry run). Nothing is written."""
    cat = catalog()
    known = {dp.id: dp for _s, _k, dp in _layout()}
    kpi_codes = {k.code: k for k in cat.kpis}
    stored = value_service.value_rows(city_id)
    states = value_service.category_states(city_id)
    plan = ImportPlan()
    rows = read_workbook(data)
    context = _context_for(city_id)
    for sheet, number, cells in rows:
        dp_id = _cell_text(cells.get("data_point"))
        dp = known.get(dp_id)
        if dp is None:
            if dp_id:
                plan.problems.append(Change(sheet, number, None, None, "", dp_id,
                                            skipped_reason=_l("Unknown data point")))
            continue
        kpi_code = _cell_text(cells.get("kpi_code")) or None
        kpi = kpi_codes.get(kpi_code) if kpi_code else None
        row = stored.get(dp_id)
        old_text = "n/a" if row is not None and row.not_available else (
            row.raw_text if row else "")
        na_cell = parse_boolean(_cell_text(cells.get("not_available")))
        value_cell = cells.get("value")
        text = _cell_text(value_cell)
        if kpi is not None:
            plan.provenance[kpi.code] = _provenance_from(cells)
        previous = _previous_from(cells, dp, locale)
        if previous is not None and (row is None or row.previous_value != previous):
            plan.previous[dp_id] = previous
        if na_cell.value is True:
            entry = Entry(dp_id, "", None, not_available=True)
            new_text = "n/a"
        elif not text:
            plan.unchanged += 1
            continue
        else:
            if isinstance(value_cell, int | float) and not isinstance(value_cell, bool):
                parsed_value: Any = float(value_cell)
                errors = [message("not_yes_no", dp_id)] if dp.type == "boolean" else []
            else:
                parsed = parse_value(dp.type, text, locale)
                parsed_value = parsed.value
                errors = [parsed.error] if parsed.error else []
            if not errors and parsed_value is not None:
                errors = [m for m in check_value(dp, parsed_value, context)
                          if m.tier == ERROR]
            new_text = text
            if errors:
                plan.problems.append(Change(sheet, number, dp, kpi_code, old_text, new_text,
                                            errors=errors))
                continue
            entry = Entry(dp_id, text, parsed_value)
        if new_text == old_text:
            plan.unchanged += 1
            continue
        locked = [c for c in value_service.categories_using([dp_id])
                  if states.get(c) is not None and states[c].status == COMPLETE]
        change = Change(sheet, number, dp, kpi_code, old_text, new_text, entry)
        if locked:
            change.skipped_reason = _l("Its category is marked complete: reopen it first")
            plan.problems.append(change)
            continue
        plan.changes.append(change)
    return plan


def _context_for(city_id: int):
    from intake.services.wizard import rule_context

    return rule_context(city_id, "en")


def _previous_from(cells: dict, dp: Any, locale: str) -> float | None:
    cell = cells.get("previous_year_value")
    if dp.type in ("boolean", "year") or cell in (None, ""):
        return None
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell)
    parsed = parse_value(dp.type, str(cell), locale)
    return parsed.value if isinstance(parsed.value, float) else None


def _provenance_from(cells: dict) -> dict:
    tier = _cell_text(cells.get("quality_tier"))
    year = parse_year(_cell_text(cells.get("reference_year")))
    data: dict[str, Any] = {"quality_tier": tier if tier in QUALITY_TIER_IDS else None,
                            "source": _cell_text(cells.get("source"))[:500]}
    if year.value is not None:
        data["reference_year"] = int(year.value)
    return data


def apply_import(city_id: int, data: bytes, *, actor: str, locale: str = "en") -> ImportPlan:
    plan = plan_import(city_id, data, locale=locale)
    from intake import signals

    changed = value_service.store_entries(city_id, [c.entry for c in plan.changes if c.entry],
                                          actor=actor, reason="workbook import")
    value_service.store_provenance(city_id, plan.provenance)
    value_service.store_previous(city_id, plan.previous)
    categories = value_service.categories_using({c.data_point.id for c in plan.changes})
    value_service.bump_versions(city_id, categories)
    db.session.commit()
    signals.data_changed_in(city_id, value_service.categories_using(changed))
    return plan


# ------------------------------------------------------------------------------ pending
def _pending_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep_pending(city_id: int, data: bytes) -> str:
    """Keep an uploaded workbook between the preview and "Apply"; returns its ticket."""
    ticket = secrets.token_hex(16)
    (_pending_folder() / f"{city_id}-{ticket}.xlsx").write_bytes(data)
    return ticket


def load_pending(city_id: int, ticket: str) -> bytes | None:
    if not re.fullmatch(r"[0-9a-f]{32}", ticket or ""):
        return None
    path = _pending_folder() / f"{city_id}-{ticket}.xlsx"
    return path.read_bytes() if path.is_file() else None


def drop_pending(city_id: int, ticket: str) -> None:
    if re.fullmatch(r"[0-9a-f]{32}", ticket or ""):
        (_pending_folder() / f"{city_id}-{ticket}.xlsx").unlink(missing_ok=True)


__all__ = ["MAX_UNPACKED_BYTES", "WorkbookError", "apply_import", "export_csv", "export_json",
           "export_xlsx", "plan_import"]
