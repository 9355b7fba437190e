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
    # True only for the message that confirmed: its sender alone is shown the workspace link.
    completed_now: bool = False

    @property
    def done(self) -> bool:
        return self.conversation.result is not None or self.turn.done


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
    duplicate = _duplicate_turn(state)
    if duplicate is not None:
        return duplicate
    return engine.render(state, quote=quote_fee)


def post_message(conversation_id: str, text: str, *, locale: str | None = None,
                 base_url: str | None = None) -> Reply:
    """Give the engine one message; on confirmation create the city and its letter once.

    `base_url` is the address the visitor uses (for the links e-mailed, unless
    PUBLIC_BASE_URL is set).
    """
    for attempt in range(2):
        conversation = get_conversation(conversation_id)
        if conversation is None:
            raise ConversationNotFound(conversation_id)
        try:
            return _apply(conversation, text, locale, base_url)
        except StaleDataError:
            # Another message for this conversation was saved meanwhile: redo on top of it.
            db.session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def _apply(conversation: Conversation, text: str, locale: str | None,
           base_url: str | None = None) -> Reply:
    if conversation.result is not None:
        return Reply(conversation, current_turn(conversation, locale))
    state = conversation.state
    if locale and engine.language_code(locale) != state.get("locale"):
        state = engine.with_locale(state, locale)
    asked = _duplicate_turn(state)
    if asked is not None:
        if asked.done:
            return Reply(conversation, asked)
        new_state, turn = _answer_duplicate(state, text, base_url)
        return _record(conversation, new_state, turn, _as_said(text, asked))
    shown = engine.render(state, quote=quote_fee) if not state.get("done") else None
    new_state, turn = engine.answer(state, text, quote=quote_fee)
    said = _as_said(text, shown)
    if not turn.done:
        offer = _check_registered(state, new_state)
        if offer is not None:
            new_state, turn = offer
    completed_now = False
    if turn.done:
        from intake.services.participation import assistant_cap_reached

        if assistant_cap_reached():
            db.session.rollback()
            with force_locale(state["locale"]):
                problem = _("Many cities have joined in the last hour, so new letters are "
                            "paused for a while. Your answers are saved; please choose "
                            "“Yes” again in an hour.")
            return Reply(conversation, engine.render(state, quote=quote_fee, error=problem))
        outcome = _confirm(conversation, new_state, base_url)
        if outcome is None:
            db.session.rollback()
            with force_locale(state["locale"]):
                problem = _("We could not prepare your letter just now. Your answers are "
                            "saved; please choose “Yes” again in a moment.")
            return Reply(conversation, engine.render(state, quote=quote_fee, error=problem))
        if conversation.result is not None:
            # Another message confirmed meanwhile (the service's commits reloaded the row):
            # that one was the confirming message, so this one is shown no link.
            return Reply(conversation, current_turn(conversation, locale))
        conversation.result = outcome
        conversation.city_id = outcome["city_id"]
        completed_now = True
    return _record(conversation, new_state, turn, said, completed_now)


def _record(conversation: Conversation, new_state: dict, turn: engine.Turn, said: str,
            completed_now: bool = False) -> Reply:
    conversation.state = new_state
    conversation.locale = new_state["locale"]
    transcript = list(conversation.transcript or [])
    transcript.append({"by": "user", "text": said})
    transcript.append(_bot_entry(turn))
    conversation.transcript = transcript[-MAX_TRANSCRIPT:]
    db.session.commit()
    return Reply(conversation, turn, completed_now)


# ------------------------------------------------------------------------------ a city again
# What the state keeps (beside the engine's own keys) about a city already registered:
# {"city_id": id, "reason": "name"|"email", "status": "asked"|"sent", "dismissed": [ids]}.
DUPLICATE = "registered"
SEND_LINKS = "send-existing-links"
DIFFERENT_CITY = "different-city"
CHECKED_SLOTS = ("city_name", "country", "focal_point_email")


def _check_registered(before: dict, after: dict) -> tuple[dict, engine.Turn] | None:
    """After the city, its country or the address: offer the links of a city already there."""
    answers = after.get("answers") or {}
    changed = [name for name in CHECKED_SLOTS
               if answers.get(name) != (before.get("answers") or {}).get(name)]
    if not changed:
        return None
    seen = after.get(DUPLICATE) or {}
    dismissed = set(seen.get("dismissed") or [])
    for city, reason in _registered(after):
        if city.id in dismissed:
            continue
        state = dict(after)
        state[DUPLICATE] = {"city_id": city.id, "reason": reason, "status": "asked",
                            "dismissed": sorted(dismissed)}
        return state, _duplicate_turn(state)
    return None


def _registered(state: dict) -> list:
    """The cities already registered with this conversation's city and country or address."""
    from intake.services.onboarding import find_registered

    answers = state.get("answers") or {}
    name, country = answers.get("city_name"), answers.get("country")
    email = answers.get("focal_point_email")
    if not (isinstance(name, str) and isinstance(country, str)):
        name = country = None
    if not isinstance(email, str):
        email = None
    if not name and not email:
        return []
    return find_registered(name=name, country=country, email=email)


