"""The one module that enqueues background work.

With REDIS_URL set, work goes to RQ and a worker (`flask rq worker`) runs it; without it,
the same `run_job` runs inline in the web process. Either way the job's state lives in a
`job` row keyed by the RQ job id, and the row is committed *before* anything is queued, so a
worker never looks for a row that does not exist yet (netbox#18880) and a Redis outage only
leaves rows `pending` for `reconcile_pending()` to hand over later.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from intake.extensions import db
from intake.models import JobRecord, JobState
from intake.models._types import utcnow

log = logging.getLogger(__name__)

JobHandler = Callable[[dict[str, Any]], dict[str, Any] | None]
HANDLERS: dict[str, JobHandler] = {}
RETRY_INTERVALS = [5, 30, 120]
_running_job_id: ContextVar[str | None] = ContextVar("running_job_id", default=None)


AfterDone = Callable[[dict[str, Any], dict[str, Any] | None], None]
AFTER_DONE: dict[str, list[AfterDone]] = {}


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Register the function that does a kind of job; it receives and returns plain data."""

    def register(function: JobHandler) -> JobHandler:
        HANDLERS[kind] = function
        return function

    return register


def after_done(kind: str, function: AfterDone) -> None:
    """Call `function(payload, result)` each time a job of this kind is done and committed
    (e.g. a stored score asks for its peer group's statistics). Its errors are logged only:
    the job's work is stored already."""
    if function not in AFTER_DONE.setdefault(kind, []):
        AFTER_DONE[kind].append(function)


def running_job_id() -> str | None:
    """The id of the job row whose handler is running now (None outside a job)."""
    return _running_job_id.get()


def get_redis() -> Redis | None:
    """The app's Redis connection, created on first use (never at import)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    connection = current_app.extensions.get("intake_redis")
    if connection is None:
        connection = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        current_app.extensions["intake_redis"] = connection
    return connection


def enqueue(kind: str, payload: dict[str, Any], *, key: str, queue: str = "default",
            new_key: bool = False) -> JobRecord:
    """Record a job and hand it to a worker (or run it now when there is no Redis).

    `key` names the work: asking twice for the same key while it is waiting or running
    returns the same row, and a finished job with an identical payload is not run again.
    """
    if kind not in HANDLERS:
        raise KeyError(f"no job handler registered for {kind!r}")
    # new_key: the caller made the key unique just now, so no row can hold it yet.
    record = None if new_key else db.session.execute(
        select(JobRecord).where(JobRecord.key == key)).scalar_one_or_none()
    if record is not None:
        # PENDING too: its creator is dispatching it right now (or, after a Redis outage,
        # reconcile_pending will); dispatching it again could run it twice inline.
        if record.state in (JobState.PENDING, JobState.QUEUED, JobState.RUNNING) \
                and record.payload == payload:
            return record
        if record.state == JobState.DONE and record.payload == payload:
            return record
        record.payload = payload
        record.state = JobState.PENDING
        record.error = None
        record.result = None
        record.attempts = 0
        record.id = uuid.uuid4().hex
    else:
        record = JobRecord(id=uuid.uuid4().hex, kind=kind, key=key, queue=queue, payload=payload)
        db.session.add(record)
    # Known before the commit expires the row: dispatching then reads nothing back.
    record_id, record_queue = record.id, record.queue or queue
    try:
        db.session.commit()
    except (IntegrityError, StaleDataError):
        # Another request recorded (or renewed) the same key a moment ago, e.g. a double
        # click: that row is the job, and whoever wrote it dispatches it.
        db.session.rollback()
        existing = db.session.execute(
            select(JobRecord).where(JobRecord.key == key)).scalar_one_or_none()
        if existing is None:
            raise
        return existing
    dispatch(record, record_id=record_id, queue=record_queue, kind=kind)
    return record


def job_timeout(kind: str) -> int:
    """Seconds RQ lets a job of this kind run: JOB_TIMEOUT, or its own in JOB_TIMEOUTS
    (a large export runs for minutes, a mail for seconds)."""
    config = current_app.config
    return int(config.get("JOB_TIMEOUTS", {}).get(kind, config["JOB_TIMEOUT"]))


def dispatch(record: JobRecord, *, record_id: str | None = None,
             queue: str | None = None, kind: str | None = None) -> None:
    """Queue a committed pending row on RQ, or run it inline when Redis is not configured.

    `record_id`, `queue` and `kind`, when the caller knows them, spare reloading the
    expired row."""
    record_id = record_id or record.id
    connection = get_redis()
    if connection is None:
        run_job(record_id)
        db.session.refresh(record)
        return
    from rq import Queue, Retry
    from rq.exceptions import DuplicateJobError

    config = current_app.config
    try:
        Queue(queue or record.queue, connection=connection).enqueue(
            run_job,
            record_id,
            job_id=record_id,
            unique=True,
            retry=Retry(max=config["JOB_RETRIES"], interval=RETRY_INTERVALS),
            job_timeout=job_timeout(kind or record.kind),
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
        )
    except DuplicateJobError:
        pass  # already on the queue: nothing to do
    except RedisError as error:
        log.warning("Redis unavailable, job %s stays pending: %s", record_id, error)
        return
    # Only a row still pending becomes "queued": a fast worker may already have run it, and
    # its "running" or "done" must not be overwritten.
    db.session.execute(update(JobRecord).where(JobRecord.id == record_id,
                                               JobRecord.state == JobState.PENDING)
                       .values(state=JobState.QUEUED),
                       execution_options={"synchronize_session": False})
    db.session.commit()  # the row is expired: its next read sees the state as stored


def reconcile_pending() -> int:
    """Queue every job left pending (e.g. while Redis was down), and every job recorded as
    queued whose RQ job is gone (Redis restarted empty). Returns how many."""
    count = 0
    pending = db.session.execute(
        select(JobRecord).where(JobRecord.state == JobState.PENDING)).scalars()
    for record in list(pending):
        dispatch(record)
        count += 1
    connection = get_redis()
    if connection is None:
        return count
    queued = db.session.execute(
        select(JobRecord).where(JobRecord.state == JobState.QUEUED)).scalars()
    for record in list(queued):
        if _rq_status(connection, record.id) is None:
            _requeue(record, "its queue entry was lost (Redis restarted)")
            count += 1
    return count


# RQ states after which the RQ job will never run again by itself.
_RQ_GAVE_UP = {"failed", "stopped", "canceled"}


def _rq_status(connection: Redis, job_id: str) -> str | None:
    """The RQ job's status, or None when Redis no longer knows the job."""
    from rq.exceptions import InvalidJobOperation, NoSuchJobError
    from rq.job import Job

    try:
        status = Job.fetch(job_id, connection=connection).get_status(refresh=False)
    except (NoSuchJobError, InvalidJobOperation):  # no job, or a husk without a status
        return None
    return str(getattr(status, "value", status)) if status is not None else None


