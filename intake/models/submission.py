"""Where each of a city's categories stands: in progress or complete, with its lock version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.extensions import db
from intake.models._types import utcnow

IN_PROGRESS = "in_progress"
COMPLETE = "complete"


class CategoryState(db.Model):
    __tablename__ = "category_state"
    __table_args__ = (UniqueConstraint("city_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default=IN_PROGRESS)
    # Optimistic lock: every save posts the version it was based on and bumps it.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The step the city last saved, so "continue" lands where they left off.
    current_step: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