def _duplicate_turn(state: dict) -> engine.Turn | None:
    seen = state.get(DUPLICATE)
    if not isinstance(seen, dict) or seen.get("status") not in ("asked", "sent"):
        return None
    from intake.models import City
    from intake.services.onboarding import mask_email

    city = db.session.get(City, seen.get("city_id"))
    language = state.get("locale") or "en"
    with force_locale(language):
        if city is None:
            return None
        address = mask_email(city.focal_point_email)
        if seen["status"] == "sent":
            return engine.Turn(slot="registered", done=True, text=_(
                "Done: we sent the links to the address registered for this city (%(address)s). "
                "If that address has not been confirmed yet, a short message asks to confirm "
                "it first, and the links follow. Nothing new was registered.",
                address=address))
        if seen.get("reason") == "email":
            text = _("This e-mail address is already the focal point of a city in the U4SSC "
                     "programme. Registering again would create a second, empty workspace. "
                     "We can e-mail that city's letter and workspace links to %(address)s "
                     "instead.", address=address)
        else:
            from intake.secretariat.helpers import country_name

            text = _("%(city)s (%(country)s) is already registered in the U4SSC programme. "
                     "Registering it again would create a second, empty workspace. We can "
                     "e-mail its letter and workspace links to the address registered for it "
                     "(%(address)s) instead.", city=city.name,
                     country=country_name(city.country), address=address)
        choices = [{"value": SEND_LINKS, "label": _("E-mail me the existing links")},
                   {"value": DIFFERENT_CITY, "label": _("It is another city: continue")}]
        return engine.Turn(slot="registered", text=text, choices=choices)


def _answer_duplicate(state: dict, text: str, base_url: str | None
                      ) -> tuple[dict, engine.Turn]:
    from forms.parsing import parse_yes_no
    from intake.models import City
    from intake.services.onboarding import resend

    seen = dict(state[DUPLICATE])
    choice = text.strip()
    verdict = {SEND_LINKS: True, DIFFERENT_CITY: False}.get(choice)
    if verdict is None:
        verdict = parse_yes_no(choice, state.get("locale") or "en")
    new_state = dict(state)
    if verdict is None:
        asked = _duplicate_turn(state)
        with force_locale(state.get("locale") or "en"):
            error = _("Choose one of the two answers below.")
        return new_state, engine.Turn(slot=asked.slot, text=asked.text, error=error,
                                      choices=asked.choices)
    if verdict:
        city = db.session.get(City, seen["city_id"])
        if city is not None:
            resend(city, base=base_url)
        seen["status"] = "sent"
        new_state[DUPLICATE] = seen
        return new_state, _duplicate_turn(new_state)
    # "Another city": not any of those matching now either (two cities may share a name).
    seen["dismissed"] = sorted(set(seen.get("dismissed") or []) | {seen["city_id"]}
                               | {city.id for city, _reason in _registered(state)})
    seen["status"] = "dismissed"
    new_state[DUPLICATE] = seen
    return new_state, engine.render(new_state, quote=quote_fee)


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


def _confirm(conversation: Conversation, state: dict, base_url: str | None = None
             ) -> dict | None:
    """Call the participation service (idempotent per conversation); None if it failed."""
    from intake.services.participation import confirm_participation

    conversation_id = conversation.id
    answers = engine.answers_for_letter(state)
    answers["conversation_id"] = conversation_id
    try:
        result = confirm_participation(answers, locale=state["locale"], base_url=base_url)
    except Exception:
        # The answers stay saved and the official can press "Yes" again; the cause is logged.
        # The failure may have left the session unusable until it is rolled back.
        db.session.rollback()
        log.exception("confirming conversation %s failed", conversation_id)
        return None
    # No link is kept here: whoever knows the conversation's id must not find the workspace
    # (or the letter) in it. The links are built for the confirming visitor only.
    return {
        "city_id": result.city_id,
        "letter_id": result.letter_id,
        "fee": result.fee.as_dict(),
        "confirmation_sent_to": result.confirmation_sent_to,
    }


def result_links(conversation: Conversation, base: str) -> dict | None:
    """The letter and workspace links of a finished conversation, on `base`.

    Only for the visitor who confirmed it (the views check); None when the city is gone.
    """
    from intake.models import City
    from intake.models.letter import Letter
    from intake.services.letters import letter_urls
    from intake.services.links import workspace_url

    result = conversation.result or {}
    city = db.session.get(City, result.get("city_id"))
    letter = db.session.get(Letter, result.get("letter_id"))
    if city is None:
        return None
    return {"workspace_url": workspace_url(city, base),
            "letter": letter_urls(letter, base) if letter is not None else None,
            "focal_point_email": city.focal_point_email,
            "email_confirmed": city.email_confirmed_at is not None}
