"""A category's score for a city, computed in the background from one exact input."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.extensions import db
from intake.models._types import utcnow


class CategoryScore(db.Model):
    """One row per scored input: the same input scored twice is still one row."""

    __tablename__ = "category_score"
    __table_args__ = (
        UniqueConstraint("city_id", "category_id", "catalog_version", "benchmark_version",
                         "input_hash", name="uq_category_score_input"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[str] = mapped_column(String(80))
    # The versions travel with the score, so a band is always traceable to its targets.
    catalog_version: Mapped[str] = mapped_column(String(60))
    benchmark_version: Mapped[str] = mapped_column(String(60))
    input_hash: Mapped[str] = mapped_column(String(64))
    percent: Mapped[float | None] = mapped_column(Float)
    band: Mapped[int | None] = mapped_column(Integer)
    scored: Mapped[int] = mapped_column(Integer, default=0)
    reported: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    # Per item: id, kpi_code, value, target, direction, percent, band, status.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    job_id: Mapped[str | None] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<CategoryScore city={self.city_id} {self.category_id} {self.percent}>"
