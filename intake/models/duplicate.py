"""A city that may be registered twice: flagged for the secretariat to merge or dismiss."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.extensions import db
from intake.models._types import utcnow
from intake.models.city import City


class PossibleDuplicate(db.Model):
    __tablename__ = "possible_duplicate"
    __table_args__ = (UniqueConstraint("city_id", "original_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The newer registration and the older one it resembles.
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    original_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"),
                                             index=True)
    # "name" (same city name and country) or "email" (same focal point address).
    reason: Mapped[str] = mapped_column(String(20))
    # None while open; "dismissed" (two different cities) once the secretariat decided.
    resolution: Mapped[str | None] = mapped_column(String(20), index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    city: Mapped[City] = relationship(foreign_keys=[city_id])
    original: Mapped[City] = relationship(foreign_keys=[original_id])

    def __repr__(self) -> str:
        return f"<PossibleDuplicate {self.city_id} ~ {self.original_id} {self.reason}>"
