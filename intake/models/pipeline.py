"""Each move of a city from one programme step to another: who, when, why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.extensions import db
from intake.models._types import enum_column, utcnow
from intake.models.city import ProgrammeStage
from intake.models.user import User


class StageChange(db.Model):
    __tablename__ = "stage_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[ProgrammeStage | None] = mapped_column(enum_column(ProgrammeStage))
    to_stage: Mapped[ProgrammeStage] = mapped_column(enum_column(ProgrammeStage))
    # None: the move was made by the system or the city itself, not by a staff member.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<StageChange city={self.city_id} {self.from_stage}->{self.to_stage}>"
