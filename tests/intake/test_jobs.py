"""Jobs: the same code path inline (no Redis) and through RQ (real Redis)."""

import pytest
from redis import Redis
from rq import Queue, SimpleWorker

from intake.extensions import db
from intake.jobs import HANDLERS, enqueue, job_handler, reconcile_pending, retry
from intake.models import JobRecord, JobState

CALLS: list[dict] = []


@job_handler("test.echo")
def echo(payload):
    CALLS.append(payload)
    if payload.get("fail"):
        raise RuntimeError("asked to fail")
    return {"echo": payload["value"] * 2}


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()
    yield
    CALLS.clear()


def test_inline_job_runs_and_records_result(app):
    record = enqueue("test.echo", {"value": 21}, key="echo-21")
    assert record.state == JobState.DONE
    assert record.result == {"echo": 42}
    assert record.attempts == 1


def test_same_key_and_payload_runs_once(app):
    first = enqueue("test.echo", {"value": 1}, key="echo-1")
    second = enqueue("test.echo", {"value": 1}, key="echo-1")
    assert first.id == second.id and len(CALLS) == 1
    assert db.session.query(JobRecord).count() == 1


def test_failed_inline_job_is_recorded_and_can_be_retried(app):
    record = enqueue("test.echo", {"value": 1, "fail": True}, key="echo-fail")
    assert record.state == JobState.FAILED and "asked to fail" in record.error
    record.payload = {"value": 3}
    db.session.commit()
    again = retry(record.id)
    assert again.state == JobState.DONE and again.result == {"echo": 6}


def test_unknown_kind_is_refused(app):
    with pytest.raises(KeyError):
        enqueue("no.such.kind", {}, key="x")
    assert "test.echo" in HANDLERS


@pytest.mark.redis
def test_job_goes_through_rq_worker(app_factory, database_url, redis_url):
    app = app_factory(database_url, REDIS_URL=redis_url)
    with app.app_context():
        record = enqueue("test.echo", {"value": 5}, key="echo-rq", queue="default")
        assert record.state == JobState.QUEUED and CALLS == []
        connection = Redis.from_url(redis_url)
        SimpleWorker([Queue("default", connection=connection)],
                     connection=connection).work(burst=True)
        db.session.expire_all()
        stored = db.session.get(JobRecord, record.id)
        assert stored.state == JobState.DONE and stored.result == {"echo": 10}
        db.session.delete(stored)
        db.session.commit()


@pytest.mark.redis
def test_redis_down_leaves_job_pending_then_reconciles(app_factory, database_url,
                                                       redis_server):
    app = app_factory(database_url, REDIS_URL=redis_server.url)
    with app.app_context():
        redis_server.stop()
        try:
            record = enqueue("test.echo", {"value": 7}, key="echo-outage")
            assert record.state == JobState.PENDING  # saved, not lost, no error raised
        finally:
            redis_server.start()
        app.extensions.pop("intake_redis", None)
        assert reconcile_pending() == 1
        connection = Redis.from_url(redis_server.url)
        SimpleWorker([Queue("default", connection=connection)],
                     connection=connection).work(burst=True)
        db.session.expire_all()
        stored = db.session.get(JobRecord, record.id)
        assert stored.state == JobState.DONE and stored.result == {"echo": 14}
        db.session.delete(stored)
        db.session.commit()


def test_a_forking_worker_compiles_job_statements_once_before_forking(app):
    from sqlalchemy import event

    from intake.jobs import run_job, warm_up_statements

    record = JobRecord(id="warm-1", kind="test.echo", key="echo-warm", queue="default",
                       payload={"value": 4}, state=JobState.QUEUED)
    db.session.add(record)
    db.session.commit()
    db.session.remove()

    warm_up_statements()
    # It changed nothing.
    assert db.session.get(JobRecord, "warm-1").state == JobState.QUEUED
    assert db.session.get(JobRecord, "warm-1").attempts == 0
    db.session.remove()

    # A job run afterwards (as in a forked work horse, which starts with this cache)
    # compiles none of the job row's statements again.
    compiled_anew = []

    def record_cache_use(connection, cursor, statement, parameters, context, many):
        if " job" in statement and context.cache_hit is not context.dialect.CACHE_HIT:
            compiled_anew.append(statement)

    event.listen(db.engine, "after_cursor_execute", record_cache_use)
    try:
        assert run_job("warm-1") == {"echo": 8}
    finally:
        event.remove(db.engine, "after_cursor_execute", record_cache_use)
    assert compiled_anew == []
    done = db.session.get(JobRecord, "warm-1")
    assert (done.state, done.attempts, done.result) == (JobState.DONE, 1, {"echo": 8})
