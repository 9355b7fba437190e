"""A filled workbook read back: checked like the wizard, shown as a dry run, then applied."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from forms.builder import QUALITY_TIER_IDS
from forms.fields import format_plain, parse_boolean, parse_value, parse_year, read_count
from forms.rules import ERROR, WARNING, Message, check_value, message
from intake.extensions import db
from intake.models.submission import COMPLETE
from intake.services import values as value_service
from intake.services.evidence import check_xlsx
from intake.services.origins import unknown_message as unknown_origin_message
from intake.services.values import KEEP, Entry, catalog
from intake.services.workbook.layout import _header_keys, _layout, _origin_labels

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000
# A workbook is unpacked and parsed within these bounds, checked in the zip's directory
# before any XML is read: a 245 kB file can hold 94 MB of shared strings, which openpyxl
# loads whole even in read-only mode. The workbook this page exports needs a few hundred kB.
MAX_PART_BYTES = 16 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 4 * 1024 * 1024
MAX_UNPACKED_IMPORT_BYTES = 40 * 1024 * 1024
MAX_COLUMNS = 40
MAX_CELLS = 100_000
# The longest text a cell may bring in (the wizard's own limit for a value).
MAX_CELL_CHARS = 500


class WorkbookError(ValueError):
    def __init__(self, text):
        super().__init__(text)
        self.text = text


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
    # Taken, but worth a word (outside the usual range …): kept with the value, and the
    # review asks for an explanation before the category can be completed, as the wizard.
    warnings: list[Message] = field(default_factory=list)


@dataclass
class ImportPlan:
    changes: list[Change] = field(default_factory=list)
    problems: list[Change] = field(default_factory=list)
    provenance: dict[str, dict] = field(default_factory=dict)
    # Last year's values (for the large-change warning), applied with the changes.
    previous: dict[str, float] = field(default_factory=dict)
    # Data origins changed where the figure itself is unchanged: data point → code or None.
    origins: dict[str, str | None] = field(default_factory=dict)
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
    _check_parts(data)
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on damaged files
        raise WorkbookError(_l("The workbook could not be read. Save it again as .xlsx and "
                               "retry.")) from None
    rows: list[tuple[str, int, dict]] = []
    keys = _header_keys()
    cells = 0
    try:
        for ws in book.worksheets:
            header: list[str] | None = None
            # Only the first columns are read: a sheet claiming 16 384 columns costs nothing.
            for number, values in enumerate(ws.iter_rows(values_only=True,
                                                         max_col=MAX_COLUMNS), start=1):
                cells += len(values)
                if cells > MAX_CELLS:
                    raise WorkbookError(_l("The workbook has too many cells. Use the workbook "
                                           "exported from this page."))
                if header is None:
                    header = [str(v).strip() if v is not None else "" for v in values]
                    header = [keys.get(h.casefold(), h) for h in header]
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


def _check_parts(data: bytes) -> None:
    """Refuse, from the zip's directory alone, a workbook too big to parse once unpacked."""
    too_big = WorkbookError(_l(
        "The workbook holds more than %(size)s MB of text or cells once unpacked. Use the "
        "workbook exported from this page, without extra sheets.",
        size=MAX_UNPACKED_IMPORT_BYTES // 1048576))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # check_xlsx has already refused it
    if sum(m.file_size for m in members) > MAX_UNPACKED_IMPORT_BYTES:
        raise too_big
    for member in members:
        limit = (MAX_SHARED_STRINGS_BYTES if member.filename.lower().endswith(
            "sharedstrings.xml") else MAX_PART_BYTES)
        if member.file_size > limit:
            raise too_big


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
    origins = _origin_lookup()
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
        # A workbook without the column (exported before origins were asked) keeps them.
        origin: Any = KEEP
        if "origin" in cells:
            origin_text = _cell_text(cells.get("origin"))[:MAX_CELL_CHARS]
            origin = origins.get(origin_text.casefold(), KEEP) if origin_text else None
            if origin is KEEP:
                plan.problems.append(Change(sheet, number, dp, kpi_code, old_text,
                                            text[:MAX_CELL_CHARS] or old_text,
                                            skipped_reason=unknown_origin_message(origin_text)))
                continue
        if kpi is not None:
            plan.provenance[kpi.code] = _provenance_from(cells)
        previous = _previous_from(cells, dp, locale)
        if previous is not None and (row is None or row.previous_value != previous):
            plan.previous[dp_id] = previous
        origin_changed = origin is not KEEP and origin != (row.origin if row else None)
        if na_cell.value is True:
            entry = Entry(dp_id, "", None, not_available=True, origin=origin)
            new_text = "n/a"
        elif not text:
            if origin_changed and row is not None and _origin_open(dp_id, states, plan, sheet,
                                                                   number, dp, kpi_code,
                                                                   old_text):
                plan.origins[dp_id] = origin
            else:
                plan.unchanged += 1
            continue
        elif len(text) > MAX_CELL_CHARS:
            plan.problems.append(Change(sheet, number, dp, kpi_code, old_text,
                                        text[:MAX_CELL_CHARS], skipped_reason=_l(
                                            "The value is longer than %(max)s characters.",
                                            max=MAX_CELL_CHARS)))
            continue
        else:
            if isinstance(value_cell, int | float) and not isinstance(value_cell, bool):
                parsed_value: Any = float(value_cell)
                errors = [message("not_yes_no", dp_id)] if dp.type == "boolean" else []
            elif dp.type == "count":
                # As the wizard: a share typed as a count is refused, with its conversion.
                total = context.values.get(dp.part_of) if dp.part_of else None
                parsed = read_count(text, locale, total=total if isinstance(
                    total, int | float) and not isinstance(total, bool) else None,
                    total_label=context.labels.get(dp.part_of or "", ""))
                parsed_value = parsed.value
                errors = [parsed.error] if parsed.error else []
            else:
                parsed = parse_value(dp.type, text, locale)
                parsed_value = parsed.value
                errors = [parsed.error] if parsed.error else []
            warnings: list[Message] = []
            if not errors and parsed_value is not None:
                found = check_value(dp, parsed_value, context)
                errors = [m for m in found if m.tier == ERROR]
                warnings = [m for m in found if m.tier == WARNING]
            new_text = text
            if errors:
                plan.problems.append(Change(sheet, number, dp, kpi_code, old_text, new_text,
                                            errors=errors))
                continue
            entry = Entry(dp_id, text, parsed_value,
                          findings=[m.as_dict() for m in warnings] or None,
                          justification=row.justification if row is not None else None,
                          origin=origin)
        if new_text == old_text:
            if origin_changed and _origin_open(dp_id, states, plan, sheet, number, dp,
                                               kpi_code, old_text):
                plan.origins[dp_id] = origin
            else:
                plan.unchanged += 1
            continue
        locked = [c for c in value_service.categories_using([dp_id])
                  if states.get(c) is not None and states[c].status == COMPLETE]
        change = Change(sheet, number, dp, kpi_code, old_text, new_text, entry,
                        warnings=[Message(**f) for f in (entry.findings or [])])
        if locked:
            change.skipped_reason = _l("Its category is marked complete: reopen it first")
            plan.problems.append(change)
            continue
        plan.changes.append(change)
    _check_across(plan, context)
    return plan


def _origin_lookup() -> dict[str, str]:
    """Folded code or label, in any of the six languages → the origin's code."""
    from intake.i18n import LANGUAGES

    found: dict[str, str] = {}
    for lang in LANGUAGES:
        for code, label in _origin_labels(lang).items():
            found.setdefault(code.casefold(), code)
            found.setdefault(label.strip().casefold(), code)
    return found


def _origin_open(dp_id: str, states: dict, plan: ImportPlan, sheet: str, number: int,
                 dp: Any, kpi_code: str | None, old_text: str) -> bool:
    """Whether an origin alone may change: not in a category marked complete (said so)."""
    locked = [c for c in value_service.categories_using([dp_id])
              if states.get(c) is not None and states[c].status == COMPLETE]
    if locked:
        plan.problems.append(Change(sheet, number, dp, kpi_code, old_text, old_text,
                                    skipped_reason=_l("Its category is marked complete: "
                                                      "reopen it first")))
    return not locked


def _check_across(plan: ImportPlan, context) -> None:
    """The checks across values, on the figures as they would be after the import."""
    from intake.services.wizard.checks import across_findings

    planned = {c.data_point.id: c.entry.value for c in plan.changes
               if c.entry is not None and not c.entry.not_available}
    found = across_findings(planned, {**context.values, **planned}, context.labels)
    for change in list(plan.changes):
        messages = found.get(change.data_point.id, [])
        errors = [m for m in messages if m.tier == ERROR]
        if errors:
            plan.changes.remove(change)
            change.errors = errors
            plan.problems.append(change)
            continue
        warnings = [m for m in messages if m.tier == WARNING]
        if warnings:
            change.warnings = [*change.warnings, *warnings]
            change.entry.findings = [m.as_dict() for m in change.warnings]


def _context_for(city_id: int):
    from intake.services.wizard.checks import rule_context

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
    value_service.store_provenance(city_id, plan.provenance, actor=actor)
    value_service.store_previous(city_id, plan.previous)
    value_service.store_origins(city_id, plan.origins)
    categories = value_service.categories_using({c.data_point.id for c in plan.changes})
    value_service.bump_versions(city_id, categories, {c.data_point.id for c in plan.changes})
    db.session.commit()
    signals.data_changed_in(city_id, value_service.categories_using(changed))
    return plan
