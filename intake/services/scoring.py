"""Scoring in the background: build a category's JSON payload, queue it, store its result.

A category is scored when it is marked complete and again whenever its data changes while
complete. The payload holds everything the score depends on (values, targets, versions), so
the job needs no database to compute, and its fingerprint (input hash) names the result row:
the same input scored twice — a retry, a second worker, a re-run after a crash — is one row.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from intake import signals
from intake.extensions import db
from intake.jobs import after_done, enqueue, job_handler, running_job_id, warms_up
from intake.models import JobRecord, JobState
from intake.models.score import CategoryScore
from scoring.bands import DIRECTIONS
from scoring.jobs import input_hash, score_category

log = logging.getLogger(__name__)

JOB_KIND = "scoring.category"
QUEUE = "scoring"
COMPLETE = "complete"


def get_catalog():
    from forms.catalog.loading import load_catalog

    return load_catalog()


def target_fields(target) -> tuple[Any, str | None]:
    """(target, direction) as plain JSON; (None, None) when the item has no target."""
    if target is None or target.direction not in DIRECTIONS:
        return None, None  # e.g. direction "none": neither higher nor lower is better
    if target.direction == "yes_no":
        # A yes/no KPI is met by "yes" unless the benchmark says otherwise.
        return (True if target.value is None else bool(target.value)), "yes_no"
    if target.value is None:
        return None, None
    return float(target.value), target.direction


def build_payload(catalog, city_id: int, category_id: str,
                  city_values: dict[str, Any]) -> dict[str, Any]:
    """The scoring job's input for one category: formulas, targets and the values they use."""
    kpis = []
    needed: set[str] = set()
    for kpi in catalog.kpis_in(category_id):
        items = []
        for item in kpi.items:
            target, direction = target_fields(item.target)
            items.append({"id": item.id, "target": target, "direction": direction})
        needed.update(point.id for point in kpi.data_points)
        # A result the city reported directly travels with the raw inputs and counts over them.
        needed.update(item.result_key for item in kpi.items)
        kpis.append({"code": kpi.code, "formula": dict(kpi.formula.as_dict()), "items": items,
                     "sub_dimension": kpi.sub_dimension})
    values = {point_id: _json_value(city_values[point_id])
              for point_id in sorted(needed) if point_id in city_values}
    return {"city_id": city_id, "category_id": category_id,
            "catalog_version": catalog.version, "benchmark_version": catalog.benchmark_version,
            "kpis": kpis, "values": values}


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    number = float(value)
    return int(number) if number.is_integer() else number


def job_key(payload: dict[str, Any]) -> str:
    # The hash is cut to 32 hex digits to keep the key short; 128 bits cannot collide in
    # practice and the score row keeps the full hash.
    return (f"score:{payload['city_id']}:{payload['category_id']}:"
            f"{payload['benchmark_version']}:{input_hash(payload)[:32]}")


def current_payload(city_id: int, category_id: str, *, catalog=None,
                    city_values: dict[str, Any] | None = None) -> dict[str, Any]:
    from intake.services.values import get_city_values

    catalog = catalog or get_catalog()
    if city_values is None:
        city_values = get_city_values(city_id)
    return build_payload(catalog, city_id, category_id, city_values)


def request_scoring(city_id: int, category_id: str) -> JobRecord | None:
    """Queue a category's score if the category is complete; returns the job row (or None)."""
    from intake.services.values import category_status

    if category_status(city_id, category_id) != COMPLETE:
        return None
    payload = current_payload(city_id, category_id)
    return enqueue(JOB_KIND, payload, key=job_key(payload), queue=QUEUE)


def rescore(city_ids: list[int] | None = None) -> int:
    """Queue every complete category again (e.g. after a new benchmark set). Returns count."""
    from intake.models import City
    from intake.models.submission import CategoryState

    query = select(CategoryState.city_id, CategoryState.category_id).where(
        CategoryState.status == COMPLETE).order_by(CategoryState.city_id, CategoryState.id)
    if city_ids is not None:
        query = query.where(CategoryState.city_id.in_(city_ids))
    known = {category.id for category in get_catalog().categories}
    count = 0
    for city_id, category_id in db.session.execute(query).all():
        if (category_id in known and db.session.get(City, city_id) is not None
                and request_scoring(city_id, category_id) is not None):
            count += 1
    return count


def store_result(result: dict[str, Any], job_id: str | None = None, *,
                 commit: bool = True) -> CategoryScore:
    """Insert the score row for this exact input, or return the one already there.

    With commit=False the row is only flushed: the caller commits it with its own work.
    """
    unique = {"city_id": result["city_id"], "category_id": result["category_id"],
              "catalog_version": result["catalog_version"],
              "benchmark_version": result["benchmark_version"],
              "input_hash": result["input_hash"]}
    existing = _find(unique)
    if existing is not None:
        return existing
    row = CategoryScore(**unique, percent=result["percent"], band=result["band"],
                        scored=result["scored"], reported=result["reported"],
                        total=result["total"], items=result["items"], job_id=job_id)
    db.session.add(row)
    try:
        if commit:
            db.session.commit()
        else:
            db.session.flush()
    except IntegrityError:
        # Another worker stored the same input a moment ago: theirs is identical.
        db.session.rollback()
        existing = _find(unique)
        if existing is None:
            raise
        return existing
    return row


