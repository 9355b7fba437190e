"""A city's data point values, their provenance, evidence files and the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.extensions import db
from intake.models._types import utcnow


class DataValue(db.Model):
    """One value per (city, data point): exactly what was typed, and what it means."""

    __tablename__ = "data_value"
    __table_args__ = (UniqueConstraint("city_id", "data_point_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    data_point_id: Mapped[str] = mapped_column(String(80))
    # As typed, even when it does not parse: a draft restores it exactly.
    raw_text: Mapped[str] = mapped_column(Text, default="")
    # The user's answer to "did you mean 1234 or 1.234?" ("group" / "decimal").
    meant: Mapped[str | None] = mapped_column(String(10))
    number: Mapped[float | None] = mapped_column(Float)
    boolean: Mapped[bool | None] = mapped_column(Boolean)
    not_available: Mapped[bool] = mapped_column(Boolean, default=False)
    # True when raw_text parses and passes every blocking rule.
    valid: Mapped[bool] = mapped_column(Boolean, default=False)
    justification: Mapped[str | None] = mapped_column(Text)
    # Findings of the last save (warnings kept for the review page), as Message dicts.
    findings: Mapped[list | None] = mapped_column(JSON)
    # Last reporting year's value, for the large-change warning (from an import).
    previous_value: Mapped[float | None] = mapped_column(Float)
    # Who produced the figure: a code of forms/data/data_origins.json (None: not said;
    # values saved before origins were asked have none).
    origin: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def value(self) -> float | bool | None:
        if self.not_available or not self.valid:
            return None
        return self.boolean if self.boolean is not None else self.number


class KpiProvenance(db.Model):
    """Where a KPI's figures come from and how good they are."""

    __tablename__ = "kpi_provenance"
    __table_args__ = (UniqueConstraint("city_id", "kpi_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    kpi_code: Mapped[str] = mapped_column(String(40))
    quality_tier: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(500))
    # As typed (a draft may hold "20x4"); reference_year holds it once it is a valid year.
    reference_year_text: Mapped[str | None] = mapped_column(String(60))
    reference_year: Mapped[int | None] = mapped_column(Integer)
    # Who last gave this provenance (a colleague's name and department, or the focal point).
    updated_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EvidenceFile(db.Model):
    """A document backing a KPI; stored under a random name, never the user's."""

    __tablename__ = "evidence_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    kpi_code: Mapped[str] = mapped_column(String(40))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    uploaded_by: Mapped[str | None] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ValueAudit(db.Model):
    """Who changed which data point from what to what, when and why."""

    __tablename__ = "value_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    data_point_id: Mapped[str] = mapped_column(String(80))
    # The category whose save made the change, and the category version it produced,
    # so a refused stale save can show what changed since the editor's copy.
    category_id: Mapped[str | None] = mapped_column(String(80))
    category_version: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(200))
    old_text: Mapped[str | None] = mapped_column(Text)
    new_text: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
