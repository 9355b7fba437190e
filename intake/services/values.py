"""A city's values and category states: read, bulk write, complete and reopen."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, event, insert, select, update

from forms.builder import QUALITY_TIER_IDS
from forms.fields import format_plain
from intake import signals
from intake.extensions import db
from intake.models._types import utcnow
from intake.models.city import City, ProgrammeStage
from intake.models.submission import COMPLETE, IN_PROGRESS, CategoryState
from intake.models.values import DataValue, KpiProvenance, ValueAudit

NOT_STARTED = "not_started"

# Once verified, a city's figures are what the verifier checked and what the certificate and
# the public page show: nobody changes them until the secretariat reopens verification.
FROZEN_STAGES = frozenset({ProgrammeStage.VERIFIED, ProgrammeStage.PUBLISHED})


class CityFrozen(ValueError):
    """A write to the figures of a verified (or published) city; the message is for users."""

    def __init__(self) -> None:
        super().__init__(str(_l(
            "This city's figures are verified and can no longer be changed. If a figure must "
            "be corrected, ask the U4SSC secretariat to reopen verification.")))


def is_frozen(city_id: int) -> bool:
    stage = db.session.execute(select(City.stage).where(City.id == city_id)).scalar_one_or_none()
    return stage is not None and ProgrammeStage(stage) in FROZEN_STAGES


def ensure_editable(city_id: int) -> None:
    """Raise CityFrozen when the city's figures are verified (every writer calls this)."""
    if is_frozen(city_id):
        raise CityFrozen()


def catalog():
    from forms.catalog.loading import load_catalog

    return load_catalog()


@lru_cache(maxsize=8)
def _categories_by_data_point(catalog_id: int) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for kpi in catalog().kpis:
        for dp in kpi.data_points:
            found.setdefault(dp.id, set()).add(kpi.category)
        for item in kpi.items:
            found.setdefault(item.result_key, set()).add(kpi.category)
    return {dp_id: frozenset(cats) for dp_id, cats in found.items()}


def categories_using(data_point_ids: Iterable[str]) -> list[str]:
    """Category ids whose KPIs use any of these data points, in catalog order."""
    mapping = _categories_by_data_point(id(catalog()))
    wanted: set[str] = set()
    for dp_id in data_point_ids:
        wanted |= mapping.get(dp_id, frozenset())
    return [c.id for c in catalog().categories if c.id in wanted]


# ----------------------------------------------------------------------------- reading
_ROWS_CACHE = "intake.value_rows"


def _forget_value_rows(session, *_args) -> None:
    session.info.pop(_ROWS_CACHE, None)


# A page reads the same city's values several times (computed KPIs, rules, the form);
# they are loaded once per database session and forgotten at every flush, commit and
# rollback, so nothing written is ever read stale.
for _event in ("after_flush", "after_commit", "after_soft_rollback"):
    event.listen(db.session, _event, _forget_value_rows)


# The statements every wizard page and save runs, built once (building one costs about as
# much as SQLAlchemy's cached execution of it); values are bound per call.
_CITY_VALUES = select(DataValue).where(DataValue.city_id == bindparam("city_id"))
_PROVENANCE = select(KpiProvenance).where(KpiProvenance.city_id == bindparam("city_id"))
_PROVENANCE_OF = _PROVENANCE.where(KpiProvenance.kpi_code.in_(bindparam("codes",
                                                                          expanding=True)))
_STATE_WHERE = (CategoryState.city_id == bindparam("city_id"),
                CategoryState.category_id == bindparam("category_id"))
_STATE = select(CategoryState).where(*_STATE_WHERE)
_STATUS = select(CategoryState.status).where(*_STATE_WHERE)
# (An UPDATE reserves the column names for its SET values: its parameters are named apart.)
_CLAIM = (update(CategoryState)
          .where(CategoryState.city_id == bindparam("which_city"),
                 CategoryState.category_id == bindparam("which_category"),
                 CategoryState.version == bindparam("expected"),
                 CategoryState.status.in_((IN_PROGRESS, NOT_STARTED)))
          .execution_options(synchronize_session=False))


def _city_value_rows(city_id: int) -> dict[str, DataValue]:
    session = db.session()
    if any(isinstance(pending, DataValue) for pending in session.new):
        _forget_value_rows(session)  # unflushed rows: let the query autoflush them
    cache = session.info.setdefault(_ROWS_CACHE, {})
    if city_id not in cache:
        result = session.execute(_CITY_VALUES, {"city_id": city_id}).scalars()
        cache[city_id] = {row.data_point_id: row for row in result}
    return cache[city_id]


