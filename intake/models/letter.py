"""The participation letter: written once from the official template, then never changed."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import get_history

from intake.extensions import db
from intake.models._types import utcnow
from intake.models.city import City

DOCUMENT_COLUMNS = ("html", "pdf", "docx")


class ImmutableLetterError(RuntimeError):
    """Raised when code tries to change a letter after it was written."""


def new_download_key() -> str:
    return secrets.token_urlsafe(16)


class Letter(db.Model):
    __tablename__ = "letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(8))
    template_version: Mapped[str] = mapped_column(String(32))
    # The quote as FeeQuote.as_dict() gave it on the day: the table may change, the letter not.
    fee: Mapped[dict] = mapped_column(JSON)
    # What the letter says (city, vision, people), frozen at confirmation so later edits
    # to the city profile never alter a signed letter.
    content: Mapped[dict] = mapped_column(JSON)
    # The conversation that produced the letter: confirming it twice gives the same letter.
    conversation_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    # A random part of the download link: a link names one letter for good, even if a
    # deleted letter's id is later given to another one, so a process may keep what it
    # served under the link without asking the database again.
    download_key: Mapped[str] = mapped_column(String(32), default=new_download_key)
    # Deferred: a download reads the one document it sends, not all three.
    html: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    docx: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # sha256 of html + pdf + docx, for ETags and to check nothing was altered.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    rendered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The signed, scanned letter the city uploaded in its workspace (not frozen: it may be
    # replaced until the secretariat acknowledges it).
    signed_name: Mapped[str | None] = mapped_column(String(255))
    signed_stored_name: Mapped[str | None] = mapped_column(String(64))
    signed_content_type: Mapped[str | None] = mapped_column(String(100))
    signed_size: Mapped[int | None]
    signed_at: Mapped[datetime | None]
    signed_acknowledged_at: Mapped[datetime | None]
    signed_acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    city: Mapped[City] = relationship()

    @property
    def signed_received(self) -> bool:
        return self.signed_at is not None

    @property
    def is_rendered(self) -> bool:
        return self.rendered_at is not None

    def __repr__(self) -> str:
        return f"<Letter {self.id} city={self.city_id} {self.locale}>"


FROZEN_COLUMNS = ("city_id", "locale", "template_version", "fee", "content", "conversation_id",
                  "download_key")


@event.listens_for(Letter, "before_update")
def _refuse_changes(mapper, connection, letter: Letter) -> None:
    """The text is fixed at creation and the documents once rendered."""
    for name in FROZEN_COLUMNS:
        if get_history(letter, name).deleted:
            raise ImmutableLetterError(f"letter {letter.id}: {name} cannot change")
    # The documents are deferred (their old bytes are not loaded), so judge by whether the
    # letter had been rendered before this change rather than by the old values.
    rendered = get_history(letter, "rendered_at")
    was_rendered = any(v is not None for v in (*rendered.unchanged, *rendered.deleted))
    if not was_rendered:
        return
    for name in (*DOCUMENT_COLUMNS, "content_hash", "rendered_at"):
        if get_history(letter, name).has_changes():
            raise ImmutableLetterError(f"letter {letter.id}: {name} was already rendered")
