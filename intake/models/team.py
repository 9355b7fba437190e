"""The city team: colleagues with personal links, what each is assigned, and figures they lack."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.extensions import db
from intake.models._types import utcnow


class TeamMember(db.Model):
    """A colleague the focal point invited; their link opens only what they are assigned."""

    __tablename__ = "team_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    department: Mapped[str] = mapped_column(String(200), default="")
    # sha256 hex of the personal link's token: a copied database opens nothing. None until
    # the e-mail job has minted the first token.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The hash of the link a fresh one replaced, so the old link can say why it stopped.
    replaced_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # Bumped by every "send a fresh link": the mail job mints a token only for the
    # generation it was asked for, so a retried or late job never replaces a newer link.
    link_generation: Mapped[int] = mapped_column(Integer, default=1)
    revoked_at: Mapped[datetime | None]
    reminders_off: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime | None]

    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="Assignment.id")

    @property
    def signature(self) -> str:
        """How this person is named in the audit trail: name and department."""
        if self.department:
            return f"{self.name} ({self.department})"[:200]
        return self.name[:200]

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Assignment(db.Model):
    """A category (kpi_code empty) or a single KPI handed to one colleague."""

    __tablename__ = "team_assignment"
    __table_args__ = (UniqueConstraint("city_id", "category_id", "kpi_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("team_member.id", ondelete="CASCADE"),
                                           index=True)
    category_id: Mapped[str] = mapped_column(String(80))
    kpi_code: Mapped[str] = mapped_column(String(40), default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[TeamMember] = relationship(back_populates="assignments")


class MissingFigure(db.Model):
    """A colleague's "I don't have this figure": a task for the focal point, not a blank."""

    __tablename__ = "team_missing_figure"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("team_member.id", ondelete="SET NULL"))
    kpi_code: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    reported_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


class CollectionDeadline(db.Model):
    """The date by which a city's data collection is due (set by the secretariat)."""

    __tablename__ = "collection_deadline"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), unique=True)
    due_on: Mapped[date] = mapped_column(Date)
    set_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProgrammeSetting(db.Model):
    """A setting the secretariat changes in the portal (e.g. the default collection time)."""

    __tablename__ = "programme_setting"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class ReminderSent(db.Model):
    """One reminder to one person for one due period: inserted before the e-mail is queued,
    in the same commit, so no two workers send it and no restart loses it."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("recipient", "kind", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(40))
    job_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A worker claims the row before sending and marks it delivered after: a second worker
    # (or RQ's own retry) finds it claimed; a claim left by a killed worker goes stale.
    claimed_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]


class ReminderStop(db.Model):
    """An address whose owner stopped reminders from the link in one of them."""

    __tablename__ = "reminder_stop"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    stopped_at: Mapped[datetime] = mapped_column(default=utcnow)
