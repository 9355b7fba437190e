"""Reminders through real RQ workers: two at once, restarted daily, one killed mid-send."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import JobRecord, ReminderSent
from intake.models.city import ProgrammeStage
from intake.services import reminders
from intake.services import team as team_service
from intake.services.cities import create_city

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
DRAINAGE = "ec-drainage"


class Sink:
    """A real SMTP server (aiosmtpd) that keeps what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd)
                import email

                parsed = email.message_from_bytes(envelope.content)
                with sink.lock:
                    sink.messages.extend((to, str(parsed["Subject"]))
                                         for to in envelope.rcpt_tos)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=_free_port())
        self.controller.start()
        self.port = self.controller.port

    def taken(self) -> list[tuple[str, str]]:
        with self.lock:
            return list(self.messages)

    def stop(self):
        self.controller.stop()


class Silent:
    """Accepts SMTP connections and never answers: a send hangs there until killed."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _address = self.server.accept()
            except OSError:
                return
            self.held.append(connection)

    def stop(self):
        self.server.close()
        for connection in self.held:
            connection.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_worker(env: dict, now: datetime, mail_port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.intake.clock_worker", "mail", "default"], cwd=ROOT,
        env={**env, "INTAKE_TEST_NOW": now.isoformat(), "MAIL_PORT": str(mail_port)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def stop(worker: subprocess.Popen, sig=signal.SIGTERM) -> None:
    stop_all([worker], sig)


def stop_all(workers: list[subprocess.Popen], sig=signal.SIGTERM) -> None:
    """Signal every worker at once, then give each up to 30 s to exit before SIGKILL.

    One after the other, each worker's wait came on top of the previous one's (a worker
    can take the whole 30 s: RQ waits for its scheduler process to end).
    """
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, sig)
    deadline = time.monotonic() + 30
    for worker in workers:
        try:
            worker.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def wait_for(condition, timeout=180.0):  # generous: a loaded machine starts workers slowly
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def delivered() -> int:
    db.session.expire_all()
    return len(db.session.execute(select(ReminderSent).where(
        ReminderSent.delivered_at.is_not(None))).scalars().all())


def queued() -> int:
    db.session.expire_all()
    return len(db.session.execute(select(ReminderSent)).scalars().all())


def test_two_workers_send_each_reminder_once_and_survive_a_kill(app_factory, postgres_app,
                                                                 postgres_database_url,
                                                                 redis_url):
    """On PostgreSQL only: several worker processes write at once."""
    from redis import Redis
    from rq import Queue

    database_url = postgres_database_url
    sink, silent = Sink(), Silent()
    app = app_factory(database_url, REDIS_URL=redis_url, SECRETARIAT_EMAIL="sec@example.org")
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "SECRET_KEY": "test-secret", "PUBLIC_BASE_URL": "http://localhost",
           "MAIL_SERVER": "127.0.0.1", "SECRETARIAT_EMAIL": "sec@example.org",
           "JOB_TIMEOUT": "30"}
    workers: list[subprocess.Popen] = []
    try:
        with app.app_context():
            city = create_city(name="Workham", population=50_000, locale="en",
                               focal_point_name="Ana Focal", focal_point_email="ana@example.org")
            city.stage = ProgrammeStage.DATA_COLLECTION
            db.session.commit()
            reminders.set_deadline(city.id, date(2027, 3, 31))
            team_service.invite(city.id, name="Bo Water", email="bo@example.org",
                                department="Water utility", categories=[DRAINAGE], kpis=[],
                                due_on=date(2027, 3, 10))
            connection = Redis.from_url(redis_url)
            expected = {
                date(2027, 3, 6): [("ana@example.org", "digest")],
                date(2027, 3, 7): [("bo@example.org", "due soon")],
                date(2027, 3, 9): [("ana@example.org", "digest")],
                date(2027, 3, 11): [("bo@example.org", "overdue")],
            }
            seen = 0
            for day, wanted in expected.items():
                now = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
                workers = [start_worker(env, now, sink.port) for _ in range(2)]
                if day != date(2027, 3, 6):
                    # The first day relies on the sweep the workers book on RQ's scheduler
                    # alone; on the others two more run at once, one in each worker.
                    for _ in range(2):
                        Queue("default", connection=connection).enqueue(
                            reminders.sweep, job_timeout=60)
                target = seen + len(wanted) + (1 if day == date(2027, 3, 6) else 0)
                assert wait_for(lambda target=target: len(sink.taken()) >= target), (
                    day, sink.taken())
                time.sleep(3)  # time for a duplicate to show up, if there were one
                stop_all(workers)
                got = sink.taken()[seen:]
                seen = len(sink.taken())
                recipients = sorted(to for to, _subject in got)
                if day == date(2027, 3, 6):  # the invitation e-mail went out that day too
                    assert ("bo@example.org", "Workham: your part of the U4SSC data "
                            "collection") in got
                    recipients.remove("bo@example.org")
                assert recipients == sorted(to for to, _what in wanted), (day, got)

            # Day 18: one worker hangs on the mail server and is killed mid-send.
            day = datetime(2027, 3, 18, 9, tzinfo=UTC)
            before = queued()
            hung = start_worker(env, day, silent.port)
            workers = [hung]
            assert wait_for(lambda: queued() >= before + 2)  # overdue to Bo, digest to Ana
            db.session.expire_all()
            assert wait_for(lambda: db.session.execute(select(ReminderSent).where(
                ReminderSent.claimed_at.is_not(None), ReminderSent.delivered_at.is_(None))
            ).first() is not None and not db.session.expire_all())
            stop(hung, signal.SIGKILL)
            assert len(sink.taken()) == seen  # nothing went out through the silent server
            # A new worker, an hour later (the dead claim is stale by then), sends each once.
            workers = [start_worker(env, day.replace(hour=10), sink.port) for _ in range(2)]
            for _ in range(2):
                Queue("default", connection=connection).enqueue(reminders.sweep, job_timeout=60)
            assert wait_for(lambda: delivered() == queued(), timeout=90), sink.taken()[seen:]
            time.sleep(3)
            stop_all(workers)
            got = sorted(to for to, _subject in sink.taken()[seen:])
            assert got == ["ana@example.org", "bo@example.org"], got
            rows = db.session.execute(select(ReminderSent)).scalars().all()
            assert len(rows) == len({(r.recipient, r.kind, r.period) for r in rows})
            jobs = db.session.execute(select(JobRecord).where(
                JobRecord.kind == "reminder.send")).scalars().all()
            assert len(jobs) == len(rows)
    finally:
        stop_all(workers, signal.SIGKILL)
        sink.stop()
        silent.stop()
