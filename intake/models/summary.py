"""One row per city with the figures its lists sort and filter by, kept current on each change."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.extensions import db


class CitySummary(db.Model):
    """Derived, never edited by hand: intake/services/summaries.py rebuilds it from the sources.

    Lists of thousands of cities sort by score, progress or last activity; computing those
    per request would read every city's scores, so they are stored here, indexed.
    """

    __tablename__ = "city_summary"
    __table_args__ = (
        Index("ix_city_summary_stage_entered_at", "stage_entered_at"),
        Index("ix_city_summary_last_activity_at", "last_activity_at"),
        Index("ix_city_summary_complete_categories", "complete_categories"),
        Index("ix_city_summary_score_percent", "score_percent"),
        Index("ix_city_summary_verifier_key", "verifier_key"),
        Index("ix_city_summary_name_key", "name_key"),
        Index("ix_city_summary_email_key", "email_key"),
        Index("ix_city_summary_fee_invoiced_on", "fee_invoiced_on"),
        Index("ix_city_summary_fee_paid_on", "fee_paid_on"),
        Index("ix_city_summary_signed_letter_at", "signed_letter_at"),
        Index("ix_city_summary_certificate_issued_on", "certificate_issued_on"),
        Index("ix_city_summary_award_nominated_on", "award_nominated_on"),
    )

    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"),
                                         primary_key=True)
    stage_entered_at: Mapped[datetime]
    last_activity_at: Mapped[datetime]
    complete_categories: Mapped[int] = mapped_column(Integer, default=0)
    score_percent: Mapped[float | None] = mapped_column(Float)
    score_band: Mapped[int | None] = mapped_column(Integer)
    # The first assigned verifier's name, case-folded, for sorting ("" when none).
    verifier_key: Mapped[str] = mapped_column(String(200), default="")
    # Case-folded NFKC name, so a search is case-insensitive in every script on SQLite too.
    search_key: Mapped[str] = mapped_column(String(200), default="")
    # Duplicate detection: same normalized name and country, or same focal-point e-mail.
    name_key: Mapped[str] = mapped_column(String(210), default="")
    email_key: Mapped[str | None] = mapped_column(String(320))
    # Programme milestones done (their dates; None while not done, or skipped) and the
    # latest letter's signed scan received, for the pipeline's sortable columns.
    fee_invoiced_on: Mapped[date | None] = mapped_column(Date)
    fee_paid_on: Mapped[date | None] = mapped_column(Date)
    signed_letter_at: Mapped[datetime | None] = mapped_column(DateTime)
    certificate_issued_on: Mapped[date | None] = mapped_column(Date)
    award_nominated_on: Mapped[date | None] = mapped_column(Date)


# Indexes on the source tables that the paged lists and the kept snapshot's fingerprint
# use; declared here, beside the lists' own table, so the models and migration 0008 agree.
def _source_indexes() -> None:
    from intake.models.city import City
    from intake.models.job import JobRecord
    from intake.models.letter import Letter
    from intake.models.pipeline import StageChange
    from intake.models.score import CategoryScore

    Index("ix_city_name", City.name)
    Index("ix_city_country", City.country)
    Index("ix_city_stage", City.stage)
    Index("ix_stage_change_city_at", StageChange.city_id, StageChange.at)
    Index("ix_letter_created_at", Letter.created_at)
    Index("ix_category_score_city_category", CategoryScore.city_id, CategoryScore.category_id,
          CategoryScore.computed_at)
    # The snapshot's fingerprint counts a city's jobs by key prefix ("score:<id>:%"); a
    # LIKE prefix uses a b-tree on PostgreSQL only with the pattern operator class.
    Index("ix_job_key_pattern", JobRecord.key, postgresql_ops={"key": "varchar_pattern_ops"})


_source_indexes()
