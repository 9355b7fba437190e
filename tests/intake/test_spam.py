"""The secretariat rejects a spam city: letter, links and pending e-mails gone, audited."""

from __future__ import annotations

from sqlalchemy import func, select

from intake.extensions import db
from intake.models import AuditEvent, City, Conversation, JobRecord, Letter
from intake.services.links import workspace_token
from tests.conftest import csrf_token_from
from tests.intake.test_accounts import make_staff, sign_in
from tests.reliability.helpers import ANSWERS, say, start_conversation


def spam_city(app_factory, database_url):
    """A city made through the assistant with Redis down: its e-mails wait, pending."""
    offline = app_factory(database_url, REDIS_URL="redis://127.0.0.1:1/0")
    with offline.app_context():
        client = offline.test_client()
        conversation_id = start_conversation(client)
        for text in [*ANSWERS, "yes"]:
            body = say(client, conversation_id, text)
        assert body["done"]
        return body["result"]["city_id"], conversation_id


def test_rejecting_a_city_as_spam(app, client, app_factory, database_url):
    city_id, conversation_id = spam_city(app_factory, database_url)
    db.session.expire_all()
    city = db.session.get(City, city_id)
    token = workspace_token(city)
    mails = db.session.scalar(select(func.count(JobRecord.id)).where(
        JobRecord.kind == "mail.send", JobRecord.state == "pending"))
    assert mails >= 1
    make_staff()
    sign_in(client)
    page = client.get(f"/staff/cities/{city_id}")
    assert "Reject Springfield as spam" in page.get_data(as_text=True)
    # CSRF protected.
    assert client.post(f"/staff/cities/{city_id}/reject-spam").status_code == 400
    assert db.session.get(City, city_id) is not None
    response = client.post(f"/staff/cities/{city_id}/reject-spam",
                           data={"csrf_token": csrf_token_from(page.data)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(City, city_id) is None
    assert db.session.scalar(select(func.count(Letter.id))) == 0
    assert db.session.get(Conversation, conversation_id) is None
    assert db.session.scalar(select(func.count(JobRecord.id)).where(
        JobRecord.kind == "mail.send", JobRecord.state == "pending")) == 0
    (event,) = db.session.execute(select(AuditEvent)).scalars()
    assert (event.action, event.actor, event.city_id) == (
        "city.rejected_as_spam", "sec@example.org", city_id)
    assert event.detail["name"] == "Springfield" and event.detail["letters"] == 1
    # Its link leads nowhere; it is gone from the pipeline.
    other = app.test_client()
    assert other.get(f"/w/{token}").status_code in (302, 404, 410)
    assert other.get("/w/", follow_redirects=False).status_code != 200
    assert "Springfield was rejected as spam" in client.get("/staff/").get_data(as_text=True)
    assert "Springfield" not in client.get("/staff/").get_data(as_text=True)


def test_verifiers_cannot_reject(app, client):
    from intake.services.cities import create_city

    city = create_city(name="Realcity", population=10_000)
    make_staff(email="ver@example.org", role="verifier")
    sign_in(client, email="ver@example.org")
    response = client.post(f"/staff/cities/{city.id}/reject-spam", data={})
    assert response.status_code in (302, 400, 403, 404)
    assert db.session.get(City, city.id) is not None
