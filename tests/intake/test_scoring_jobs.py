"""Scoring in the background: one job per completed category, one result per input,
through the inline runner and through real RQ workers (including one killed mid-job)."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, SimpleWorker, Worker
from rq.registry import StartedJobRegistry
from sqlalchemy import func, select

from intake import jobs as jobs_module
from intake.demo import DEMO_VALUES
from intake.extensions import db
from intake.jobs import HANDLERS, run_job
from intake.models import JobRecord, JobState
from intake.models.score import CategoryScore
from intake.services import scoring as scoring_service
from intake.services.cities import create_city
from intake.services.values import (
    get_city_values,
    mark_category_complete,
    reopen_category,
    set_city_values,
)

CATEGORY = "ec-ict-infrastructure"


def category_values(category_id: str = CATEGORY) -> dict:
    catalog = scoring_service.get_catalog()
    needed = {p.id for k in catalog.kpis_in(category_id) for p in k.data_points}
    return {key: value for key, value in DEMO_VALUES.items() if key in needed}


def make_city(name: str = "Testville") -> int:
    city = create_city(name=name, population=250_000)
    set_city_values(city.id, category_values(), actor="test")
    return city.id


def score_rows(city_id: int | None = None) -> list[CategoryScore]:
    query = select(CategoryScore).order_by(CategoryScore.id)
    if city_id is not None:
        query = query.where(CategoryScore.city_id == city_id)
    return list(db.session.execute(query).scalars())


def scoring_jobs() -> list[JobRecord]:
    return list(db.session.execute(
        select(JobRecord).where(JobRecord.kind == "scoring.category")).scalars())


# ------------------------------------------------------------------------ inline (no Redis)
def test_saving_an_unfinished_category_queues_nothing(app):
    make_city()
    assert scoring_jobs() == [] and score_rows() == []


def test_completing_a_category_enqueues_one_job_and_stores_one_result(app):
    city_id = make_city()
    mark_category_complete(city_id, CATEGORY, actor="test")
    jobs = scoring_jobs()
    assert len(jobs) == 1 and jobs[0].state == JobState.DONE and jobs[0].queue == "scoring"
    [row] = score_rows(city_id)
    # demo ICT figures: 90 %, 75 %, 84.8 %, 99.6 %, 97 % of target → 3, 3, 3, 4, 4; hotspots
    # have no target
    assert row.percent == pytest.approx(85.0) and row.band == 3
    assert (row.scored, row.reported, row.total) == (5, 6, 6)
    catalog = scoring_service.get_catalog()
    assert row.catalog_version == catalog.version
    assert row.benchmark_version == catalog.benchmark_version
    assert row.job_id == jobs[0].id
    items = {item["id"]: item for item in row.items}
    first = items["EC: ICT: ICT: 1C"]
    assert (first["value"], first["target"], first["percent"], first["band"]) == (
        90.0, 100.0, 90.0, 3)
    assert items["EC: ICT: ICT: 5C"]["status"] == "no_target"


def test_changing_data_of_a_complete_category_rescores_it(app):
    city_id = make_city()
    mark_category_complete(city_id, CATEGORY, actor="test")
    set_city_values(city_id, {"hh_internet": 110_000}, actor="test", reason="correction")
    rows = score_rows(city_id)
    assert len(rows) == 2 and len(scoring_jobs()) == 2
    latest = {item["id"]: item for item in rows[-1].items}
    assert latest["EC: ICT: ICT: 1C"]["band"] == 4
    assert rows[0].input_hash != rows[1].input_hash


def test_reopening_and_completing_unchanged_data_adds_no_row(app):
    city_id = make_city()
    mark_category_complete(city_id, CATEGORY, actor="test")
    reopen_category(city_id, CATEGORY, actor="test")
    set_city_values(city_id, {"hh_internet": 98_000}, actor="test")  # in progress: no job
    assert len(scoring_jobs()) == 1
    set_city_values(city_id, {"hh_internet": 99_000}, actor="test")  # back as it was
    mark_category_complete(city_id, CATEGORY, actor="test")
    assert len(score_rows(city_id)) == 1 and len(scoring_jobs()) == 1


def test_the_same_job_run_twice_leaves_one_row(app):
    city_id = make_city()
    mark_category_complete(city_id, CATEGORY, actor="test")
    [job] = scoring_jobs()
    before = score_rows(city_id)[0]
    job.state = JobState.QUEUED  # as if RQ delivered it again (at-least-once)
    db.session.commit()
    run_job(job.id)
    scoring_service.run_scoring(job.payload)
    rows = score_rows(city_id)
    assert len(rows) == 1 and rows[0].id == before.id
    assert db.session.get(JobRecord, job.id).state == JobState.DONE


def test_a_concurrent_insert_of_the_same_result_is_a_no_op(app, monkeypatch):
    city_id = make_city()
    mark_category_complete(city_id, CATEGORY, actor="test")
    [job] = scoring_jobs()
    result = scoring_service.score_category(job.payload)
    real_find = scoring_service._find
    calls = []

    def find_missing_once(unique):
        # The first look finds nothing, as when another worker inserts in between.
        calls.append(unique)
        return None if len(calls) == 1 else real_find(unique)

    monkeypatch.setattr(scoring_service, "_find", find_missing_once)
    row = scoring_service.store_result(result)
    assert row.id == score_rows(city_id)[0].id and len(score_rows(city_id)) == 1


def test_a_failing_score_is_recorded_and_the_save_survives(app, monkeypatch):
    city_id = make_city()

    def broken(payload):
        raise RuntimeError("scoring exploded")

    monkeypatch.setitem(HANDLERS, "scoring.category", broken)
    mark_category_complete(city_id, CATEGORY, actor="test")
    [job] = scoring_jobs()
    assert job.state == JobState.FAILED and "scoring exploded" in job.error
    assert score_rows(city_id) == []
    monkeypatch.setitem(HANDLERS, "scoring.category", scoring_service.run_scoring)
    assert scoring_service.retry_scoring_job(city_id, job.id) is True
    assert db.session.get(JobRecord, job.id).state == JobState.DONE
    assert len(score_rows(city_id)) == 1
    assert scoring_service.retry_scoring_job(city_id + 1, job.id) is False


def test_rescore_all_keeps_each_result_with_its_versions(app, runner, monkeypatch):
    city_id = make_city()
    mark_category_complete(city_id, CATEGORY, actor="test")
    result = runner.invoke(args=["scoring", "rescore", "--all"])
    assert result.exit_code == 0, result.output
    assert '"queued": 1' in result.output
    assert len(score_rows(city_id)) == 1  # same input, same versions: nothing new
    catalog = scoring_service.get_catalog()
    new_set = dataclasses.replace(catalog, benchmark_version="provisional-next")
    monkeypatch.setattr(scoring_service, "get_catalog", lambda: new_set)
    result = runner.invoke(args=["scoring", "rescore", "--all"])
    assert result.exit_code == 0, result.output
    versions = sorted(row.benchmark_version for row in score_rows(city_id))
    assert versions == sorted([catalog.benchmark_version, "provisional-next"])


def test_rescore_needs_to_know_which_cities(app, runner):
    result = runner.invoke(args=["scoring", "rescore"])
    assert result.exit_code == 2 and "--all" in result.output


# ------------------------------------------------------------------------ real Redis + RQ
def _clean_slate_for_workers() -> None:
    # Nothing of this process may hold a transaction (SQLite takes the write lock at BEGIN).
    db.session.commit()
    db.session.close()


@pytest.mark.redis
def test_a_real_rq_worker_stores_exactly_one_result(app, app_factory, database_url, redis_url):
    redis_app = app_factory(database_url, REDIS_URL=redis_url)
    with redis_app.app_context():
        city_id = make_city()
        mark_category_complete(city_id, CATEGORY, actor="test")
        [job] = scoring_jobs()
        assert job.state == JobState.QUEUED and score_rows() == []  # not in the request
        job_id = job.id
        _clean_slate_for_workers()
        connection = Redis.from_url(redis_url)
        # A forking worker, as `make worker` runs; burst: stop when the queue is empty.
        Worker([Queue("scoring", connection=connection)], connection=connection).work(
            burst=True)
        db.session.expire_all()
        assert db.session.get(JobRecord, job_id).state == JobState.DONE
        assert len(score_rows(city_id)) == 1
        # Asking again for the same input queues nothing and adds nothing.
        assert scoring_service.request_scoring(city_id, CATEGORY).id == job_id
        SimpleWorker([Queue("scoring", connection=connection)],
                     connection=connection).work(burst=True)
        assert len(score_rows(city_id)) == 1


GATE: dict[str, str] = {}


def _blocking_scoring(payload):
    """Test handler: holds the job (like a slow score) until the test releases or kills it."""
    gate = Path(GATE["dir"])
    if (gate / "block").exists():
        (gate / "horse.pid").write_text(str(os.getpid()))
        deadline = time.monotonic() + 60
        while (gate / "block").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    return scoring_service.run_scoring(payload)


def _run_worker(redis_url: str) -> None:
    connection = Redis.from_url(redis_url)
    Worker([Queue("scoring", connection=connection)], connection=connection).work(burst=True)


@pytest.mark.redis
@pytest.mark.slow
def test_killing_the_worker_mid_job_still_ends_with_one_result(
        app, app_factory, database_url, redis_url, tmp_path, monkeypatch):
    GATE["dir"] = str(tmp_path)
    monkeypatch.setitem(HANDLERS, "scoring.category", _blocking_scoring)
    # No waiting between retries, so the retried job is back on the queue at once.
    monkeypatch.setattr(jobs_module, "RETRY_INTERVALS", [0])
    redis_app = app_factory(database_url, REDIS_URL=redis_url)
    with redis_app.app_context():
        city_id = make_city()
        values_before = get_city_values(city_id)
        (tmp_path / "block").write_text("hold")
        mark_category_complete(city_id, CATEGORY, actor="test")
        [job] = scoring_jobs()
        job_id = job.id
        _clean_slate_for_workers()

        worker = multiprocessing.get_context("fork").Process(target=_run_worker,
                                                             args=(redis_url,))
        worker.start()
        pid_file = tmp_path / "horse.pid"
        deadline = time.monotonic() + 30
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pid_file.exists(), "the job never started"
        horse = int(pid_file.read_text())
        # The machine loses the worker: parent and work horse die without a word.
        os.kill(worker.pid, signal.SIGKILL)
        os.kill(horse, signal.SIGKILL)
        worker.join(10)
        (tmp_path / "block").unlink()

        db.session.expire_all()
        assert db.session.get(JobRecord, job_id).state == JobState.RUNNING
        assert score_rows(city_id) == []
        _clean_slate_for_workers()
        connection = Redis.from_url(redis_url)
        queue = Queue("scoring", connection=connection)
        # A later maintenance pass finds the abandoned job and retries it.
        StartedJobRegistry(queue=queue).cleanup(timestamp=time.time() + 1000)
        Worker([queue], connection=connection).work(burst=True)

        db.session.expire_all()
        record = db.session.get(JobRecord, job_id)
        assert record.state == JobState.DONE and record.attempts == 2
        rows = score_rows(city_id)
        assert len(rows) == 1 and rows[0].percent == pytest.approx(85.0)
        assert get_city_values(city_id) == values_before
        assert db.session.execute(select(func.count(JobRecord.id))).scalar_one() == 1
