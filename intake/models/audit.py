"""The staff audit log: who did what to which city, kept after the city itself is gone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.extensions import db
from intake.models._types import utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64), index=True)
    # No foreign key: the event outlives the city it names (e.g. a city rejected as spam).
    city_id: Mapped[int | None] = mapped_column(index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
