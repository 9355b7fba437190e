"""The workbook's rows and columns, and the city's data written as XLSX, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from intake.extensions import db
from intake.models import City
from intake.services import values as value_service
from intake.services.csv_cells import safe_cell
from intake.services.origins import choices as origin_choices
from intake.services.values import catalog

COLUMNS = ("kpi_code", "kpi_name", "data_point", "label", "unit", "type", "value",
           "not_available", "quality_tier", "origin", "source", "reference_year",
           "previous_year_value", "kpi_verification", "data_point_check",
           "data_point_check_note")
# What a data point's check says in the exports: "check_again" when the figure changed
# after it was checked YES or NO.
CHECK_EXPORT = {"yes": "yes", "no": "no", "changed": "check_again"}
SHEET_CITY = "City"
# Column headers as the city reads them; an upload is understood in any of the six languages
# (and with the plain keys of workbooks exported before headers were translated).
COLUMN_LABELS = {
    "kpi_code": _l("KPI code"), "kpi_name": _l("KPI"), "data_point": _l("Data point"),
    "label": _l("Label"), "unit": _l("Unit"), "type": _l("Type"), "value": _l("Value"),
    "not_available": _l("Not available"), "quality_tier": _l("Quality"),
    "origin": _l("Data origin"),
    "source": _l("Source"), "reference_year": _l("Reference year"),
    "previous_year_value": _l("Last year's value"),
    "kpi_verification": _l("KPI verified"), "data_point_check": _l("Data point checked"),
    "data_point_check_note": _l("Why not"),
}
# Characters that make a spreadsheet treat a cell as a formula (CWE-1236).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
        # Then the KPI's results, for a city that has them published ("result:<item id>"):
        # filled in, they count over the figures above, and meet the same checks.
        for item in kpi.items:
            rows.append((kpi.dimension, kpi, cat.result_point(item.id)))
    return rows


def export_rows(city_id: int, lang: str = "en") -> list[tuple[str, dict]]:
    from intake.services.datapoint_checks import checks_for_export, verdicts_for_export

    return export_rows_from(value_service.value_rows(city_id),
                            value_service.provenance_rows(city_id), lang,
                            verdicts=verdicts_for_export([city_id]).get(city_id, {}),
                            checks=checks_for_export([city_id]).get(city_id, {}))


def export_rows_from(stored: dict, prov: dict, lang: str = "en", *,
                     verdicts: dict | None = None, checks: dict | None = None
                     ) -> list[tuple[str, dict]]:
    """The rows of one city from its value, provenance, KPI verdict and data point check
    rows (read by the caller, so an export of every city reads them in batches)."""
    from intake.services.datapoint_checks import state_of

    cat = catalog()
    verdicts = verdicts or {}
    checks = checks or {}
    result = []
    for sheet, kpi, dp in _layout():
        row = stored.get(dp.id)
        p = prov.get(kpi.code) if kpi is not None else None
        check = checks.get(dp.id)
        state = (state_of(check.status, check.checked_text, check.checked_not_available, row)
                 if check is not None else None)
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
            # The code (CSV, JSON); the XLSX workbook shows its label, from a dropdown.
            "origin": (row.origin or "") if row is not None else "",
            "source": (p.source or "") if p else "",
            "reference_year": (p.reference_year or "") if p else "",
            "previous_year_value": (row.previous_value if row is not None
                                    and row.previous_value is not None else ""),
            "kpi_verification": verdicts.get(kpi.code, "") if kpi is not None else "",
            "data_point_check": CHECK_EXPORT.get(state, "") if state else "",
            "data_point_check_note": (check.note or "") if check is not None
            and check.status == "no" else "",
        }))
    del cat
    return result


def column_headers(lang: str) -> list[str]:
    with force_locale(lang):
        return [str(COLUMN_LABELS[c]) for c in COLUMNS]


def _header_keys() -> dict[str, str]:
    """Every language's header text (folded) → the column key it stands for."""
    from intake.i18n import LANGUAGES

    keys = {c: c for c in COLUMNS}
    for lang in LANGUAGES:
        for column, header in zip(COLUMNS, column_headers(lang), strict=True):
            keys.setdefault(header.casefold(), column)
    return keys


def _sheet_title(sheet: str, lang: str) -> str:
    if sheet == SHEET_CITY:
        with force_locale(lang):
            return re.sub(r"[\[\]:*?/\\]", " ", str(_l("City")))[:31]
    dimension = next(d for d in catalog().dimensions if d.id == sheet)
    # Sheet titles: at most 31 characters, none of []:*?/\
    return re.sub(r"[\[\]:*?/\\]", " ", f"{sheet} {dimension.name.get(lang)}")[:31]


# Characters XML 1.0 (the format of a worksheet) cannot hold.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


ORIGIN_COLUMN = "ABCDEFGHIJKLM"[COLUMNS.index("origin")]
MAX_PROMPT = 255  # Excel shows at most this much of a cell's input message


def _origin_labels(lang: str) -> dict[str, str]:
    with force_locale(lang):
        return dict(origin_choices())


def _origin_dropdown(lang: str):
    """The origin column's dropdown: the codes (an inline list, so no extra sheet; labels
    hold commas, which such a list would split), each explained in the cell's message."""
    from openpyxl.worksheet.datavalidation import DataValidation

    labels = _origin_labels(lang)
    check = DataValidation(type="list", allow_blank=True,
                           formula1='"' + ",".join(labels) + '"')
    with force_locale(lang):
        check.promptTitle = str(_l("Data origin"))[:32]
        check.errorTitle = str(_l("Data origin"))[:32]
        check.error = str(_l("Choose the data origin from the list."))[:MAX_PROMPT]
    check.prompt = "\n".join(f"{code}: {label}" for code, label in labels.items())[:MAX_PROMPT]
    check.showErrorMessage = True
    check.showInputMessage = True
    return check


def export_xlsx(city_id: int, lang: str = "en") -> bytes:
    # openpyxl loads on first use: most requests of a web process never need it.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    sheets: dict[str, Any] = {}
    for sheet, data in export_rows(city_id, lang):
        ws = sheets.get(sheet)
        if ws is None:
            ws = sheets[sheet] = book.create_sheet(_sheet_title(sheet, lang))
            ws.append(column_headers(lang))
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
        for letter, width in zip("ABCDEFGHIJKLMNOP",
                                 (18, 36, 16, 48, 18, 9, 14, 10, 14, 30, 30, 10, 14, 12, 12, 30),
                                 strict=True):
            ws.column_dimensions[letter].width = width
        check = _origin_dropdown(lang)
        ws.add_data_validation(check)
        check.add(f"{ORIGIN_COLUMN}2:{ORIGIN_COLUMN}{max(ws.max_row, 2)}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv_safe(value: Any) -> Any:
    return safe_cell(value)


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
