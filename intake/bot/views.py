"""Thin views of the chat page: each turn is a form post; JavaScript only makes it smoother."""

from __future__ import annotations

from decimal import Decimal

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from wtforms import HiddenField, TextAreaField

from forms import conversation as engine
from intake.bot import bp
from intake.errors import render_error
from intake.extensions import limiter
from intake.i18n import current_language
from intake.letter.money import format_fee
from intake.services import signed_letters
from intake.services.conversations import (
    ConversationNotFound,
    current_turn,
    get_conversation,
    post_message,
    result_links,
    start_conversation,
)

SESSION_KEY = "conversation_id"
# The conversations this browser confirmed: only they show the workspace link (a signed
# session cookie, so it cannot be made up by someone who merely knows the id).
COMPLETED_KEY = "completed_conversations"
MAX_COMPLETED = 10


def remember_completed(conversation_id: str) -> None:
    completed = [c for c in session.get(COMPLETED_KEY, []) if c != conversation_id]
    session[COMPLETED_KEY] = (completed + [conversation_id])[-MAX_COMPLETED:]


def completed_here(conversation_id: str) -> bool:
    completed = session.get(COMPLETED_KEY)
    return isinstance(completed, list) and conversation_id in completed
# More than any slot accepts; the engine explains what is too long, in the user's language.
MAX_TEXT = 10 * 1024
MULTILINE_SLOTS = tuple(slot.name for slot in engine.SCRIPT if slot.multiline)


class MessageForm(FlaskForm):
    """One message: typed text, or the value of the quick-reply button pressed."""

    text = TextAreaField(_l("Your answer"))
    choice = HiddenField()

    def message(self) -> str:
        pressed = request.form.get("choice")
        return (pressed if pressed is not None else self.text.data or "")[:MAX_TEXT]


class RestartForm(FlaskForm):
    """Only the CSRF token: starting again is a POST."""


@bp.get("")
def start():
    """A fresh first question (nothing is stored until the first answer), or resume."""
    remembered = get_conversation(session.get(SESSION_KEY))
    if remembered is not None and not current_turn(remembered).done:
        return redirect(url_for("bot.show", conversation_id=remembered.id))
    _state, turn = engine.start(current_language())
    transcript = [{"by": "bot", "text": turn.text, "error": None}]
    return render_template("bot/chat.html", conversation=None, transcript=transcript,
                           turn=turn, form=MessageForm(), restart_form=RestartForm(),
                           multiline=turn.slot in MULTILINE_SLOTS,
                           multiline_slots=" ".join(MULTILINE_SLOTS), result=None)


@bp.post("")
@limiter.limit("20/minute")
def begin():
    form = MessageForm()
    form.validate_on_submit()  # CSRF is checked globally; the text is the engine's job
    reply = start_conversation(current_language())
    text = form.message()
    if text.strip():
        reply = post_message(reply.conversation.id, text, locale=current_language(),
                             base_url=request.host_url)
    session[SESSION_KEY] = reply.conversation.id
    return redirect(url_for("bot.show", conversation_id=reply.conversation.id, _anchor="latest"))


@bp.get("/<conversation_id>")
def show(conversation_id: str):
    conversation = get_conversation(conversation_id)
    if conversation is None:
        return _gone()
    session[SESSION_KEY] = conversation.id
    turn = current_turn(conversation, current_language())
    transcript = list(conversation.transcript or [])
    if conversation.result is None and conversation.locale != current_language():
        # The visitor switched language: ask the pending question again in the new one.
        transcript.append({"by": "bot", "text": turn.text, "error": None})
    return render_template(
        "bot/chat.html", conversation=conversation, transcript=transcript,
        turn=turn, form=MessageForm(), restart_form=RestartForm(),
        multiline=turn.slot in MULTILINE_SLOTS, multiline_slots=" ".join(MULTILINE_SLOTS),
        result=_result_view(conversation), finished=turn.done,
    )


@bp.post("/<conversation_id>")
@limiter.limit("60/minute")
def reply(conversation_id: str):
    form = MessageForm()
    form.validate_on_submit()
    try:
        reply = post_message(conversation_id, form.message(), locale=current_language(),
                             base_url=request.host_url)
    except ConversationNotFound:
        return _gone()
    if reply.completed_now:
        remember_completed(reply.conversation.id)
    return redirect(url_for("bot.show", conversation_id=conversation_id, _anchor="latest"))


def _gone():
    """An unknown or expired conversation: say so and offer a fresh start (never a bare 404)."""
    session.pop(SESSION_KEY, None)
    return render_template("bot/gone.html", restart_form=RestartForm()), 404


@bp.post("/restart")
def restart():
    RestartForm().validate_on_submit()
    session.pop(SESSION_KEY, None)
    return redirect(url_for("bot.start"))


@bp.errorhandler(CSRFError)
def csrf_expired(error):
    """A page left open too long or a lost session: show the conversation with the answer kept.

    The conversation lives on the server under its id, so nothing but the typed answer
    could be lost; it goes back into the box to be sent again with a fresh token.
    """
    conversation = None
    if request.endpoint == "bot.reply":
        conversation = get_conversation((request.view_args or {}).get("conversation_id"))
    if request.method != "POST" or (request.endpoint != "bot.begin" and conversation is None):
        return render_error(400, str(_l("This form had expired. Nothing was saved from it; "
                                        "please fill it in again.")))
    typed = (request.form.get("text") or request.form.get("choice") or "")[:MAX_TEXT]
    notice = _("This page had been open for a long time, so for your security your answer "
               "was not sent yet. It is still in the box below: press Send again.")
    if conversation is not None:
        session[SESSION_KEY] = conversation.id
        turn = current_turn(conversation, current_language())
        transcript = list(conversation.transcript or [])
    else:
        _state, turn = engine.start(current_language())
        transcript = [{"by": "bot", "text": turn.text, "error": None}]
    result = _result_view(conversation) if conversation is not None else None
    # 400: the post was refused (nothing changed), but the page is the usable chat again.
    return render_template(
        "bot/chat.html", conversation=conversation, transcript=transcript, turn=turn,
        form=MessageForm(formdata=None), restart_form=RestartForm(), typed=typed,
        notice=notice, multiline=turn.slot in MULTILINE_SLOTS,
        multiline_slots=" ".join(MULTILINE_SLOTS), result=result, finished=turn.done), 400


def _result_view(conversation) -> dict | None:
    """The stored result with the fee formatted (Babel) for the visitor's language; the
    links only for the browser that confirmed the conversation."""
    result = conversation.result if conversation is not None else None
    if not result:
        return None
    fee = result["fee"]
    amount = Decimal(fee["amount"])
    links = result_links(conversation, request.host_url) \
        if completed_here(conversation.id) else None
    return {
        "fee": fee, "links": links,
        "confirmation_sent_to": result.get("confirmation_sent_to"),
        "amounts": [format_fee(amount, currency) for currency in fee["currencies"]],
        "travel_costs_extra": fee.get("travel_costs_extra", True),
        "signed_max_mb": signed_letters.max_bytes() // (1024 * 1024),
    }
