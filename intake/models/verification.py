"""Verification of a city's data: a verdict per KPI, and question threads with the city."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.extensions import db
from intake.models._types import utcnow

VERIFIED = "verified"
NOT_VERIFIED = "not_verified"
PENDING = "pending"
KPI_STATUSES = (VERIFIED, NOT_VERIFIED, PENDING)

OPEN = "open"
ANSWERED = "answered"
CLOSED = "closed"
QUESTION_STATUSES = (OPEN, ANSWERED, CLOSED)


class KpiVerification(db.Model):
    """The verifier's verdict on one KPI of one city (the latest one counts)."""

    __tablename__ = "kpi_verification"
    __table_args__ = (UniqueConstraint("city_id", "kpi_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    kpi_code: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    verifier_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Question(db.Model):
    """A question from staff about one data point (or a whole KPI), answered by the city."""

    __tablename__ = "verification_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    data_point_id: Mapped[str | None] = mapped_column(String(80))
    kpi_code: Mapped[str | None] = mapped_column(String(40))
    opened_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default=OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    messages: Mapped[list[QuestionMessage]] = relationship(
        back_populates="question", order_by="QuestionMessage.id",
        cascade="all, delete-orphan")


class QuestionMessage(db.Model):
    """One message of a thread; an answer that changed the value keeps the from → to."""

    __tablename__ = "verification_question_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("verification_question.id", ondelete="CASCADE"), index=True)
    author_kind: Mapped[str] = mapped_column(String(10))  # staff | city
    author_name: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    question: Mapped[Question] = relationship(back_populates="messages")

    @property
    def changed_value(self) -> bool:
        return self.new_value is not None