def value_rows(city_id: int, data_point_ids: Iterable[str] | None = None) -> dict[str, DataValue]:
    rows = _city_value_rows(city_id)
    if data_point_ids is None:
        return dict(rows)
    wanted = set(data_point_ids)
    return {dp_id: row for dp_id, row in rows.items() if dp_id in wanted}


def get_city_values(city_id: int) -> dict[str, float | bool | None]:
    """Every stored data point id → parsed value; None when marked "not available".

    Drafts that do not parse (or break a blocking rule) are left out, like missing ones.
    """
    values: dict[str, float | bool | None] = {}
    for dp_id, row in value_rows(city_id).items():
        if row.not_available:
            values[dp_id] = None
        elif row.valid:
            values[dp_id] = row.value
    return values


def provenance_rows(city_id: int, kpi_codes: Iterable[str] | None = None
                    ) -> dict[str, KpiProvenance]:
    if kpi_codes is None:
        result = db.session.execute(_PROVENANCE, {"city_id": city_id})
    else:
        result = db.session.execute(_PROVENANCE_OF, {"city_id": city_id,
                                                     "codes": list(kpi_codes)})
    return {row.kpi_code: row for row in result.scalars()}


def category_state(city_id: int, category_id: str) -> CategoryState | None:
    return db.session.execute(
        _STATE, {"city_id": city_id, "category_id": category_id}).scalar_one_or_none()


def category_states(city_id: int) -> dict[str, CategoryState]:
    rows = db.session.execute(select(CategoryState).where(CategoryState.city_id == city_id))
    return {row.category_id: row for row in rows.scalars()}


def category_status(city_id: int, category_id: str) -> str:
    status = db.session.execute(
        _STATUS, {"city_id": city_id, "category_id": category_id}).scalar_one_or_none()
    return status if status is not None else NOT_STARTED


# ----------------------------------------------------------------------------- writing
class _Keep:
    """An entry that leaves the stored data origin as it is (a figure written without one)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


@dataclass
class Entry:
    """One data point as saved from a form or a file: the text and what it means."""

    data_point_id: str
    raw_text: str
    value: float | bool | None
    not_available: bool = False
    valid: bool = True
    meant: str | None = None
    justification: str | None = None
    findings: list[dict] | None = None
    previous_value: float | None = field(default=None)
    # Who produced the figure: a data origin code, None (not said), or KEEP the stored one.
    origin: str | None | _Keep = KEEP


def _audit_text(row: DataValue | None) -> str | None:
    if row is None:
        return None
    if row.not_available:
        return "n/a"
    return row.raw_text


def store_entries(city_id: int, entries: Iterable[Entry], *, actor: str,
                  reason: str | None = None, category_id: str | None = None,
                  category_version: int | None = None,
                  keep_previous: bool = True) -> set[str]:
    """Write entries (no commit); audit every change; return ids whose meaning changed."""
    ensure_editable(city_id)
    entries = list(entries)
    rows = value_rows(city_id, [e.data_point_id for e in entries])
    changed: set[str] = set()
    audits: list[dict] = []
    for entry in entries:
        row = rows.get(entry.data_point_id)
        before_text = _audit_text(row)
        before_value = row.value if row is not None else None
        before_na = row.not_available if row is not None else False
        before_valid = row.valid if row is not None else False
        if row is None:
            row = DataValue(city_id=city_id, data_point_id=entry.data_point_id, version=0)
            db.session.add(row)
        row.raw_text = entry.raw_text
        row.meant = entry.meant
        row.not_available = entry.not_available
        row.valid = entry.valid and not entry.not_available
        row.number = None
        row.boolean = None
        if row.valid:
            if isinstance(entry.value, bool):
                row.boolean = entry.value
            elif entry.value is not None:
                row.number = float(entry.value)
        row.justification = entry.justification or None
        row.findings = entry.findings or None
        if not isinstance(entry.origin, _Keep):
            row.origin = entry.origin
        if not keep_previous or entry.previous_value is not None:
            row.previous_value = entry.previous_value
        after_text = _audit_text(row)
        if after_text != before_text:
            row.version = (row.version or 0) + 1
            row.updated_by = actor[:200]
            audits.append({
                "city_id": city_id, "data_point_id": entry.data_point_id,
                "category_id": category_id, "category_version": category_version,
                "actor": actor[:200], "old_text": before_text, "new_text": after_text,
                "reason": reason, "at": utcnow()})
        if (row.value != before_value or row.not_available != before_na
                or row.valid != before_valid):
            changed.add(entry.data_point_id)
    if audits:
        # Audit rows are only ever inserted: one executemany, without the unit of work
        # tracking objects nobody reads back.
        db.session.execute(insert(ValueAudit), audits)
    return changed


def store_origins(city_id: int, origins: Mapping[str, str | None]) -> None:
    """Set the data origin of stored values whose figure is unchanged (no commit)."""
    if not origins:
        return
    ensure_editable(city_id)
    rows = value_rows(city_id, list(origins))
    for dp_id, origin in origins.items():
        if dp_id in rows:
            rows[dp_id].origin = origin


def _provenance_state(row: KpiProvenance) -> tuple:
    return (row.quality_tier, row.source, row.reference_year_text, row.reference_year)


def store_provenance(city_id: int, provenance: Mapping[str, Mapping], *,
                     actor: str | None = None) -> None:
    """Write provenance per KPI code (no commit). Keys: quality_tier, source, reference_year.

    `actor` (name and department) is recorded on every KPI whose provenance it changed.
    """
    rows = provenance_rows(city_id, list(provenance))
    for kpi_code, data in provenance.items():
        row = rows.get(kpi_code)
        if row is None:
            row = KpiProvenance(city_id=city_id, kpi_code=kpi_code)
            db.session.add(row)
        before = _provenance_state(row)
        if "quality_tier" in data:
            tier = data.get("quality_tier") or None
            row.quality_tier = tier if tier in QUALITY_TIER_IDS else None
        if "source" in data:
            row.source = (data.get("source") or "").strip()[:500] or None
        if "reference_year_text" in data:
            row.reference_year_text = (data.get("reference_year_text") or "")[:60] or None
        if "reference_year" in data:
            year = data.get("reference_year")
            row.reference_year = int(year) if year not in (None, "") else None
            if "reference_year_text" not in data:
                row.reference_year_text = str(row.reference_year or "") or None
        if actor is not None and _provenance_state(row) != before:
            row.updated_by = actor[:200]


def store_previous(city_id: int, previous: Mapping[str, float]) -> None:
    """Record last reporting year's values (no commit), for the large-change warning."""
    rows = value_rows(city_id, list(previous))
    for dp_id, value in previous.items():
        row = rows.get(dp_id)
        if row is None:
            row = DataValue(city_id=city_id, data_point_id=dp_id, raw_text="", version=0)
            db.session.add(row)
        row.previous_value = value


