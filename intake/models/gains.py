"""What a city gains: its initiatives, the secretariat's advice, past years' values, consent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.extensions import db
from intake.models._types import utcnow

INITIATIVE_STATUSES = ("planned", "ongoing", "completed")


class Initiative(db.Model):
    """Something the city does to improve a category, described by the city itself."""

    __tablename__ = "initiative"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="planned")
    link: Mapped[str | None] = mapped_column(String(500))  # http(s) only, checked on save
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Recommendation(db.Model):
    """The secretariat's advice to a city for one category (a first draft may be generated)."""

    __tablename__ = "recommendation"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    generated: Mapped[bool] = mapped_column(Boolean, default=False)
    author: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ValueHistory(db.Model):
    """A data point's value as it stood when a reference year was closed."""

    __tablename__ = "value_history"
    __table_args__ = (UniqueConstraint("city_id", "reference_year", "data_point_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    reference_year: Mapped[int] = mapped_column(Integer)
    data_point_id: Mapped[str] = mapped_column(String(80))
    # Numbers in value; yes/no answers in boolean; both empty: "not available".
    value: Mapped[float | None] = mapped_column(Float)
    boolean: Mapped[bool | None] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Consent(db.Model):
    """The city's consent to public recognition; one row per city, revocable at any time.

    `public_id` is the city's stable public address: it survives revoking and giving
    consent again, and never exposes the database id.
    """

    __tablename__ = "publication_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), unique=True)
    public_id: Mapped[str] = mapped_column(String(80), unique=True)
    include_initiatives: Mapped[bool] = mapped_column(Boolean, default=False)
    given_by: Mapped[str | None] = mapped_column(String(200))
    given_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        return self.given_at is not None and self.revoked_at is None
