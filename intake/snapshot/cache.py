"""Render a city's snapshot once per state of its data, not once per view.

The snapshot reads a city's values, provenance, category states, stored scores and scoring
jobs. `data_fingerprint` sums all of those up in one small query; while it is unchanged, the
page rendered for it (in a language) is the same bytes and comes from memory.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from sqlalchemy import bindparam, case, func, select

from intake.extensions import db
from intake.models import CategoryScore, CategoryState, City, DataValue, JobRecord, KpiProvenance


@lru_cache(maxsize=1)
def _fingerprint_query():
    """One statement (built once) reading every table the snapshot depends on."""
    city_id = bindparam("city_id")

    def per_city(model, *columns):
        return select(*columns).where(model.city_id == city_id).scalar_subquery()

    text = func.coalesce
    return select(
        per_city(DataValue, func.count()),
        per_city(DataValue, func.max(DataValue.updated_at)),
        per_city(KpiProvenance, func.max(KpiProvenance.updated_at)),
        per_city(CategoryState, text(func.sum(CategoryState.version), 0)),
        per_city(CategoryState, func.max(CategoryState.updated_at)),
        per_city(CategoryScore, func.max(CategoryScore.id)),
        select(func.count()).where(JobRecord.key.like(bindparam("job_prefix")))
        .scalar_subquery(),
        select(func.max(func.coalesce(JobRecord.finished_at, JobRecord.started_at,
                                      JobRecord.created_at)))
        .where(JobRecord.key.like(bindparam("job_prefix"))).scalar_subquery(),
        select(func.sum(case((JobRecord.state == "failed", 1), else_=0)))
        .where(JobRecord.key.like(bindparam("job_prefix"))).scalar_subquery(),
        select(City.updated_at).where(City.id == city_id).scalar_subquery(),
    )


def data_fingerprint(city_id: int) -> str:
    """A short digest that changes whenever anything the snapshot shows changes."""
    row = db.session.execute(_fingerprint_query(),
                             {"city_id": city_id, "job_prefix": f"score:{city_id}:%"}).one()
    return hashlib.blake2b(repr(tuple(row)).encode(), digest_size=12).hexdigest()