def categories_with_own_figures(data_point_ids: Iterable[str]) -> set[str]:
    """Categories for which these ids are figures of their own, not only shared inputs
    (population, households …) that many categories read."""
    cat = catalog()
    own = []
    for dp_id in data_point_ids:
        try:
            shared = cat.data_point(dp_id).shared
        except KeyError:
            shared = False  # a result reported directly belongs to its KPI's category
        if not shared:
            own.append(dp_id)
    return set(categories_using(own))


def bump_versions(city_id: int, category_ids: Iterable[str],
                  changed_ids: Iterable[str] | None = None) -> None:
    """Make open copies of these categories stale (a file import changed them).

    A fixed number of statements whatever the number of categories (a shared figure feeds
    many). A category not started whose only change is a shared input stays "not started":
    its version still moves, so an open copy is stale, but it is not shown as in progress.
    """
    wanted = list(dict.fromkeys(category_ids))
    if not wanted:
        return
    own = categories_with_own_figures(changed_ids) if changed_ids is not None else None
    existing = set(db.session.execute(
        update(CategoryState).where(CategoryState.city_id == city_id,
                                    CategoryState.category_id.in_(wanted))
        .values(version=CategoryState.version + 1, updated_at=utcnow())
        .returning(CategoryState.category_id),
        execution_options={"synchronize_session": False}).scalars())
    started = [c for c in existing if own is None or c in own]
    if started:
        db.session.execute(
            update(CategoryState).where(CategoryState.city_id == city_id,
                                        CategoryState.category_id.in_(started),
                                        CategoryState.status == NOT_STARTED)
            .values(status=IN_PROGRESS), execution_options={"synchronize_session": False})
    # States already loaded in this session must not keep their old version or status.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, CategoryState) and obj.city_id == city_id \
                and obj.category_id in existing:
            db.session.expire(obj, ["version", "updated_at", "status"])
    for category_id in wanted:
        if category_id not in existing:
            status = IN_PROGRESS if own is None or category_id in own else NOT_STARTED
            db.session.add(CategoryState(city_id=city_id, category_id=category_id,
                                         status=status, version=2))


