"""A background job's state, kept in the database so pages never need to ask Redis."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intake.extensions import db
from intake.models._types import enum_column, utcnow


class JobState(enum.StrEnum):
    PENDING = "pending"  # committed, not yet handed to a queue (e.g. Redis was down)
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobRecord(db.Model):
    __tablename__ = "job"

    # The RQ job id is this row's id: one identity across the database and the queue.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    queue: Mapped[str] = mapped_column(String(32), default="default")
    # The same work asked for twice maps onto one row (idempotent enqueue).
    key: Mapped[str] = mapped_column(String(200), unique=True)
    state: Mapped[JobState] = mapped_column(
        enum_column(JobState),
        default=JobState.PENDING,
        index=True,
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)
