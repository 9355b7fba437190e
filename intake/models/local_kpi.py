"""A city's own (local) KPIs, approved by the secretariat, and their figures per year."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.extensions import db
from intake.models._types import enum_column, utcnow
from intake.models.user import User

# Field limits, shared by the forms, the service and the columns.
MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_UNIT = 60
MAX_FORMULA = 500
MAX_INPUT_LABEL = 200
MAX_SOURCE = 500
MAX_REASON = 2000


class LocalKpiStatus(enum.StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


class LocalKpi(db.Model):
    """An indicator a city defines itself: shown and scored apart from the 91, never
    compared with peers."""

    __tablename__ = "local_kpi"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    description: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(MAX_UNIT))
    formula: Mapped[str] = mapped_column(String(MAX_FORMULA))  # in words
    kind: Mapped[str] = mapped_column(String(16))  # scoring.local_kpis.KINDS
    multiplier: Mapped[int] = mapped_column(Integer, default=1)
    numerator_label: Mapped[str | None] = mapped_column(String(MAX_INPUT_LABEL))
    denominator_label: Mapped[str | None] = mapped_column(String(MAX_INPUT_LABEL))
    direction: Mapped[str] = mapped_column(String(20))  # higher_is_better / lower_is_better
    target: Mapped[float] = mapped_column(Float)
    target_source: Mapped[str] = mapped_column(String(MAX_SOURCE))
    # The catalog category it sits beside (display only: it never enters that category's score).
    category_id: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[LocalKpiStatus] = mapped_column(enum_column(LocalKpiStatus),
                                                   default=LocalKpiStatus.PROPOSED)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(String(200))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column()
    # The verifier's YES/NO, as for a catalog KPI.
    verification: Mapped[str | None] = mapped_column(String(8))
    verification_note: Mapped[str | None] = mapped_column(Text)
    verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    values: Mapped[list[LocalKpiValue]] = relationship(
        back_populates="kpi", cascade="all, delete-orphan", passive_deletes=True,
        order_by="LocalKpiValue.reference_year")


class LocalKpiValue(db.Model):
    """One reference year's figures of a local KPI: its inputs, or the value itself."""

    __tablename__ = "local_kpi_value"
    __table_args__ = (UniqueConstraint("local_kpi_id", "reference_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    local_kpi_id: Mapped[int] = mapped_column(
        ForeignKey("local_kpi.id", ondelete="CASCADE"), index=True)
    # Kept beside the KPI's id so a city's snapshot fingerprint reads it in one query.
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    reference_year: Mapped[int] = mapped_column(Integer)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    direct: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(MAX_SOURCE), default="")
    quality_tier: Mapped[str | None] = mapped_column(String(20))
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    kpi: Mapped[LocalKpi] = relationship(back_populates="values")