def _check_value(dp, value) -> None:
    if value is None:
        return
    if dp.type == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"{dp.id}: expected yes/no (a bool), got {value!r}")
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{dp.id}: expected a number, got {value!r}")


def set_city_values(city_id: int, values: dict[str, float | bool | None], *, actor: str,
                    reason: str | None = None,
                    provenance: dict[str, dict] | None = None,
                    warnings: Mapping[str, tuple[list[dict], str | None]] | None = None,
                    origins: Mapping[str, str | None] | None = None) -> list[str]:
    """Bulk write parsed values (None = not available); returns the changed category ids.

    `provenance` is keyed by KPI code (or by data point id, applied to the KPIs using it);
    `warnings` by data point id: (the warnings as dicts, their justification), kept with the
    value for the review pages as the wizard keeps them. `origins` by data point id: the
    data origin code (or None) to store; a data point not in it keeps its stored origin.
    """
    cat = catalog()
    origins = origins or {}
    entries = []
    warnings = warnings or {}
    for dp_id, value in values.items():
        dp = cat.data_point(dp_id)  # raises KeyError for an unknown id
        _check_value(dp, value)
        found, why = warnings.get(dp_id, (None, None))
        entries.append(Entry(dp_id, format_plain(value), value, not_available=value is None,
                             findings=found or None, justification=why,
                             origin=origins.get(dp_id, KEEP)))
    changed_ids = store_entries(city_id, entries, actor=actor, reason=reason)
    if provenance:
        kpi_codes = {k.code for k in cat.kpis}
        by_kpi: dict[str, dict] = {}
        for key, data in provenance.items():
            if key in kpi_codes:
                by_kpi.setdefault(key, {}).update(data)
            else:
                for kpi in cat.kpis:
                    if any(dp.id == key for dp in kpi.data_points):
                        by_kpi.setdefault(kpi.code, {}).update(data)
        store_provenance(city_id, by_kpi, actor=actor)
    changed_categories = categories_using(changed_ids)
    bump_versions(city_id, changed_categories, changed_ids)
    db.session.commit()
    signals.data_changed_in(city_id, changed_categories)
    return changed_categories


def _set_status(city_id: int, category_id: str, status: str, actor: str) -> bool:
    state = category_state(city_id, category_id)
    if state is None:
        state = CategoryState(city_id=city_id, category_id=category_id, version=1)
        db.session.add(state)
    if state.status == status:
        return False
    state.status = status
    state.version = (state.version or 0) + 1
    if status == COMPLETE:
        state.completed_at = utcnow()
        state.completed_by = actor[:200]
    else:
        state.completed_at = None
        state.completed_by = None
    db.session.commit()
    return True


def mark_category_complete(city_id: int, category_id: str, *, actor: str) -> None:
    catalog().category(category_id)  # an unknown category is a programming error
    if _set_status(city_id, category_id, COMPLETE, actor):
        signals.category_completed.send(None, city_id=city_id, category_id=category_id)


def reopen_category(city_id: int, category_id: str, *, actor: str) -> None:
    catalog().category(category_id)
    ensure_editable(city_id)
    if _set_status(city_id, category_id, IN_PROGRESS, actor):
        signals.category_reopened.send(None, city_id=city_id, category_id=category_id)


def try_lock(city_id: int, category_id: str, expected_version: int, *,
             current_step: int | None = None) -> int | None:
    """Claim the next version atomically; None when someone saved in between (stale copy)
    or the category is complete. `current_step` is stored by the same statement.
    Raises CityFrozen for a verified city."""
    ensure_editable(city_id)
    if expected_version == 0:
        if category_state(city_id, category_id) is not None:
            return None
        db.session.add(CategoryState(city_id=city_id, category_id=category_id, version=1,
                                     current_step=current_step or 0))
        db.session.flush()
        return 1
    # A save in a category not started (its shared inputs given elsewhere) starts it.
    values = {"version": CategoryState.version + 1, "updated_at": utcnow(),
              "status": IN_PROGRESS}
    if current_step is not None:
        values["current_step"] = current_step
    result = db.session.execute(_CLAIM.values(**values), {
        "which_city": city_id, "which_category": category_id, "expected": expected_version})
    if result.rowcount != 1:
        return None
    return expected_version + 1


def audit_since(city_id: int, category_id: str, version: int) -> list[ValueAudit]:
    return list(db.session.execute(
        select(ValueAudit).where(ValueAudit.city_id == city_id,
                                 ValueAudit.category_id == category_id,
                                 ValueAudit.category_version > version)
        .order_by(ValueAudit.at, ValueAudit.id)).scalars())
