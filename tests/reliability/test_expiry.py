"""An expired form or a lost session in the middle of the wizard or the assistant loses nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import time_machine
from sqlalchemy import select

from intake.extensions import db
from intake.models import Conversation
from intake.models.values import DataValue
from intake.services.cities import create_city
from tests.conftest import csrf_token_from
from tests.reliability.helpers import (
    DRAINAGE,
    fresh_csrf,
    input_value,
    open_workspace,
    step_form,
    version_from,
)

TYPED = {"dp_dr_km": "777", "dp_dr_ict_km": "77", "kpi_ec_ict_d_1a__source": "City GIS <2025>"}
KEPT_NOTICE = "Your figures are still here"


def _stored(city_id: int, dp_id: str) -> DataValue | None:
    db.session.expire_all()
    return db.session.execute(select(DataValue).where(
        DataValue.city_id == city_id, DataValue.data_point_id == dp_id)).scalar_one_or_none()


def _foreign_token(app_factory, database_url) -> str:
    """A well-formed CSRF token signed with another SECRET_KEY (an old deployment's)."""
    from flask_wtf.csrf import generate_csrf

    other = app_factory(database_url, SECRET_KEY="a-previous-secret")
    with other.test_request_context("/"):
        return generate_csrf()


def _assert_typed_values_kept(html: str) -> None:
    assert input_value(html, "dp_dr_km") == "777"
    assert input_value(html, "dp_dr_ict_km") == "77"
    assert unescape(input_value(html, "kpi_ec_ict_d_1a__source")) == "City GIS <2025>"


def _save_again(client, html: str):
    fresh_csrf()
    return client.post(f"/w/c/{DRAINAGE}/0", data=step_form(html, TYPED))


def test_token_signed_with_another_key_rerenders_the_step(app, app_factory, database_url):
    city = create_city(name="Keyshift", population=40_000)
    client = app.test_client()
    open_workspace(client, city)
    page = client.get(f"/w/c/{DRAINAGE}/0").text
    form = {**step_form(page, TYPED), "csrf_token": _foreign_token(app_factory, database_url)}
    fresh_csrf()
    response = client.post(f"/w/c/{DRAINAGE}/0", data=form)
    assert response.status_code == 200
    assert KEPT_NOTICE in response.text
    _assert_typed_values_kept(response.text)
    assert _stored(city.id, "dr_km") is None  # nothing saved behind the user's back
    assert _save_again(client, response.text).status_code == 302
    assert _stored(city.id, "dr_km").raw_text == "777"


def test_cleared_cookies_keep_values_through_the_page(app):
    city = create_city(name="Cookieless", population=40_000)
    client = app.test_client()
    open_workspace(client, city)
    page = client.get(f"/w/c/{DRAINAGE}/0").text
    client._cookies.clear()  # the browser dropped its cookies (private window closed, …)
    fresh_csrf()
    response = client.post(f"/w/c/{DRAINAGE}/0", data=step_form(page, TYPED))
    assert response.status_code == 200
    _assert_typed_values_kept(response.text)
    assert _save_again(client, response.text).status_code == 302
    assert _stored(city.id, "dr_km").raw_text == "777"


def test_session_older_than_its_lifetime_keeps_values(app):
    city = create_city(name="Weekend", population=40_000)
    client = app.test_client()
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=True) as traveller:
        open_workspace(client, city)
        page = client.get(f"/w/c/{DRAINAGE}/0").text
        version = version_from(page)
        lifetime = app.permanent_session_lifetime
        traveller.shift(lifetime + timedelta(days=1))  # the tab stayed open over a long break
        fresh_csrf()
        response = client.post(f"/w/c/{DRAINAGE}/0", data=step_form(page, TYPED))
        assert response.status_code == 200, response.status_code
        _assert_typed_values_kept(response.text)
        assert version_from(response.text) == version
        assert _stored(city.id, "dr_km") is None
        assert _save_again(client, response.text).status_code == 302
    assert _stored(city.id, "dr_km").raw_text == "777"


# ------------------------------------------------------------------------------ assistant
def _chat_input(html: str) -> str | None:
    match = re.search(r'<input[^>]*name="text"[^>]*value="([^"]*)"', html)
    if match:
        return unescape(match.group(1))
    match = re.search(r'<textarea[^>]*name="text"[^>]*>([^<]*)</textarea>', html)
    return unescape(match.group(1)) if match else None


def _begin(client) -> str:
    page = client.get("/assistant").text
    response = client.post("/assistant", data={"csrf_token": csrf_token_from(page),
                                               "text": "Springfield"})
    assert response.status_code == 302
    return re.search(r"/assistant/[0-9a-f-]{36}", response.headers["Location"]).group(0)


def test_assistant_answer_survives_a_lost_session(app):
    client = app.test_client()
    url = _begin(client)
    page = client.get(url).text
    stranger = app.test_client()  # the same page, but the session cookie is gone
    fresh_csrf()
    response = stranger.post(url, data={"csrf_token": csrf_token_from(page),
                                        "text": "Kenya <b>KE</b>"})
    assert response.status_code == 400  # refused, yet the chat is back with the answer
    assert "your answer was not sent yet" in response.text
    assert _chat_input(response.text) == "Kenya <b>KE</b>"
    assert "Springfield" in response.text  # the conversation, found by its id
    assert "In which country is Springfield?" in unescape(response.text)
    conversation_id = url.rsplit("/", 1)[1]
    assert len(db.session.get(Conversation, conversation_id).state["answers"]) == 1
    fresh_csrf()
    again = stranger.post(url, data={"csrf_token": csrf_token_from(response.text),
                                     "text": "Kenya"})
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Conversation, conversation_id).state["answers"]["country"] == "KE"


def test_assistant_after_the_session_lifetime_keeps_the_answer(app):
    client = app.test_client()
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=True) as traveller:
        url = _begin(client)
        page = client.get(url).text
        traveller.shift(app.permanent_session_lifetime + timedelta(days=1))
        fresh_csrf()
        response = client.post(url, data={"csrf_token": csrf_token_from(page),
                                          "text": "Norway"})
        assert response.status_code == 400
        assert _chat_input(response.text) == "Norway"
        conversation_id = url.rsplit("/", 1)[1]
        assert "country" not in db.session.get(Conversation, conversation_id).state["answers"]
        fresh_csrf()
        again = client.post(url, data={"csrf_token": csrf_token_from(response.text),
                                       "text": "Norway"})
        assert again.status_code == 302
        # The answer sent again is the one stored, and the next question follows from it
        # (asked while the conversation is young: unused ones expire after 30 days).
        db.session.expire_all()
        assert db.session.get(Conversation, conversation_id).state["answers"]["country"] == "NO"
        assert "How many people live in Springfield?" in unescape(client.get(url).text)


def test_first_assistant_answer_is_kept_when_the_token_is_stale(app, app_factory,
                                                                database_url):
    client = app.test_client()
    client.get("/assistant")
    fresh_csrf()
    response = client.post("/assistant", data={
        "csrf_token": _foreign_token(app_factory, database_url), "text": "Ålesund"})
    assert response.status_code == 400
    assert _chat_input(response.text) == "Ålesund"
    assert db.session.scalar(select(db.func.count()).select_from(Conversation)) == 0
    fresh_csrf()
    again = client.post("/assistant", data={"csrf_token": csrf_token_from(response.text),
                                            "text": _chat_input(response.text)})
    assert again.status_code == 302
    [conversation] = db.session.scalars(select(Conversation)).all()
    assert conversation.state["answers"] == {"city_name": "Ålesund"}
