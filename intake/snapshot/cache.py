"""Render a city's snapshot once per state of its data, not once per view.

The snapshot reads a city's values, provenance, category states, stored scores and scoring
jobs. `snapshot_state` sums all of those up in one small query; while it is unchanged, the
page rendered for it (in a language) is the same bytes and comes from memory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import bindparam, case, func, select, true

from intake.extensions import db
from intake.models import (
    CategoryScore,
    CategoryState,
    City,
    DataValue,
    JobRecord,
    KpiProvenance,
    LocalKpi,
    LocalKpiValue,
)


@lru_cache(maxsize=1)
def _fingerprint_query():
    """One statement (built once) reading every table the snapshot depends on, each once."""
    city_id = bindparam("city_id")

    def per_city(model, column):
        return select(column).where(model.city_id == city_id).scalar_subquery()

    values = select(func.count().label("count"), func.max(DataValue.updated_at).label("changed")
                    ).where(DataValue.city_id == city_id).subquery()
    states = select(func.coalesce(func.sum(CategoryState.version), 0).label("versions"),
                    func.max(CategoryState.updated_at).label("changed")
                    ).where(CategoryState.city_id == city_id).subquery()
    jobs = select(
        func.count().label("count"),
        func.max(func.coalesce(JobRecord.finished_at, JobRecord.started_at,
                               JobRecord.created_at)).label("changed"),
        func.sum(case((JobRecord.state == "failed", 1), else_=0)).label("failed"),
    ).where(JobRecord.key.like(bindparam("job_prefix"))).subquery()
    # Aggregates give one row each even for a city without data; the city's own columns
    # are subqueries (NULL for a city that does not exist) so the row is always there.
    return select(
        values.c.count, values.c.changed,
        per_city(KpiProvenance, func.max(KpiProvenance.updated_at)),
        states.c.versions, states.c.changed,
        per_city(CategoryScore, func.max(CategoryScore.id)),
        # Local KPIs (shown apart from the 91): a decision, a withdrawal or a new figure.
        per_city(LocalKpi, func.count()), per_city(LocalKpi, func.max(LocalKpi.updated_at)),
        per_city(LocalKpiValue, func.count()),
        per_city(LocalKpiValue, func.max(LocalKpiValue.updated_at)),
        jobs.c.count, jobs.c.changed, jobs.c.failed,
        select(City.updated_at).where(City.id == city_id).scalar_subquery(),
        select(City.access_key).where(City.id == city_id).scalar_subquery(),
    ).select_from(values.join(states, true()).join(jobs, true()))


@dataclass(frozen=True)
class SnapshotState:
    fingerprint: str
    # Read in the same query, so a link can be checked without loading the city.
    access_key: str | None  # None: no such city


def snapshot_state(city_id: int) -> SnapshotState:
    """A short digest that changes whenever anything the snapshot shows changes."""
    # Plain columns: run on the session's connection, past the ORM's result handling.
    row = db.session.connection().execute(
        _fingerprint_query(), {"city_id": city_id, "job_prefix": f"score:{city_id}:%"}).one()
    return SnapshotState(hashlib.blake2b(repr(tuple(row)).encode(), digest_size=12).hexdigest(),
                         row[-1])
