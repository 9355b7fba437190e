"""Conversations with the intake assistant: start, answer, resume; confirm once."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete
from sqlalchemy.orm.exc import StaleDataError

from forms import conversation as engine
from intake.extensions import db
from intake.fees import quote_fee
from intake.models import Conversation
from intake.models._types import utcnow

log = logging.getLogger(__name__)

MAX_TRANSCRIPT = 400
# Long answers are kept whole in the state (when valid); the chat history shows a preview.
TRANSCRIPT_TEXT_LIMIT = 2000


class ConversationNotFound(LookupError):
    """No conversation has this id."""


@dataclass(frozen=True)
class Reply:
    conversation: Conversation
    turn: engine.Turn

    @property
    def done(self) -> bool:
        return self.conversation.result is not None


def _bot_entry(turn: engine.Turn) -> dict:
    return {"by": "bot", "text": turn.text, "error": turn.error, "slot": turn.slot}


def get_conversation(conversation_id: str | None) -> Conversation | None:
    """The conversation, or None when there is none or it was abandoned (expired)."""
    try:
        key = str(uuid.UUID(str(conversation_id)))
    except (ValueError, TypeError, AttributeError):
        return None
    conversation = db.session.get(Conversation, key)
    if conversation is not None and _abandoned(conversation, utcnow()):
        return None  # expired, even before the scheduled cleanup deletes it
    return conversation


def _expiry() -> timedelta:
    return timedelta(days=current_app.config["CONVERSATION_TTL_DAYS"])


def _abandoned(conversation: Conversation, now: datetime) -> bool:
    return conversation.result is None and conversation.updated_at < now - _expiry()


def expire_conversations(now: datetime | None = None) -> int:
    """Delete unfinished conversations without a turn for CONVERSATION_TTL_DAYS."""
    cutoff = (now or utcnow()) - _expiry()
    deleted = db.session.execute(delete(Conversation).where(
        Conversation.result.is_(None), Conversation.updated_at < cutoff),
        execution_options={"synchronize_session": False}).rowcount
    db.session.commit()
    return deleted


def start_conversation(locale: str | None) -> Reply:
    state, turn = engine.start(locale)
    conversation = Conversation(id=str(uuid.uuid4()), locale=state["locale"], state=state,
                                transcript=[_bot_entry(turn)])
    db.session.add(conversation)
    db.session.commit()
    return Reply(conversation, turn)


def current_turn(conversation: Conversation, locale: str | None = None) -> engine.Turn:
    """What the assistant is asking now, optionally in another of the six languages."""
    state = conversation.state
    if locale:
        state = engine.with_locale(state, locale)
    if conversation.result is not None:
        return engine.Turn(slot="confirm", text=engine.text_for(state["locale"], "done"),
                           done=True)
    return engine.render(state, quote=quote_fee)


def post_message(conversation_id: str, text: str, *, locale: str | None = None) -> Reply:
    """Give the engine one message; on confirmation create the city and its letter once."""
    for attempt in range(2):
        conversation = get_conversation(conversation_id)
        if conversation is None:
            raise ConversationNotFound(conversation_id)
        try:
            return _apply(conversation, text, locale)
        except StaleDataError:
            # Another message for this conversation was saved meanwhile: redo on top of it.
            db.session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def _apply(conversation: Conversation, text: str, locale: str | None) -> Reply:
    if conversation.result is not None:
        return Reply(conversation, current_turn(conversation, locale))
    state = conversation.state
    if locale and engine.language_code(locale) != state.get("locale"):
        state = engine.with_locale(state, locale)
    shown = engine.render(state, quote=quote_fee) if not state.get("done") else None
    new_state, turn = engine.answer(state, text, quote=quote_fee)
    said = _as_said(text, shown)
    if turn.done:
        from intake.services.participation import assistant_cap_reached

        if assistant_cap_reached():
            db.session.rollback()
            with force_locale(state["locale"]):
                problem = _("Many cities have joined in the last hour, so new letters are "
                            "paused for a while. Your answers are saved; please choose "
                            "“Yes” again in an hour.")
            return Reply(conversation, engine.render(state, quote=quote_fee, error=problem))
        outcome = _confirm(conversation, new_state)
        if outcome is None:
            db.session.rollback()
            with force_locale(state["locale"]):
                problem = _("We could not prepare your letter just now. Your answers are "
                            "saved; please choose “Yes” again in a moment.")
            return Reply(conversation, engine.render(state, quote=quote_fee, error=problem))
        conversation.result = outcome
        conversation.city_id = outcome["city_id"]
    conversation.state = new_state
    conversation.locale = new_state["locale"]
    transcript = list(conversation.transcript or [])
    transcript.append({"by": "user", "text": said})
    transcript.append(_bot_entry(turn))
    conversation.transcript = transcript[-MAX_TRANSCRIPT:]
    db.session.commit()
    return Reply(conversation, turn)


def _as_said(text: str, shown: engine.Turn | None) -> str:
    """A pressed button shows as its label; long texts as a preview."""
    if shown is not None:
        for choice in shown.choices:
            if choice["value"] == text:
                return choice["label"]
    from forms.parsing import sanitize

    cleaned = sanitize(text, multiline=True)
    if len(cleaned) > TRANSCRIPT_TEXT_LIMIT:
        cleaned = cleaned[:TRANSCRIPT_TEXT_LIMIT] + "…"
    return cleaned


def _confirm(conversation: Conversation, state: dict) -> dict | None:
    """Call the participation service (idempotent per conversation); None if it failed."""
    from intake.services.participation import confirm_participation

    conversation_id = conversation.id
    answers = engine.answers_for_letter(state)
    answers["conversation_id"] = conversation_id
    try:
        result = confirm_participation(answers, locale=state["locale"])
    except Exception:
        # The answers stay saved and the official can press "Yes" again; the cause is logged.
        # The failure may have left the session unusable until it is rolled back.
        db.session.rollback()
        log.exception("confirming conversation %s failed", conversation_id)
        return None
    return {
        "city_id": result.city_id,
        "letter_id": result.letter_id,
        "fee": result.fee.as_dict(),
        "letter": {"html_url": result.html_url, "pdf_url": result.pdf_url,
                   "docx_url": result.docx_url},
        "workspace_url": result.workspace_url,
    }
