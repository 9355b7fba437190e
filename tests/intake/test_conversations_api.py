"""The assistant's JSON API: messy answers never break it; bad requests get 400/404 JSON."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from intake.extensions import db
from intake.models import City, Conversation

API = "/api/v1/conversations"
MESSY = [
    "",                                   # nothing at all
    "<b>Springfield</b><script>alert('x')</script>",
    "Kenia",                              # Spanish name in an English conversation
    "many",                               # not a number
    "about 1.2 million",
    "yse",                                # typo for yes
    "case stduy",                         # typo in a choice
    "   ",
    "A city where <em>everyone</em> & everything is connected.",
    "Jane O'Neil",
    "not an address",
    "jane@springfield.gov",
    "x" * 10_000,                         # 10 kB: too long for a name, kindly refused
    "John Smith",
    "Mayor",
]


def start(client, locale="en"):
    response = client.post(API, json={"locale": locale})
    assert response.status_code == 201
    return response.get_json()


def say(client, conversation_id, text):
    response = client.post(f"{API}/{conversation_id}/messages", json={"text": text})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_start_gives_the_first_question(client):
    body = start(client, "fr")
    assert set(body) >= {"id", "turn"}
    assert body["turn"]["slot"] == "city_name"
    assert "Quel est le nom de votre ville" in body["turn"]["text"]
    assert body["turn"]["choices"] == []
    assert db.session.get(Conversation, body["id"]) is not None


@pytest.mark.parametrize("payload", [{"locale": "xx"}, {"locale": 7}, [1, 2]])
def test_start_with_a_bad_body_is_400(client, payload):
    response = client.post(API, json=payload)
    assert response.status_code == 400
    assert "error" in response.get_json()


def test_start_without_a_body_defaults_to_english(client):
    response = client.post(API)
    assert response.status_code == 201
    assert "What is the name of your city" in response.get_json()["turn"]["text"]


def test_messy_answers_never_break_and_end_with_the_letter(client):
    conversation_id = start(client)["id"]
    replies = [say(client, conversation_id, text) for text in MESSY]
    slots = [reply["turn"]["slot"] for reply in replies]
    assert replies[0]["turn"]["error"]  # empty: asked again
    assert slots[1] == "country"
    assert slots[2] == "population"  # "Kenia" understood
    assert replies[3]["turn"]["error"] and slots[3] == "population"
    assert slots[4] == "economy"
    assert slots[5] == "package"  # "yse": the suggested developing economy
    assert slots[6] == "vision"   # "case stduy"
    assert replies[7]["turn"]["error"]
    assert replies[10]["turn"]["error"] and slots[10] == "focal_point_email"
    assert replies[12]["turn"]["error"] and slots[12] == "representative_name"
    summary = replies[-1]["turn"]
    assert summary["slot"] == "confirm" and summary["error"] is None
    assert "30,000 CHF or USD for every city" in summary["text"]
    assert "Verification and case study" in summary["text"]
    assert all(reply["done"] is False for reply in replies)

    done = say(client, conversation_id, "yes")
    assert done["done"] is True
    result = done["result"]
    assert set(result) == {"city_id", "fee", "letter", "workspace_url", "confirmation_sent_to"}
    assert result["confirmation_sent_to"] == "j•••@springfield.gov"
    assert set(result["letter"]) == {"html_url", "pdf_url", "docx_url"}
    assert result["fee"]["amount"] == "30000"
    assert result["fee"]["package"] == "case_study"
    city = db.session.get(City, result["city_id"])
    assert city.name == "<b>Springfield</b><script>alert('x')</script>"
    assert city.population == 1_200_000 and city.country == "KE"
    assert city.focal_point_email == "jane@springfield.gov"

    letter = client.get(urlsplit(result["letter"]["html_url"]).path)
    assert letter.status_code == 200 and letter.mimetype == "text/html"
    html = letter.get_data(as_text=True)
    assert "&lt;script&gt;" in html and "<script>alert" not in html

    again = say(client, conversation_id, "yes")
    assert again["done"] is True and again["result"] == result
    assert db.session.scalar(select(func.count()).select_from(City)) == 1

    shown = client.get(f"{API}/{conversation_id}").get_json()
    assert shown["done"] is True and shown["result"] == result


def test_a_turn_reads_the_conversation_once_and_writes_it_once(client):
    conversation_id = start(client)["id"]
    say(client, conversation_id, "Springfield")
    db.session.expunge_all()  # as in a new request: nothing known yet
    statements = []

    def record(_connection, _cursor, statement, *_args):
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        back = say(client, conversation_id, "back")
        answer = say(client, conversation_id, "Springfield")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    # Per turn: one SELECT, one versioned UPDATE, and nothing read again after the commit.
    assert [s for s in statements if s != "BEGIN"] == ["SELECT", "UPDATE"] * 2
    assert back["id"] == answer["id"] == conversation_id
    assert back["done"] is False and back["turn"]["slot"] == "city_name"
    assert answer["done"] is False and answer["turn"]["slot"] == "country"
    stored = db.session.get(Conversation, conversation_id)
    assert stored.version == 4 and stored.state["current"] == "country"


def test_get_returns_the_current_turn(client):
    conversation_id = start(client)["id"]
    say(client, conversation_id, "Springfield")
    body = client.get(f"{API}/{conversation_id}").get_json()
    assert body["turn"]["slot"] == "country"
    assert "In which country is Springfield" in body["turn"]["text"]
    assert body["done"] is False


def test_a_message_may_switch_the_language(client):
    conversation_id = start(client)["id"]
    response = client.post(f"{API}/{conversation_id}/messages",
                           json={"text": "Springfield", "locale": "es"})
    assert "¿En qué país está Springfield?" in response.get_json()["turn"]["text"]


@pytest.mark.parametrize("conversation_id", ["00000000-0000-4000-8000-000000000000",
                                             "not-a-uuid", "1"])
def test_unknown_conversations_are_404_json(client, conversation_id):
    for response in (client.get(f"{API}/{conversation_id}"),
                     client.post(f"{API}/{conversation_id}/messages", json={"text": "hi"})):
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == 404


@pytest.mark.parametrize(("data", "content_type"), [
    (b"not json", "application/json"),
    (b"{\"text\": ", "application/json"),
    (json.dumps({"text": 5}).encode(), "application/json"),
    (json.dumps({"text": None}).encode(), "application/json"),
    (json.dumps({"text": ["a"]}).encode(), "application/json"),
    (json.dumps({}).encode(), "application/json"),
    (json.dumps(["text"]).encode(), "application/json"),
    (json.dumps({"text": "x" * 10_241}).encode(), "application/json"),
    (json.dumps({"text": "é" * 6_000}).encode(), "application/json"),  # 12 kB in UTF-8
    (b"text=hello", "application/x-www-form-urlencoded"),
])
def test_malformed_bodies_are_400_json(client, data, content_type):
    conversation_id = start(client)["id"]
    response = client.post(f"{API}/{conversation_id}/messages", data=data,
                           content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == 400
    state = db.session.get(Conversation, conversation_id).state
    assert state["answers"] == {}


def test_an_empty_string_is_a_friendly_error(client):
    conversation_id = start(client)["id"]
    body = say(client, conversation_id, "")
    assert body["turn"]["slot"] == "city_name"
    assert body["turn"]["error"] == "I did not get an answer."


@pytest.mark.parametrize("text", ["250000", "250,000", "250 000", "250k", "1.2 million",
                                  "1,2 millions", "1,2 millones", "1.2 млн", "120万",
                                  "٢٥٠٠٠٠", "١٫٢ مليون"])
def test_number_forms_through_the_api(client, text):
    conversation_id = start(client)["id"]
    say(client, conversation_id, "Springfield")
    say(client, conversation_id, "Kenya")
    body = say(client, conversation_id, text)
    assert body["turn"]["error"] is None
    assert body["turn"]["slot"] == "economy"
    population = db.session.get(Conversation, conversation_id).state["answers"]["population"]
    assert population in (250_000, 1_200_000)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(messages=st.lists(st.text(max_size=80), max_size=30))
def test_any_unicode_is_stored_safely(client, messages):
    conversation_id = start(client)["id"]
    for text in messages:
        response = client.post(f"{API}/{conversation_id}/messages", json={"text": text})
        assert response.status_code == 200
        assert response.get_json()["done"] is False or response.get_json()["result"]


def test_a_failed_confirmation_keeps_every_answer(client, monkeypatch):
    import intake.services.participation as participation

    conversation_id = start(client)["id"]
    for text in ["Springfield", "Kenya", "250000", "yes", "1", "A green city.", "Jane Doe",
                 "jane@springfield.gov", "John Smith", "Mayor"]:
        say(client, conversation_id, text)
    real = participation.confirm_participation

    def broken(answers, *, locale, base_url=None):
        raise RuntimeError("the letter service is down")

    monkeypatch.setattr(participation, "confirm_participation", broken)
    body = say(client, conversation_id, "yes")
    assert body["done"] is False
    assert body["turn"]["slot"] == "confirm" and body["turn"]["error"]
    state = db.session.get(Conversation, conversation_id).state
    assert not state["done"] and len(state["answers"]) == 10
    assert db.session.scalar(select(func.count()).select_from(City)) == 0

    monkeypatch.setattr(participation, "confirm_participation", real)
    body = say(client, conversation_id, "yes")
    assert body["done"] is True and body["result"]["fee"]["amount"] == "3000"
