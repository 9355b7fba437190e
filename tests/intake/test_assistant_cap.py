"""A global hourly cap on the letters and cities the public assistant creates."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from intake.extensions import db
from intake.models import City
from intake.models._types import utcnow
from intake.models.letter import Letter
from tests.reliability.helpers import ANSWERS, say, start_conversation


def complete(client, name: str) -> dict:
    conversation_id = start_conversation(client)
    body = None
    # Each visitor is another city with its own focal point (not a registration again).
    answers = [f"{name.lower()}@example.org" if "@" in text else text for text in ANSWERS[1:]]
    for text in [name, *answers]:
        body = say(client, conversation_id, text)
    return say(client, conversation_id, "yes") if not body["done"] else body


def test_the_cap_pauses_new_letters_for_everyone_and_keeps_the_answers(app_factory,
                                                                       database_url, app):
    capped = app_factory(database_url, ASSISTANT_LETTERS_PER_HOUR=2)
    with capped.app_context():
        clients = [capped.test_client() for _ in range(3)]  # three different visitors
        assert complete(clients[0], "Alpha")["done"]
        assert complete(clients[1], "Beta")["done"]
        refused = complete(clients[2], "Gamma")
        assert refused["done"] is False
        assert "new letters are paused" in refused["turn"]["error"]
        assert db.session.scalar(select(func.count(Letter.id))) == 2
        assert db.session.scalar(select(func.count(City.id))) == 2
        # The secretariat's own path is not held back.
        result = capped.test_cli_runner().invoke(args=[
            "cities", "create", "--name", "Staffcity", "--population", "5000"])
        assert result.exit_code == 0, result.output
        # An hour later the same conversation goes through on "Yes".
        db.session.execute(update(Letter).values(created_at=utcnow() - timedelta(hours=2)))
        db.session.commit()
        conversation_id = refused["id"]
        assert say(clients[2], conversation_id, "yes")["done"]
        assert db.session.scalar(select(func.count(Letter.id))) == 3


def test_the_message_is_in_the_visitors_language(app_factory, database_url, app):
    capped = app_factory(database_url, ASSISTANT_LETTERS_PER_HOUR=0)
    with capped.app_context():
        client = capped.test_client()
        conversation_id = client.post("/api/v1/conversations",
                                      json={"locale": "fr"}).get_json()["id"]
        body = None
        for text in ["Lyon", "France", "500000", "oui", "1", "Une ville verte.", "Jeanne",
                     "jeanne@lyon.fr", "Jean", "Maire", "oui"]:
            body = say(client, conversation_id, text)
        assert body["done"] is False
        assert "les nouvelles lettres sont suspendues" in body["turn"]["error"]
