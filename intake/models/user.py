"""Staff accounts (secretariat and verifiers) and which cities each verifier looks after."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.extensions import db
from intake.models._types import enum_column, utcnow


class UserRole(enum.StrEnum):
    SECRETARIAT = "secretariat"
    VERIFIER = "verifier"


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased and trimmed, so "Ana@ITU.int" and "ana@itu.int" are one account.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[UserRole] = mapped_column(enum_column(UserRole))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # What the session cookie carries instead of the id (Flask-Login's "alternative id"):
    # replacing it on logout, password change or disable ends every session at once,
    # including a cookie someone copied (maxcountryman/flask-login#480).
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_secretariat(self) -> bool:
        return self.role == UserRole.SECRETARIAT

    @property
    def is_verifier(self) -> bool:
        return self.role == UserRole.VERIFIER

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class VerifierAssignment(db.Model):
    """A verifier may see and verify this city."""

    __tablename__ = "verifier_assignment"

    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"),
                                         primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
