"""A conversation with the intake assistant: the engine's state, kept on the server."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.extensions import db
from intake.models._types import utcnow


class Conversation(db.Model):
    __tablename__ = "conversation"

    # A random UUID: the id is the only key to the conversation, so it must not be guessable.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    # forms.conversation's JSON-able state; always replaced whole, never mutated in place.
    state: Mapped[dict] = mapped_column(JSON)
    # What was said, for the chat page: [{"by": "bot"|"user", "text": ..., "error": bool}].
    transcript: Mapped[list] = mapped_column(JSON, default=list)
    # Optimistic locking: two messages posted at once cannot both win silently.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    city_id: Mapped[int | None] = mapped_column(ForeignKey("city.id", ondelete="SET NULL"),
                                                index=True)
    # confirm_participation's answer: fee, letter links, workspace link.
    result: Mapped[dict | None] = mapped_column(JSON)

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Conversation {self.id} {self.locale}>"
