"""Programme milestones beside the steps (fee invoiced and paid, recognition) and the
case study that the case-study package delivers."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.extensions import db
from intake.models._types import enum_column, utcnow
from intake.models.user import User


class MilestoneKind(enum.StrEnum):
    FEE_INVOICED = "fee_invoiced"
    FEE_PAID = "fee_paid"
    CERTIFICATE_ISSUED = "certificate_issued"
    AWARD_NOMINATED = "award_nominated"


class MilestoneStatus(enum.StrEnum):
    DONE = "done"
    SKIPPED = "skipped"  # e.g. a fee waived or paid by a national hub: shown, not hidden


class Milestone(db.Model):
    """One per city and kind: recording it again corrects it."""

    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("city_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    kind: Mapped[MilestoneKind] = mapped_column(enum_column(MilestoneKind))
    status: Mapped[MilestoneStatus] = mapped_column(enum_column(MilestoneStatus))
    occurred_on: Mapped[date] = mapped_column()
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    reference: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()


class CaseStudyStatus(enum.StrEnum):
    ASSIGNED = "assigned"
    DRAFT = "draft"
    REVIEW = "review"
    PUBLISHED = "published"


class CaseStudy(db.Model):
    """The case study of a city that chose the case-study package, tracked as a deliverable."""

    __tablename__ = "case_study"

    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"),
                                         primary_key=True)
    status: Mapped[CaseStudyStatus] = mapped_column(enum_column(CaseStudyStatus))
    writer_name: Mapped[str] = mapped_column(String(200))
    writer_email: Mapped[str | None] = mapped_column(String(254))
    due_on: Mapped[date | None] = mapped_column()
    link: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
