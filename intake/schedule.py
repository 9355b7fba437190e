"""Housekeeping that runs on a schedule through RQ's own cron scheduler (`flask rq cron`).

Each periodic task is a module-level function the worker runs with the app's context; it
registers itself with `@periodic(seconds)` and must be safe to run twice or concurrently.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    function: Callable[[], Any]
    interval: int
    queue: str


PERIODIC: list[Periodic] = []


def periodic(interval: int, queue: str = "default") -> Callable[[Callable], Callable]:
    """Run the decorated function every `interval` seconds once `flask rq cron` runs."""

    def register(function: Callable) -> Callable:
        PERIODIC.append(Periodic(function, interval, queue))
        return function

    return register


def build_cron_scheduler(connection, job_timeout: int):
    """RQ's CronScheduler with every periodic task registered."""
    from rq.cron import CronScheduler

    _load_tasks()
    scheduler = CronScheduler(connection=connection, name="")
    for task in PERIODIC:
        scheduler.register(task.function, queue_name=task.queue, interval=task.interval,
                           job_timeout=job_timeout, result_ttl=3600, failure_ttl=24 * 3600)
    return scheduler


def _load_tasks() -> None:
    # The modules whose @periodic functions make up the schedule.
    import intake.maintenance  # noqa: F401

