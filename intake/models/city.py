"""A city taking part in the programme, its contacts and where it stands."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intake.extensions import db
from intake.models._types import enum_column, utcnow


class ProgrammeStage(enum.StrEnum):
    LETTER_RECEIVED = "letter_received"
    ACKNOWLEDGED = "acknowledged"
    DATA_COLLECTION = "data_collection"
    SUBMITTED = "submitted"
    IN_VERIFICATION = "in_verification"
    VERIFIED = "verified"
    PUBLISHED = "published"


class City(db.Model):
    __tablename__ = "city"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Indexed: a new registration is compared with the cities of its country.
    country: Mapped[str | None] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2
    population: Mapped[int]
    economy: Mapped[str | None] = mapped_column(String(20))  # developed / developing
    package: Mapped[str | None] = mapped_column(String(20))  # verification / case_study
    locale: Mapped[str] = mapped_column(String(8), default="en")
    vision: Mapped[str | None] = mapped_column(Text)
    focal_point_name: Mapped[str | None] = mapped_column(String(200))
    focal_point_email: Mapped[str | None] = mapped_column(String(320), index=True)
    representative_name: Mapped[str | None] = mapped_column(String(200))
    representative_title: Mapped[str | None] = mapped_column(String(200))
    stage: Mapped[ProgrammeStage] = mapped_column(
        enum_column(ProgrammeStage),
        default=ProgrammeStage.DATA_COLLECTION,
    )
    # Random, unguessable token that resume and workspace links are signed over.
    access_key: Mapped[str] = mapped_column(String(64), unique=True)
    # When the focal point proved the address is theirs (the link in a fixed-text e-mail).
    # Until then nothing but that confirmation e-mail is sent to it.
    email_confirmed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<City {self.id} {self.name!r}>"
