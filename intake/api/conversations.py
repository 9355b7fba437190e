"""/api/v1/conversations: the intake assistant as JSON, on the same engine as the chat page."""

from __future__ import annotations

import json
import math

from flask import jsonify, request
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from intake.api import bp
from intake.bot.views import completed_here, remember_completed
from intake.extensions import limiter
from intake.i18n import LANGUAGES, normalise_language
from intake.request_limits import without_nul
from intake.services.conversations import (
    ConversationNotFound,
    Reply,
    current_turn,
    get_conversation,
    post_message,
    result_links,
    start_conversation,
)

MAX_TEXT_BYTES = 10 * 1024
# The JSON around the text (quotes, escapes, the key) may take some room of its own.
MAX_BODY_BYTES = 6 * MAX_TEXT_BYTES


class _LocaleField(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        language = normalise_language(text)
        if language is None:
            raise ValidationError(str(_l("The locale must be one of: %(codes)s.",
                                         codes=", ".join(LANGUAGES))))
        return language


class StartSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    locale = _LocaleField(load_default="en")


class MessageSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    text = fields.String(required=True, validate=validate.Length(max=MAX_TEXT_BYTES),
                         error_messages={"required": _l("The text is required."),
                                         "null": _l("The text is required."),
                                         "invalid": _l("The text must be a string.")})
    locale = _LocaleField(load_default=None, allow_none=True)

    @validates("text")
    def _not_too_large(self, value: str, **kwargs) -> None:
        if len(value.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
            raise ValidationError(str(_l("The text is longer than 10 kB.")))


# Loading keeps no state on a schema, so one instance of each serves every request
# (building one binds and copies all its fields each time).
START_SCHEMA = StartSchema()
MESSAGE_SCHEMA = MessageSchema()


class TurnSchema(Schema):
    slot = fields.String(allow_none=True)
    text = fields.String()
    choices = fields.List(fields.Dict())
    error = fields.String(allow_none=True)


class ConversationResultSchema(Schema):
    city_id = fields.Integer()
    fee = fields.Dict()
    confirmation_sent_to = fields.String(metadata={
        "description": "the focal point address (masked) asked to confirm itself; the links "
                       "are e-mailed once it is confirmed"})
    letter = fields.Dict(metadata={
        "description": "html_url, pdf_url, docx_url; only for the client (session) that "
                       "confirmed the conversation"})
    workspace_url = fields.String(metadata={
        "description": "only in the answer to the confirming message and to the same client "
                       "session afterwards; never to anyone who merely knows the id"})


class ConversationSchema(Schema):
    """The assistant's state: its question (turn) and, once done, the result."""

    id = fields.String()
    turn = fields.Nested(TurnSchema)
    done = fields.Boolean()
    result = fields.Nested(ConversationResultSchema)


def _body(schema) -> dict:
    return {"requestBody": {"required": False,
                            "content": {"application/json": {"schema": schema}}}}


def _plain(errors):
    if isinstance(errors, dict):
        return {str(key): _plain(value) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [str(value) for value in errors]
    return [str(errors)]


def _bad_request(message, errors: dict | None = None):
    body = {"error": {"code": 400, "message": str(message)}}
    if errors:
        body["errors"] = _plain(errors)
    return jsonify(body), 400


def _not_found():
    return jsonify({"error": {"code": 404, "message": str(_l(
        "There is no conversation with this id."))}}), 404


NON_FINITE = _l("Numbers must be finite: NaN, Infinity and numbers too large for a double "
                "(such as 1e999) are refused.")


class _NonFinite(ValueError):
    """A number JSON (RFC 8259) does not have: NaN, Infinity, or one that overflows."""


def _refuse_constant(name: str):
    raise _NonFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite(text)
    return value


def _strict_json(raw: bytes):
    """The body as JSON, or None when it is not JSON; NaN, Infinity and 1e999 raise
    _NonFinite (Python's json module would accept them and hand on nan and inf)."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NonFinite:
        raise
    except (ValueError, RecursionError):
        return None


def _load(schema: Schema):
    """(values, None) or (None, 400 response) for the request's JSON body."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return None, _bad_request(_l("The request body is too large."))
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        return None, _bad_request(_l("The request body is too large."))
    try:
        payload = _strict_json(raw) if raw.strip() else {}
    except _NonFinite:
        return None, _bad_request(NON_FINITE)
    if not isinstance(payload, dict):
        return None, _bad_request(_l("The body must be a JSON object."))
    try:
        # NUL never reaches the conversation (the request's own JSON reader drops it too).
        return schema.load(without_nul(payload)), None
    except ValidationError as error:
        return None, _bad_request(_l("Some fields are missing or not valid."), error.messages)


def _turn_json(turn) -> dict:
    return {"slot": turn.slot, "text": turn.text, "choices": list(turn.choices),
            "error": turn.error}


def _reply_json(reply: Reply, conversation_id: str | None = None) -> dict:
    body = _reply_body(reply, conversation_id)
    if reply.completed_now:
        remember_completed(reply.conversation.id)
    if "result" in body and completed_here(reply.conversation.id):
        links = result_links(reply.conversation, request.host_url)
        if links is not None:
            body["result"]["workspace_url"] = links["workspace_url"]
            if links["letter"] is not None:
                body["result"]["letter"] = links["letter"]
    return body


def _reply_body(reply: Reply, conversation_id: str | None = None) -> dict:
    """The reply as JSON; with `conversation_id` (the row's key, read before the service
    committed) and a turn that is not the final one, nothing of the committed row is read.

    A commit expires the row, so reading `id` or `result` again would begin a new
    transaction (on SQLite a write-locking one) and load state and transcript once more.
    A turn that is not done never has a result: the service stores a result only together
    with the final turn, and answers a finished conversation with the final turn.
    """
    if conversation_id is not None and not reply.turn.done:
        return {"id": conversation_id, "turn": _turn_json(reply.turn), "done": False}
    body = {"id": reply.conversation.id, "turn": _turn_json(reply.turn), "done": reply.done}
    result = reply.conversation.result
    if result:
        body["result"] = {"city_id": result["city_id"], "fee": result["fee"],
                          "confirmation_sent_to": result.get("confirmation_sent_to", "")}
    return body


@bp.post("/conversations", tags=["public"])
@bp.doc(**_body(StartSchema))
@bp.response(201, ConversationSchema)
@bp.alt_response(400, response="BAD_REQUEST")
@limiter.limit("20/minute")
def create_conversation():
    """Start a conversation with the intake assistant (public)"""
    values, problem = _load(START_SCHEMA)
    if problem:
        return problem
    reply = start_conversation(values["locale"])
    return jsonify(_reply_json(reply)), 201


@bp.get("/conversations/<conversation_id>", tags=["public"])
@bp.response(200, ConversationSchema)
@bp.alt_response(404, response="NOT_FOUND")
def show_conversation(conversation_id: str):
    """The conversation's current question; the id is the key, keep it private"""
    conversation = get_conversation(conversation_id)
    if conversation is None:
        return _not_found()
    return jsonify(_reply_json(Reply(conversation, current_turn(conversation))))


@bp.post("/conversations/<conversation_id>/messages", tags=["public"])
@bp.doc(**_body(MessageSchema))
@bp.response(200, ConversationSchema)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.alt_response(404, response="NOT_FOUND")
@limiter.limit("60/minute")
def post_conversation_message(conversation_id: str):
    """Answer the assistant's current question"""
    # Held for the whole request: the session's identity map keeps only weak references, so
    # without it the service would read (and decode) the same row a second time.
    conversation = get_conversation(conversation_id)
    if conversation is None:
        return _not_found()
    key = conversation.id
    values, problem = _load(MESSAGE_SCHEMA)
    if problem:
        return problem
    try:
        reply = post_message(key, values["text"], locale=values.get("locale"),
                             base_url=request.host_url)
    except ConversationNotFound:
        return _not_found()
    return jsonify(_reply_json(reply, key))