@warms_up
def _compile_score_lookup() -> None:
    _find({"city_id": 0, "category_id": "", "catalog_version": "", "benchmark_version": "",
           "input_hash": ""})


def _find(unique: dict[str, Any]) -> CategoryScore | None:
    return db.session.execute(select(CategoryScore).filter_by(**unique)).scalar_one_or_none()


@job_handler(JOB_KIND)
def run_scoring(payload: dict[str, Any]) -> dict[str, Any]:
    """The job: score (pure) and store (idempotent). Returns a small summary for the job row."""
    result = score_category(payload)
    job_id = running_job_id()
    if job_id is None:  # called directly, not through run_job
        job_id = db.session.execute(
            select(JobRecord.id).where(JobRecord.key == job_key(payload))).scalar_one_or_none()
    # Left uncommitted: run_job commits the score with the job's "done" in one transaction.
    row = store_result(result, job_id=job_id, commit=False)
    return {"score_id": row.id, "percent": row.percent, "band": row.band,
            "input_hash": row.input_hash}


JOB_KIND_CITY = "scoring.city"


def request_city_scoring(city_id: int, category_ids: list[str]) -> JobRecord | None:
    """Queue one job that re-scores these categories of a city (those complete when it
    runs). The request path writes one job row; the job reads the values once."""
    import uuid

    wanted = sorted(set(category_ids))
    if not wanted:
        return None
    # A later change needs a later run, even for the same categories: a new key each time.
    # The "score:<city>:" prefix lets the snapshot's fingerprint see the job, as it sees
    # the per-category ones.
    return enqueue(JOB_KIND_CITY, {"city_id": city_id, "category_ids": wanted},
                   key=f"score:{city_id}:city:{uuid.uuid4().hex}", queue=QUEUE, new_key=True)


@job_handler(JOB_KIND_CITY)
def run_city_scoring(payload: dict[str, Any]) -> dict[str, Any]:
    """Score each complete category of the list from one reading of the city's values."""
    from intake.models.submission import CategoryState
    from intake.services.values import get_city_values

    city_id = payload["city_id"]
    complete = set(db.session.execute(
        select(CategoryState.category_id).where(
            CategoryState.city_id == city_id, CategoryState.status == COMPLETE,
            CategoryState.category_id.in_(payload["category_ids"]))).scalars())
    catalog = get_catalog()
    known = {category.id for category in catalog.categories}
    city_values = get_city_values(city_id)
    job_id = running_job_id()
    scored = {}
    for category_id in payload["category_ids"]:
        if category_id not in complete or category_id not in known:
            continue
        result = score_category(build_payload(catalog, city_id, category_id, city_values))
        row = store_result(result, job_id=job_id, commit=False)
        scored[category_id] = row.percent
    # Left uncommitted: run_job commits the scores with the job's "done".
    return {"scored": scored}


def _on_many_changed(sender, **kwargs) -> None:
    from intake.models.submission import CategoryState

    city_id = kwargs.get("city_id")
    wanted = [category_id for category_id in kwargs.get("category_ids") or ()
              if category_id != kwargs.get("open_category")]
    if not wanted:
        return
    # Only complete categories are scored; open ones wait for "complete".
    wanted = sorted(db.session.execute(
        select(CategoryState.category_id).where(
            CategoryState.city_id == city_id, CategoryState.status == COMPLETE,
            CategoryState.category_id.in_(wanted))).scalars())
    if len(wanted) <= 1:
        # One category: its own job, as for any single change.
        for category_id in wanted:
            _safely_request(city_id, category_id)
        return
    try:
        request_city_scoring(city_id, wanted)
    except Exception:
        db.session.rollback()
        log.exception("could not queue scoring for city %s", city_id)


def _on_completed(sender, **kwargs) -> None:
    _safely_request(kwargs.get("city_id"), kwargs.get("category_id"))


def _on_data_changed(sender, **kwargs) -> None:
    # Changes to an unfinished category wait for "complete": a sender that knows the
    # category is still being edited says so, otherwise request_scoring reads the status.
    if kwargs.get("complete") is False or kwargs.get("batched"):
        return  # still open, or scored through categories_data_changed
    _safely_request(kwargs.get("city_id"), kwargs.get("category_id"))


def _safely_request(city_id, category_id) -> None:
    # The city's save is already committed when the signal fires: a scoring problem must
    # not turn it into an error page; the job row (or this log) shows what went wrong.
    try:
        request_scoring(city_id, category_id)
    except Exception:
        db.session.rollback()
        log.exception("could not queue scoring for city %s category %s", city_id, category_id)


def init_scoring(app: Flask) -> None:
    """Connect the receivers (once per process; blinker keeps one entry per receiver)."""
    from intake.services import peers

    # A stored score changes its city's peer group: its statistics are computed again.
    after_done(JOB_KIND, peers.after_scoring)
    after_done(JOB_KIND_CITY, peers.after_scoring)
    signals.category_completed.connect(_on_completed)
    signals.category_data_changed.connect(_on_data_changed)
    signals.categories_data_changed.connect(_on_many_changed)


def retry_scoring_job(city_id: int, job_id: str) -> bool:
    """The Retry button: run a failed scoring job of this city again. False if not allowed."""
    from intake.jobs import retry

    record = db.session.get(JobRecord, job_id)
    if (record is None or record.kind != JOB_KIND
            or (record.payload or {}).get("city_id") != city_id
            or record.state != JobState.FAILED):
        return False
    retry(job_id)
    return True
