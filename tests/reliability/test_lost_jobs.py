"""The probe's job scenarios against real redis-server and `flask rq worker` processes.

A worker SIGKILLed mid-job, Redis killed and restarted empty with mails queued, a dead
scheduler's lock: each ends with every job done exactly once (each e-mail received once) and
no row left `running` or `queued`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select

from intake.extensions import db
from intake.jobs import enqueue, reap_jobs
from intake.models import JobRecord, JobState
from intake.models._types import utcnow
from intake.services.mail import send_mail
from tests.reliability import job_handlers  # noqa: F401  (the test jobs, as in the worker)
from tests.reliability.fake_smtp import FakeSMTP

pytestmark = [pytest.mark.redis, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


class WorkerProcess:
    """`flask rq worker` in its own process group, as systemd would run it."""

    def __init__(self, database_url: str, redis_url: str, tmp_path: Path, smtp_port: int,
                 *args: str):
        env = {**os.environ, "FLASK_APP": "tests.reliability.worker_app",
               "DATABASE_URL": database_url, "REDIS_URL": redis_url,
               "SECRET_KEY": "test-secret", "MAIL_SERVER": "127.0.0.1",
               "MAIL_PORT": str(smtp_port), "JOB_TIMEOUT": "30",
               "PYTHONPATH": str(ROOT)}
        self.log = tmp_path / f"worker-{time.monotonic_ns()}.log"
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "flask"), "rq", "worker", *args],
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True)

    def signal(self, number: int) -> None:
        os.killpg(self.process.pid, number)

    def kill_all(self) -> None:
        """SIGKILL the worker and its work horse (RQ starts the horse in its own session)."""
        pids = _descendants(self.process.pid)
        self.signal(signal.SIGKILL)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        stop_all([self])


def stop_all(workers: list[WorkerProcess]) -> None:
    """SIGTERM every worker at once, give each up to 20 s, then SIGKILL what is left.

    Stopped one after the other, each worker's 20 s came on top of the previous one's.
    """
    leftovers = {id(worker): _descendants(worker.process.pid) for worker in workers}
    for worker in workers:
        if worker.alive():
            worker.signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for worker in workers:
        try:
            worker.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.signal(signal.SIGKILL)
            worker.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            worker.signal(signal.SIGKILL)  # the scheduler child, if it outlived the worker
        for pid in leftovers[id(worker)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def wait_until(condition, what: str, timeout: float = 180.0, worker=None, why=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        done = condition()
        # Never hold a transaction while the worker runs (SQLite: BEGIN IMMEDIATE locks).
        db.session.commit()
        if done:
            return
        time.sleep(0.2)
    log = worker.log.read_text()[-3000:] if worker is not None else ""
    found = why() if why is not None else ""
    raise AssertionError(f"gave up waiting for {what}: {found}\n{log}")


def rows() -> list[JobRecord]:
    return list(db.session.execute(select(JobRecord)).scalars())


def states() -> set[JobState]:
    return {row.state for row in rows()}


@pytest.fixture
def smtp():
    with FakeSMTP() as server:
        yield server


@pytest.fixture
def web(app, app_factory, database_url, redis_url, smtp):
    """The web process's app: REDIS_URL set, e-mail to the fake server."""
    application = app_factory(database_url, REDIS_URL=redis_url, MAIL_SERVER="127.0.0.1",
                              MAIL_PORT=smtp.port, JOB_TIMEOUT=30)
    with application.app_context():
        yield application
        db.session.remove()


@pytest.fixture
def workers(database_url, redis_url, tmp_path, smtp):
    started: list[WorkerProcess] = []

    def start(*args: str) -> WorkerProcess:
        db.session.commit()  # no open transaction while another process writes
        worker = WorkerProcess(database_url, redis_url, tmp_path, smtp.port, *args)
        started.append(worker)
        return worker

    yield start
    db.session.rollback()  # SQLite: a lock held here would keep a finishing job waiting
    stop_all(started)


def test_worker_killed_while_sending_sends_the_mail_once(web, workers, smtp):
    smtp.hang.set()  # the server takes the message and never confirms it
    send_mail(to=["fp@city.example"], subject="Your workspace", body="Link", key="kill-1")
    first = workers()
    wait_until(lambda: len(smtp.messages) == 1, "the message to reach the server",
               worker=first)
    first.kill_all()
    smtp.hang.clear()
    (row,) = rows()
    assert row.state == JobState.RUNNING  # what the probe found stuck forever

    # Before its lease ends the row is left alone; after it, the reaper hands it over.
    assert reap_jobs() == {"requeued": 0, "failed": 0}
    later = utcnow() + timedelta(seconds=30 + web.config["JOB_LEASE_GRACE"] + 1)
    assert reap_jobs(now=later) == {"requeued": 1, "failed": 0}
    second = workers("--burst")
    second.process.wait(timeout=120)
    db.session.expire_all()
    (row,) = rows()
    assert row.state == JobState.DONE, second.log.read_text()[-3000:]
    assert row.attempts == 2
    assert len(smtp.messages) == 1  # at most once: the interrupted send is not repeated
    assert row.result["sent"] is None and "sending_started" in row.result


