"""Redis stopped: the portal keeps every answer, records jobs as pending, and runs them later."""

from __future__ import annotations

import json

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from intake.demo import DEMO_VALUES
from intake.extensions import db
from intake.models import JobRecord, JobState
from intake.models.score import CategoryScore
from intake.models.values import DataValue, ValueAudit
from intake.services.cities import create_city
from intake.services.scoring import get_catalog
from intake.services.values import set_city_values
from tests.conftest import csrf_token_from
from tests.reliability.helpers import DRAINAGE, open_workspace, post_step

SAVES = 40


@pytest.mark.redis
@pytest.mark.slow
def test_saves_and_completions_survive_a_redis_outage(app, app_factory, database_url,
                                                      redis_server):
    redis_app = app_factory(database_url, REDIS_URL=redis_server.url)
    categories = [category.id for category in get_catalog().categories][:10]
    with redis_app.app_context():
        city = create_city(name="Offline City", population=120_000)
        set_city_values(city.id, DEMO_VALUES, actor="setup")
        city_id = city.id
        client = redis_app.test_client()
        open_workspace(client, city)
        redis_server.stop()
        try:
            typed = []
            for number in range(SAVES):
                typed.append(str(300 + number))
                response = post_step(client, DRAINAGE, 0, {
                    "dp_dr_km": typed[-1], "dp_dr_ict_km": "20"})
                assert response.status_code == 302, response.status_code
            for category_id in categories:
                page = client.get(f"/w/c/{category_id}/review").text
                response = client.post(f"/w/c/{category_id}/complete",
                                       data={"csrf_token": csrf_token_from(page)})
                assert response.status_code == 302, (category_id, response.status_code)
            db.session.expire_all()
            stored = db.session.execute(select(DataValue).where(
                DataValue.city_id == city_id, DataValue.data_point_id == "dr_km")).scalar_one()
            assert stored.raw_text == typed[-1]
            history = list(db.session.execute(select(ValueAudit.new_text).where(
                ValueAudit.city_id == city_id, ValueAudit.data_point_id == "dr_km",
                ValueAudit.actor != "setup").order_by(ValueAudit.id)).scalars())
            assert history == typed  # every save committed, in order
            jobs = list(db.session.execute(select(JobRecord).where(
                JobRecord.kind == "scoring.category")).scalars())
            assert len(jobs) == len(categories)
            assert {job.state for job in jobs} == {JobState.PENDING}
            assert db.session.scalar(select(func.count(CategoryScore.id))) == 0
        finally:
            redis_server.start()
        redis_app.extensions.pop("intake_redis", None)
        db.session.commit()
        db.session.close()
        result = redis_app.test_cli_runner().invoke(args=["jobs", "reconcile"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output.strip().splitlines()[-1]) == {
            "queued": len(categories)}
        db.session.expire_all()
        assert {job.state for job in db.session.execute(select(JobRecord).where(
            JobRecord.kind == "scoring.category")).scalars()} == {JobState.QUEUED}
        db.session.commit()
        db.session.close()
        connection = Redis.from_url(redis_server.url)
        SimpleWorker([Queue("scoring", connection=connection)],
                     connection=connection).work(burst=True)
        db.session.expire_all()
        jobs = list(db.session.execute(select(JobRecord).where(
            JobRecord.kind == "scoring.category")).scalars())
        assert {job.state for job in jobs} == {JobState.DONE}
        assert all(job.attempts == 1 for job in jobs)  # each ran once
        scores = list(db.session.execute(select(CategoryScore.category_id).where(
            CategoryScore.city_id == city_id)).scalars())
        assert sorted(scores) == sorted(categories)  # one result per category
        connection.close()
