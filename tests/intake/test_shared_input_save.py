"""Saving a shared figure (the population) re-scores every category using it in one job."""

from __future__ import annotations

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from intake.demo_bulk import load_bulk_cities
from intake.extensions import db
from intake.models import CategoryScore, City, JobRecord, JobState
from intake.services import scoring as scoring_service
from intake.services.values import categories_using, set_city_values
from tests.intake.test_lists_at_scale import QueryCounter


@pytest.mark.redis
def test_population_save_is_short_and_queues_one_job(app, app_factory, database_url,
                                                     redis_url):
    load_bulk_cities(1)
    redis_app = app_factory(database_url, REDIS_URL=redis_url)
    with redis_app.app_context():
        city = db.session.execute(select(City)).scalar_one()
        using = categories_using(["pop"])
        assert len(using) > 5  # the population is a shared figure
        scores_before = db.session.execute(select(func.count(CategoryScore.id))).scalar_one()
        with QueryCounter(db.engine) as counter:
            set_city_values(city.id, {"pop": city.population + 1000}, actor="test")
        assert counter.count < 10, counter.count
        [job] = db.session.execute(select(JobRecord).where(
            JobRecord.kind != "scoring.category")).scalars().all()
        assert job.kind == scoring_service.JOB_KIND_CITY and job.state == JobState.QUEUED
        assert job.payload["category_ids"] == sorted(using)
        connection = Redis.from_url(redis_url)
        SimpleWorker([Queue("scoring", connection=connection)],
                     connection=connection).work(burst=True)
        db.session.expire_all()
        assert db.session.get(JobRecord, job.id).state == JobState.DONE
        added = db.session.execute(select(func.count(CategoryScore.id))).scalar_one()
        assert added - scores_before == len(using)  # every category using it, re-scored


def test_without_redis_the_city_job_runs_inline_and_scores(app):
    load_bulk_cities(1)
    city = db.session.execute(select(City)).scalar_one()
    before = db.session.execute(select(func.count(CategoryScore.id))).scalar_one()
    set_city_values(city.id, {"pop": city.population * 2}, actor="test")
    after = db.session.execute(select(func.count(CategoryScore.id))).scalar_one()
    assert after - before == len(categories_using(["pop"]))