def _requeue(record: JobRecord, why: str) -> None:
    """Hand a lost job to a worker again, or mark it failed once it used its attempts."""
    connection = get_redis()
    if record.attempts >= current_app.config["JOB_RETRIES"] + 1:
        record.state = JobState.FAILED
        record.error = f"gave up after {record.attempts} attempt(s): {why}"[:2000]
        record.finished_at = utcnow()
        db.session.commit()
        return
    if connection is not None:
        from rq.exceptions import InvalidJobOperation, NoSuchJobError
        from rq.job import Job

        # The old entry (failed, stopped, half-run) would block a job with the same id.
        try:
            Job.fetch(record.id, connection=connection).delete(remove_from_queue=True)
        except (NoSuchJobError, InvalidJobOperation):
            pass
        except RedisError:
            return
    record.state = JobState.PENDING
    record.error = why[:2000]
    db.session.commit()
    dispatch(record)


def reap_jobs(now: datetime | None = None) -> dict[str, int]:
    """Re-queue `queued`/`running` rows whose RQ job is gone after its lease; fail those
    that used their attempts. Run on a schedule (`flask rq cron`) and by each worker start.

    A row's lease: RQ stops a job after JOB_TIMEOUT, so a row still `running` (or still
    `queued` with no live RQ job) that long after it started belongs to a worker that died.
    """
    connection = get_redis()
    if connection is None:
        return {"requeued": 0, "failed": 0}
    # Rows left pending while Redis was away: a worker that never lost its connection (or
    # was stopped meanwhile) does not hand them over itself. Queuing one twice is harmless:
    # its RQ job id is the row's id, and RQ refuses a duplicate.
    for record in list(db.session.execute(
            select(JobRecord).where(JobRecord.state == JobState.PENDING)).scalars()):
        dispatch(record)
    now = now or utcnow()
    grace = current_app.config["JOB_LEASE_GRACE"]
    counts = {"requeued": 0, "failed": 0}
    rows = db.session.execute(select(JobRecord).where(
        JobRecord.state.in_((JobState.QUEUED, JobState.RUNNING)))).scalars()
    for record in list(rows):
        since = record.started_at or record.created_at
        lease = timedelta(seconds=job_timeout(record.kind) + grace)
        status = _rq_status(connection, record.id)
        if record.state == JobState.QUEUED:
            lost = status is None or status in _RQ_GAVE_UP
        else:
            lost = since + lease < now and status not in ("queued", "scheduled", "deferred")
        if not lost:
            continue
        _requeue(record, "the worker running it stopped" if record.state == JobState.RUNNING
                 else "its queue entry was lost")
        counts["failed" if record.state == JobState.FAILED else "requeued"] += 1
    return counts


