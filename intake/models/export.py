"""A large export prepared in the background: who asked, what, how far along, and its file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.extensions import db
from intake.models._types import utcnow


class ExportJob(db.Model):
    __tablename__ = "export_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Only the person who asked for an export may download it.
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # The row in the `job` table that runs it (state, error, attempts live there).
    job_id: Mapped[str | None] = mapped_column(String(64))
    fmt: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(8))
    # The list's filters (stage, country, q, verifier, overdue) as they were asked for.
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Progress in cities: `done` of `total` written so far.
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    # The file's name under EXPORT_FOLDER (random, never derived from the request).
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    size: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
