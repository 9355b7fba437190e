"""`flask rq worker`: an RQ worker that outlives Redis outages and dead schedulers."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0


def wait_for_redis(connection: Redis, *, sleep: Callable[[float], None] = time.sleep,
                   first_delay: float = 1.0) -> None:
    """Block until Redis answers, waiting longer between tries (1 s, 2 s … 30 s)."""
    delay = first_delay
    while True:
        try:
            connection.ping()
            return
        except RedisError as error:
            log.warning("Redis unreachable (%s); trying again in %.0f s", error, delay)
            sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)


def _alive_here(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def break_dead_scheduler_locks(connection: Redis, queue_names: list[str]) -> list[str]:
    """Release scheduler locks whose owner is gone, so retries need not wait for them.

    RQ's scheduler lock outlives its owner by a minute, and a worker only tries to take it
    again at its next maintenance run: a worker killed on this machine made retries wait
    for minutes. A lock is dead when its owner never registered (or its record expired),
    or when the owner ran on this machine and its process no longer exists.
    """
    from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler

    released = []
    hostname = socket.gethostname()
    for name in queue_names:
        key = RQScheduler.get_locking_key(name)
        owner = connection.get(key)
        if owner is None:
            continue
        owner_name = owner.decode() if isinstance(owner, bytes) else str(owner)
        record = {(k.decode() if isinstance(k, bytes) else k):
                  (v.decode() if isinstance(v, bytes) else v)
                  for k, v in connection.hgetall(SCHEDULER_KEY_TEMPLATE % owner_name).items()}
        pid = int(record.get("pid") or 0)
        dead = not record or (record.get("hostname") == hostname and pid > 0
                              and not _alive_here(pid))
        # Delete only if the lock still names the dead owner (never a new owner's lock).
        if dead and connection.eval(
                "if redis.call('get', KEYS[1]) == ARGV[1] then "
                "return redis.call('del', KEYS[1]) else return 0 end",
                1, key, owner_name):
            log.warning("released the scheduler lock of %s held by a dead scheduler (%s)",
                        name, owner_name)
            released.append(name)
    return released


def stop_was_requested(worker: object) -> bool:
    """Whether the worker was told to stop (SIGTERM, SIGINT), busy or idle.

    RQ sets `_stop_requested` only when the signal comes during a job; an idle worker
    records the request's date and leaves its loop. Taking that return for a lost Redis
    connection restarted the worker, so a stopped service ran on until SIGKILL.
    """
    return bool(getattr(worker, "_stop_requested", False)
                or getattr(worker, "_shutdown_requested_date", None) is not None)


def supervise(make_worker: Callable[[], object], connection: Redis, *,
              queue_names: list[str], burst: bool, on_connect: Callable[[], None],
              sleep: Callable[[float], None] = time.sleep) -> None:
    """Run RQ workers one after another until asked to stop.

    RQ's worker returns (or raises) when Redis goes away mid-loop; the process then waited
    for a human. Here it waits for Redis with backoff, hands over what was left pending or
    lost (`on_connect`) and starts a fresh worker.
    """
    delay = 1.0
    while True:
        wait_for_redis(connection, sleep=sleep)
        try:
            break_dead_scheduler_locks(connection, queue_names)
            try:
                on_connect()
            except RedisError:
                raise
            except Exception:
                # The hand-over can wait for the reaper; the worker must not die over it.
                log.exception("could not hand over pending jobs; starting the worker anyway")
            worker = make_worker()
            started = time.monotonic()
            worker.work(burst=burst, with_scheduler=not burst)
        except RedisError as error:
            log.warning("worker lost Redis (%s); restarting in %.0f s", error, delay)
            sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)
            continue
        if burst or stop_was_requested(worker):
            return
        # work() returned without a stop request: RQ gave up on its connection.
        if time.monotonic() - started > 10 * MAX_BACKOFF:
            delay = 1.0
        log.warning("worker stopped unexpectedly; restarting in %.0f s", delay)
        sleep(delay)
        delay = min(delay * 2, MAX_BACKOFF)