def retry(job_id: str) -> JobRecord | None:
    """Run a failed job again (the retry button)."""
    record = db.session.get(JobRecord, job_id)
    if record is None or record.state != JobState.FAILED:
        return record
    record.state = JobState.PENDING
    record.error = None
    db.session.commit()
    dispatch(record)
    return record


_engine_pid = os.getpid()


def _fresh_connections_after_fork() -> None:
    # RQ runs each job in a forked "work horse": pooled connections inherited from the
    # parent must not be shared with it.
    global _engine_pid
    if os.getpid() != _engine_pid:
        db.engine.dispose(close=False)
        _engine_pid = os.getpid()


def _rq_retries_left() -> int:
    try:
        from rq import get_current_job
    except ImportError:  # pragma: no cover
        return 0
    job = get_current_job()
    return int(job.retries_left or 0) if job is not None else 0


def run_job(job_id: str) -> dict[str, Any] | None:
    """Execute a recorded job. Module-level so RQ can import it; safe to run twice."""
    _fresh_connections_after_fork()
    record = db.session.get(JobRecord, job_id)
    if record is None:
        log.warning("job %s has no row; nothing to do", job_id)
        return None
    if record.state == JobState.DONE:
        return record.result
    kind = record.kind
    handler = HANDLERS[kind]
    payload = dict(record.payload)
    db.session.execute(_mark_running(job_id), execution_options={"synchronize_session": False})
    db.session.commit()
    token = _running_job_id.set(job_id)
    try:
        result = handler(payload)
    except Exception as error:
        db.session.rollback()
        record = db.session.get(JobRecord, job_id)
        record.error = f"{type(error).__name__}: {error}"[:2000]
        record.state = JobState.QUEUED if _rq_retries_left() > 0 else JobState.FAILED
        record.finished_at = utcnow()
        db.session.commit()
        if get_redis() is not None:
            raise  # let RQ record the failure and schedule the retry
        log.exception("inline job %s failed", job_id)
        return None
    finally:
        _running_job_id.reset(token)
    # One UPDATE by id, in the handler's transaction when it left its work uncommitted (the
    # scoring job does: its score and this row are then one commit), and without reading
    # the row back first.
    db.session.execute(_mark_done(job_id, result),
                       execution_options={"synchronize_session": False})
    db.session.commit()
    for function in AFTER_DONE.get(kind, ()):
        try:
            function(payload, result)
        except Exception:
            db.session.rollback()
            log.exception("after job %s (%s)", job_id, kind)
    return result


def _mark_running(job_id: str):
    return update(JobRecord).where(JobRecord.id == job_id).values(
        state=JobState.RUNNING, attempts=JobRecord.attempts + 1, started_at=utcnow())


def _mark_done(job_id: str, result: dict[str, Any] | None):
    return update(JobRecord).where(JobRecord.id == job_id).values(
        result=result, state=JobState.DONE, error=None, finished_at=utcnow())


WARM_UPS: list[Callable[[], None]] = []


def warms_up(function: Callable[[], None]) -> Callable[[], None]:
    """Register a function that runs, without changing anything, the statements of a job."""
    WARM_UPS.append(function)
    return function


def warm_up_statements() -> None:
    """Compile the statements jobs run, once, in a forking worker's parent process.

    Each job runs in a new forked process that starts with a copy of the parent's
    compiled-statement cache and throws its own away when it exits: without this, every
    job compiled every statement again (about 40 % of a scoring job's time). The statements
    are run against a job id that does not exist and rolled back.
    """
    missing = "warm-up:no-such-job"
    db.session.get(JobRecord, missing)
    db.session.execute(_mark_running(missing), execution_options={"synchronize_session": False})
    db.session.execute(_mark_done(missing, {}), execution_options={"synchronize_session": False})
    for warm_up in WARM_UPS:
        warm_up()
    db.session.rollback()
