"""Abandoned assistant conversations expire; an expired one says to start again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from intake.extensions import db
from intake.models import Conversation
from intake.models._types import utcnow
from intake.services.conversations import expire_conversations
from tests.reliability.helpers import say, start_conversation


def _age(conversation_id: str, days: int) -> None:
    db.session.execute(update(Conversation).where(Conversation.id == conversation_id)
                       .values(updated_at=utcnow() - timedelta(days=days)))
    db.session.commit()


def test_a_conversation_left_30_days_expires(app, client):
    old = start_conversation(client)
    say(client, old, "Springfield")
    fresh = start_conversation(client)
    _age(old, 31)
    _age(fresh, 29)
    # Expired before the cleanup has run: the page says so and offers a fresh start.
    page = client.get(f"/assistant/{old}")
    assert page.status_code == 404
    text = page.get_data(as_text=True)
    assert "This conversation is no longer available" in text
    assert "30 days" in text and 'action="/assistant/restart"' in text
    assert client.post(f"/api/v1/conversations/{old}/messages",
                       json={"text": "Kenya"}).status_code == 404
    assert client.get(f"/assistant/{fresh}").status_code == 200
    # The scheduled cleanup deletes it (and only it).
    assert expire_conversations() == 1
    assert db.session.scalar(select(func.count()).select_from(Conversation)) == 1
    assert db.session.get(Conversation, fresh) is not None


def test_an_expired_conversation_answers_in_the_visitors_language(app, client):
    old = start_conversation(client)
    _age(old, 40)
    page = client.get(f"/assistant/{old}", headers={"Accept-Language": "ar"})
    assert "لم تعد هذه المحادثة متاحة" in page.get_data(as_text=True)


def test_finished_conversations_are_kept(app):
    conversation = Conversation(id="00000000-0000-4000-8000-000000000001", locale="en",
                                state={}, transcript=[], result={"city_id": None},
                                updated_at=utcnow() - timedelta(days=400))
    db.session.add(conversation)
    db.session.commit()
    assert expire_conversations() == 0


def test_the_cleanup_is_on_the_schedule(app):
    from intake.maintenance import expire_conversations as task
    from intake.schedule import PERIODIC

    assert task in [entry.function for entry in PERIODIC]
