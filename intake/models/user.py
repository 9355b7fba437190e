"""Staff accounts (secretariat and verifiers) and which cities each verifier looks after."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.extensions import db
from intake.models._types import enum_column, utcnow


class UserRole(enum.StrEnum):
    SECRETARIAT = "secretariat"
    VERIFIER = "verifier"


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def session_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased and trimmed, so "Ana@ITU.int" and "ana@itu.int" are one account.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[UserRole] = mapped_column(enum_column(UserRole))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    # Failed sign-ins since the last good one, and until when the account refuses sign-in
    # (the wait doubles with every further failure).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    # The second factor (RFC 6238 TOTP): the base32 secret, set once enrolment is
    # confirmed with a first code, and the last time step used (a code works once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    # The clear token of the session this object was loaded for (not a column: only its
    # hash is stored, in StaffSession).
    session_token = None

    def get_id(self) -> str | None:
        # What the session cookie carries (Flask-Login's "alternative id"): a token of one
        # signed-in session, whose hash is a StaffSession row; never the numeric id.
        return self.session_token

    @property
    def has_totp(self) -> bool:
        return bool(self.totp_secret and self.totp_enabled_at)

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


class StaffSession(db.Model):
    """One signed-in browser of a staff account. Only the token's hash is stored: a copied
    database opens no session. Deleting an account's rows ends all its sessions at once
    (sign-out, password change, disable), including a cookie someone copied
    (maxcountryman/flask-login#480)."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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
