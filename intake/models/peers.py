"""Peer statistics: the figures of a group of peer cities, stored when their scores change.

A group is every verified (or published) city of one population band and economy type;
its rows are computed for one catalog and benchmark version. One row per subject: the
group's city count ("cities"), each category's score ("category") and each KPI item's
value ("item"). Derived, never edited by hand: intake/services/peers.py rebuilds a group.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.extensions import db
from intake.models._types import utcnow


class PeerStatistic(db.Model):
    __tablename__ = "peer_statistic"
    __table_args__ = (
        # Also the index of the one query a page makes: a group's rows by its key.
        UniqueConstraint("band", "economy", "catalog_version", "benchmark_version",
                         "subject_kind", "subject_id", name="uq_peer_statistic_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    band: Mapped[str] = mapped_column(String(20))
    economy: Mapped[str] = mapped_column(String(20))
    catalog_version: Mapped[str] = mapped_column(String(60))
    benchmark_version: Mapped[str] = mapped_column(String(60))
    subject_kind: Mapped[str] = mapped_column(String(10))  # cities | category | item
    subject_id: Mapped[str] = mapped_column(String(120))
    # How many cities contribute (for "cities": how many cities the group has).
    count: Mapped[int] = mapped_column(Integer, default=0)
    # The group's figure (rounded), None when fewer than 5 cities contribute.
    q1: Mapped[float | None] = mapped_column(Float)
    median: Mapped[float | None] = mapped_column(Float)
    q3: Mapped[float | None] = mapped_column(Float)
    # The few sorted values around each quartile, by position: enough to give a city of the
    # group its figure without its own value ("a city is never its own peer").
    points: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
