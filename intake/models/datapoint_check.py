"""The verifier's YES/NO on one data point of one city, as the manual's template records it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.extensions import db
from intake.models._types import utcnow

CHECK_YES = "yes"
CHECK_NO = "no"
CHECK_STATUSES = (CHECK_YES, CHECK_NO)


class DataPointCheck(db.Model):
    __tablename__ = "data_point_check"
    __table_args__ = (UniqueConstraint("city_id", "data_point_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    data_point_id: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(8))
    # The figure as it stood when checked: a later change shows as "changed since checked".
    checked_text: Mapped[str] = mapped_column(Text, default="")
    checked_not_available: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)
    verifier_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