def test_a_job_killed_mid_run_is_done_once_after_the_reaper(web, workers, tmp_path):
    log = tmp_path / "slow.log"
    enqueue("test.slow", {"log": str(log), "seconds": 2}, key="slow-1")
    first = workers()
    wait_until(lambda: log.exists(), "the job to start", worker=first)
    first.kill_all()
    later = utcnow() + timedelta(seconds=30 + web.config["JOB_LEASE_GRACE"] + 1)
    assert reap_jobs(now=later) == {"requeued": 1, "failed": 0}
    second = workers("--burst")
    second.process.wait(timeout=120)
    db.session.expire_all()
    (row,) = rows()
    assert (row.state, row.attempts) == (JobState.DONE, 2)
    assert log.read_text().splitlines() == ["start", "start", "end"]  # finished once


def test_a_job_lost_too_often_is_marked_failed(web, redis_url):
    record = enqueue("test.slow", {"log": "/dev/null", "seconds": 0}, key="lost-often")
    db.session.execute(JobRecord.__table__.update().values(
        state=JobState.RUNNING, attempts=web.config["JOB_RETRIES"] + 1,
        started_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    Redis.from_url(redis_url).flushdb()
    assert reap_jobs() == {"requeued": 0, "failed": 1}
    db.session.expire_all()
    assert db.session.get(JobRecord, record.id).state == JobState.FAILED
    assert "gave up after" in db.session.get(JobRecord, record.id).error


def test_redis_restarted_empty_with_mails_queued(web, workers, smtp, redis_server):
    worker = workers()
    connection = Redis.from_url(redis_server.url)
    wait_until(lambda: connection.exists("rq:workers"), "the worker to register",
               worker=worker)
    worker.signal(signal.SIGSTOP)  # busy elsewhere: the mails wait in Redis
    for number in range(3):
        send_mail(to=["fp@city.example"], subject=f"Queued {number}", body="x",
                  key=f"queued-{number}")
    assert states() == {JobState.QUEUED}
    redis_server.stop()
    for number in range(2):  # while Redis is down: kept pending
        send_mail(to=["fp@city.example"], subject=f"Pending {number}", body="x",
                  key=f"pending-{number}")
    worker.signal(signal.SIGCONT)
    time.sleep(1)
    redis_server.start()  # empty: the three queued entries are gone
    web.extensions.pop("intake_redis", None)
    # What `flask rq cron` does every minute: enqueue the reaper through RQ.
    from intake.schedule import build_cron_scheduler

    connection = Redis.from_url(redis_server.url)
    assert "intake.maintenance.reap_lost_jobs" in [
        job.func_name for job in build_cron_scheduler(connection, 30).enqueue_jobs()]
    wait_until(lambda: states() == {JobState.DONE}, "every mail to be sent", worker=worker,
               why=lambda: sorted((row.key, str(row.state)) for row in rows()))
    assert worker.alive()  # it outlived the outage
    subjects = sorted(message.split(b"Subject: ")[1].split(b"\r\n")[0].decode()
                      for message in smtp.messages)
    assert subjects == ["Pending 0", "Pending 1", "Queued 0", "Queued 1", "Queued 2"]
    assert all(row.attempts == 1 for row in rows())


def test_a_dead_schedulers_lock_does_not_hold_back_retries(web, workers, redis_url,
                                                           tmp_path):
    connection = Redis.from_url(redis_url)
    gone = subprocess.Popen(["true"])
    gone.wait()
    # The lock and record a scheduler leaves when its worker is SIGKILLed, with a long TTL.
    connection.set("rq:scheduler-lock:default", "dead-scheduler", ex=3600)
    connection.hset("rq:scheduler:dead-scheduler", mapping={
        "name": "dead-scheduler", "hostname": socket.gethostname(), "pid": str(gone.pid)})
    connection.expire("rq:scheduler:dead-scheduler", 3600)
    marker = tmp_path / "flaky"
    record = enqueue("test.flaky", {"marker": str(marker)}, key="flaky-1")
    worker = workers()
    # The first run fails; RQ's scheduler must move the retry (5 s later) back to the queue.
    wait_until(lambda: db.session.get(JobRecord, record.id).state == JobState.DONE,
               "the retry to run", worker=worker)
    assert marker.read_text() == "2"
    assert db.session.get(JobRecord, record.id).attempts == 2
    assert connection.get("rq:scheduler-lock:default") not in (None, b"dead-scheduler")


def test_an_idle_worker_stops_on_sigterm_with_its_scheduler(web, workers, redis_url):
    """systemd (or a deploy) stops a waiting worker with SIGTERM: the worker and its scheduler
    exit, instead of the supervisor taking the stop for a lost connection and starting a new
    worker that runs on until SIGKILL."""
    from rq import Worker

    worker = workers()
    connection = Redis.from_url(redis_url)
    wait_until(lambda: any(w.get_state() == "idle" for w in Worker.all(connection=connection)),
               "the worker to wait for jobs", worker=worker)
    family = [worker.process.pid, *_descendants(worker.process.pid)]
    assert len(family) >= 2  # the worker and its scheduler process
    worker.signal(signal.SIGTERM)
    try:
        assert worker.process.wait(timeout=15) == 0, worker.log.read_text()[-3000:]
    except subprocess.TimeoutExpired:
        raise AssertionError("the worker ran on after SIGTERM:\n"
                             + worker.log.read_text()[-3000:]) from None
    alive = [pid for pid in family if Path(f"/proc/{pid}").exists()
             and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]]
    assert alive == []
    assert Worker.all(connection=connection) == []
