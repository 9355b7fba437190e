"""A city's first hour: links that work on any address, a confirmed address before any link
is e-mailed, no city registered twice, a lost link found again, the signed letter returned,
and the score in sight."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from intake import ConfigError, create_app
from intake.extensions import db
from intake.models import City, JobRecord, PossibleDuplicate, ProgrammeStage
from intake.models.letter import Letter
from intake.services import onboarding, pipeline
from intake.services.cities import create_city
from intake.services.links import workspace_token
from tests.conftest import csrf_token_from
from tests.intake.test_accounts import make_staff, sign_in
from tests.intake.test_secretariat import complete

API = "/api/v1/conversations"
ANSWERS = ["Springfield", "Kenya", "250000", "yes", "1", "A green city.", "Jane Doe",
           "jane@springfield.gov", "John Smith", "Mayor"]
ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40 + b"IEND\xaeB`\x82")


def say(client, conversation_id, text, **kwargs):
    response = client.post(f"{API}/{conversation_id}/messages", json={"text": text}, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def converse(client, answers=ANSWERS, *, confirm=True, **kwargs) -> tuple[str, dict]:
    conversation_id = client.post(API, json={"locale": "en"}, **kwargs).get_json()["id"]
    reply = None
    for text in answers:
        reply = say(client, conversation_id, text, **kwargs)
    if confirm:
        reply = say(client, conversation_id, "yes", **kwargs)
    return conversation_id, reply


def as_sent(job: JobRecord) -> str:
    """A mail's text as sent: links wait in the job row as placeholders until then."""
    from intake.services.links import reveal_links

    return reveal_links(job.payload["body"])


def mails(to: str | None = None) -> list[JobRecord]:
    jobs = db.session.execute(select(JobRecord).where(JobRecord.kind == "mail.send")
                              .order_by(JobRecord.created_at)).scalars().all()
    return [job for job in jobs if to is None or to in job.payload["to"]]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def confirm_address(client, city: City):
    token = onboarding.confirmation_token(city)
    page = client.get(f"/confirm-email/{token}")
    assert page.status_code == 200
    return client.post(f"/confirm-email/{token}", data={"csrf_token": csrf_token_from(page.text)})


# ------------------------------------------------------------------------------ addresses
def test_page_links_follow_the_request_and_mails_follow_public_base_url(app, client):
    _id, done = converse(client, base_url="http://portal.example:5077")
    result = done["result"]
    for url in (result["workspace_url"], *result["letter"].values()):
        assert url.startswith("http://portal.example:5077/"), url
    page = client.get(f"/assistant/{_id}", base_url="http://portal.example:5077").text
    assert 'value="http://portal.example:5077/w/' in page
    assert 'href="http://portal.example:5077/letters/' in page
    # The e-mails use PUBLIC_BASE_URL (http://localhost in the tests' settings).
    confirmation = mails("jane@springfield.gov")[0]
    assert "http://localhost/confirm-email/" in confirmation.payload["body"]


def test_without_public_base_url_mails_use_the_address_in_use(app_factory, database_url):
    other = app_factory(database_url, PUBLIC_BASE_URL=None)
    with other.app_context():
        from tests.conftest import _clear_tables

        _clear_tables(db)
        client = other.test_client()
        converse(client, base_url="http://127.0.0.1:5077")
        body = mails("jane@springfield.gov")[0].payload["body"]
        assert "http://127.0.0.1:5077/confirm-email/" in body
        _clear_tables(db)


def test_production_without_public_base_url_stops_with_one_line(monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(ConfigError) as caught:
        create_app({"PRODUCTION": True, "SECRET_KEY": "prod-secret"})
    assert "PUBLIC_BASE_URL is not set" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_make_run_passes_its_port_on():
    shown = subprocess.run(
        ["make", "-n", "-o", "system-deps", "-o", "install", "-o", "translations", "-o", "db",
         "run", "PORT=5077"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    lines = [line for line in shown.splitlines() if "flask" in line]
    assert len(lines) == 2
    for line in lines:
        assert 'PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://127.0.0.1:5077}"' in line
    assert lines[1].endswith("--port 5077")


# ------------------------------------------------------------------------------ #13.8
def test_the_workspace_link_is_shown_only_to_who_completed_the_conversation(app, client):
    conversation_id, done = converse(client)
    assert "/w/" in done["result"]["workspace_url"]
    # The same client session keeps seeing it (a reload of the page, a retried GET).
    assert "workspace_url" in client.get(f"{API}/{conversation_id}").get_json()["result"]
    assert "/w/" in client.get(f"/assistant/{conversation_id}").text

    # Whoever merely knows the id (the one who started it, a log, a history) never does.
    stranger = app.test_client()
    shown = stranger.get(f"{API}/{conversation_id}").get_json()
    assert shown["done"] is True
    assert "workspace_url" not in shown["result"] and "letter" not in shown["result"]
    again = stranger.post(f"{API}/{conversation_id}/messages", json={"text": "yes"})
    assert "workspace_url" not in again.get_json()["result"]
    page = stranger.get(f"/assistant/{conversation_id}").text
    assert "/w/" not in page and "/letters/" not in page
    assert 'id="finished-elsewhere"' in page
    # Nor is any link kept in the conversation's row.
    from intake.models import Conversation

    stored = json.dumps(db.session.get(Conversation, conversation_id).result)
    assert "/w/" not in stored and "/letters/" not in stored


def test_a_browser_that_started_but_did_not_finish_gets_no_link(app, client):
    """The starter of a conversation hands its id to someone else, who completes it."""
    starter = app.test_client()
    page = starter.get("/assistant")
    response = starter.post("/assistant", data={"csrf_token": csrf_token_from(page.text),
                                                "text": "Springfield"})
    conversation_id = response.headers["Location"].split("/assistant/")[1].split("#")[0]
    for text in ANSWERS[1:] + ["yes"]:
        say(client, conversation_id, text)
    page = starter.get(f"/assistant/{conversation_id}").text
    assert "/w/" not in page and 'id="finished-elsewhere"' in page


# ------------------------------------------------------------------------------ #13.7
def test_only_a_confirmation_goes_to_an_unconfirmed_address(app, client):
    _id, done = converse(client)
    city = db.session.get(City, done["result"]["city_id"])
    assert city.email_confirmed_at is None
    sent = mails("jane@springfield.gov")
    assert len(sent) == 1
    body = sent[0].payload["body"]
    assert "Springfield" not in body and "Jane" not in body and "/w/" not in body
    # Nothing else reaches it: not a programme step, not the workspace's "e-mail me a link".
    secretariat = make_staff()
    pipeline.move_city(city.id, ProgrammeStage.ACKNOWLEDGED, actor=secretariat)
    client.get(f"/w/{workspace_token(city)}")
    page = client.get("/w/").text
    client.post("/w/resume-link", data={"csrf_token": csrf_token_from(page),
                                        "email": "jane@springfield.gov"})
    client.post("/w/resume-link", data={"csrf_token": csrf_token_from(page),
                                        "email": "victim@example.org"})
    assert len(mails("jane@springfield.gov")) == 1
    assert mails("victim@example.org") == []

    # Opening the link confirms nothing (mail scanners open links); the button does.
    token = onboarding.confirmation_token(city)
    assert client.get(f"/confirm-email/{token}").status_code == 200
    db.session.refresh(city)
    assert city.email_confirmed_at is None
    assert confirm_address(client, city).status_code == 200
    db.session.refresh(city)
    assert city.email_confirmed_at is not None
    links = as_sent(mails("jane@springfield.gov")[-1])
    assert "http://localhost/w/" in links and "http://localhost/letters/" in links
    assert "Signed participation letter" in links  # how to return the signed letter
    assert client.get("/confirm-email/forged").status_code == 404


# ------------------------------------------------------------------------------ duplicates
def test_registering_the_same_city_again_offers_its_links_and_creates_nothing(app, client):
    _id, done = converse(client)
    first = db.session.get(City, done["result"]["city_id"])
    confirm_address(client, first)
    cities, letters, before = count(City), count(Letter), len(mails("jane@springfield.gov"))

    other = app.test_client()
    conversation_id = other.post(API, json={"locale": "en"}).get_json()["id"]
    say(other, conversation_id, "springfield")
    offer = say(other, conversation_id, "Kenya")["turn"]
    assert offer["slot"] == "registered"
    assert "already registered" in offer["text"] and "j•••@springfield.gov" in offer["text"]
    assert [c["value"] for c in offer["choices"]] == ["send-existing-links", "different-city"]
    sent = say(other, conversation_id, "send-existing-links")
    assert sent["done"] is True and sent["turn"]["slot"] == "registered"
    assert "result" not in sent
    assert (count(City), count(Letter)) == (cities, letters)
    assert len(mails("jane@springfield.gov")) == before + 1
    assert "/w/" in as_sent(mails("jane@springfield.gov")[-1])
    # The conversation is over: more messages change nothing.
    assert say(other, conversation_id, "yes")["turn"]["slot"] == "registered"
    page = other.get(f"/assistant/{conversation_id}").text
    assert "Nothing new was registered" in page and 'id="assistant-form"' not in page


def test_the_same_focal_point_address_is_recognised_too(app, client):
    converse(client)
    other = app.test_client()
    answers = ["Shelbyville", "Kenya", "90000", "yes", "1", "Another city.", "Jane Doe",
               "JANE@springfield.gov"]
    _id, reply = converse(other, answers, confirm=False)
    assert reply["turn"]["slot"] == "registered"
    assert "This e-mail address is already the focal point" in reply["turn"]["text"]
    assert "Springfield" not in reply["turn"]["text"]  # the address does not reveal the city


def test_another_city_of_the_same_name_continues_and_is_flagged(app, client):
    converse(client)
    other = app.test_client()
    conversation_id = other.post(API, json={"locale": "en"}).get_json()["id"]
    say(other, conversation_id, "Springfield")
    assert say(other, conversation_id, "Kenya")["turn"]["slot"] == "registered"
    carry_on = say(other, conversation_id, "different-city")
    assert carry_on["turn"]["slot"] == "population"
    for text in ["90000", "yes", "1", "Another city.", "Joe Bloggs", "joe@other.example",
                 "Ann Smith", "Mayor", "yes"]:
        reply = say(other, conversation_id, text)
    assert reply["done"] is True and count(City) == 2
    flag = db.session.execute(select(PossibleDuplicate)).scalar_one()
    assert (flag.reason, flag.resolution) == ("name", None)
    assert flag.city_id == reply["result"]["city_id"]


def test_the_secretariat_sees_possible_duplicates_and_merges_or_dismisses(app, client):
    first_id = converse(client)[1]["result"]["city_id"]
    second_id = converse(app.test_client(), ANSWERS[:2] + ["different-city"] + ANSWERS[2:7]
                         + ["joe@other.example"] + ANSWERS[8:])[1]["result"]["city_id"]
    # Two Springfields are registered now: "another city" answers for both.
    third_id = converse(app.test_client(), ["Springfield", "Kenya", "different-city", "1000",
                                            "no", "1", "Third.", "Al", "al@x.example", "Bo",
                                            "Mayor"])[1]["result"]["city_id"]
    flags = db.session.execute(select(PossibleDuplicate).order_by(PossibleDuplicate.id)
                               ).scalars().all()
    assert [(f.city_id, f.original_id) for f in flags] == [
        (second_id, first_id), (third_id, first_id), (third_id, second_id)]
    make_staff()
    staff = app.test_client()
    sign_in(staff)
    assert "possible duplicate" in staff.get("/staff/").text
    assert "possible duplicate" in staff.get("/staff/letters").text
    page = staff.get(f"/staff/cities/{second_id}").text
    assert "The same city name and country as Springfield" in page
    token = csrf_token_from(page)

    # Without the CSRF token nothing happens.
    staff.post(f"/staff/duplicates/{flags[0].id}/merge")
    assert db.session.get(City, second_id) is not None

    staff.post(f"/staff/duplicates/{flags[2].id}/dismiss", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(PossibleDuplicate, flags[2].id).resolution == "dismissed"

    second_letter = db.session.execute(select(Letter.id).where(Letter.city_id == second_id)
                                       ).scalar_one()
    response = staff.post(f"/staff/duplicates/{flags[0].id}/merge",
                          data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(City, second_id) is None
    kept = db.session.get(City, first_id)
    assert kept.focal_point_email == "jane@springfield.gov"  # the older city's data
    assert db.session.get(Letter, second_letter).city_id == first_id
    assert count(Letter) == 3 and count(City) == 2


# ------------------------------------------------------------------------------ lost links
def test_resume_by_email_sends_the_links_and_always_answers_the_same(app, client):
    city = create_city(name="Stepford", population=50_000, focal_point_email="fp@example.org")
    unconfirmed = create_city(name="Other", population=5_000, focal_point_email="new@x.org",
                              email_confirmed=False)
    answers = []
    for address in ("FP@example.org", "nobody@example.org", "new@x.org"):
        page = client.get("/resume")
        response = client.post("/resume", data={"csrf_token": csrf_token_from(page.text),
                                                "lost-email": address},
                               follow_redirects=True)
        assert response.status_code == 200
        answers.append(response.text.split('class="flash')[1][:300])
    assert answers[0] == answers[1] == answers[2]
    links = mails("fp@example.org")
    assert len(links) == 1 and "/w/" in as_sent(links[0])
    assert "Stepford" in links[0].payload["subject"]
    assert mails("nobody@example.org") == []
    # An unconfirmed address is only asked (again) to confirm itself.
    again = mails("new@x.org")
    assert len(again) == 1 and "/confirm-email/" in again[0].payload["body"]
    assert "/w/" not in again[0].payload["body"]
    assert city.id and unconfirmed.id


def test_resume_by_email_refuses_garbage_and_is_rate_limited(app_factory, database_url):
    limited = app_factory(database_url, RATELIMIT_ENABLED=True)
    client = limited.test_client()
    with limited.app_context():
        page = client.get("/resume")
        bad = client.post("/resume", data={"csrf_token": csrf_token_from(page.text),
                                           "lost-email": "not an address"})
        assert bad.status_code == 400 and "does not look right" in bad.text
        statuses = [client.post("/resume", data={"csrf_token": csrf_token_from(page.text),
                                                 "lost-email": f"a{i}@example.org"}
                                ).status_code for i in range(12)]
        assert 429 in statuses


def test_staff_resend_a_city_link(app, client):
    city = create_city(name="Stepford", population=50_000, focal_point_email="fp@example.org")
    make_staff()
    sign_in(client)
    page = client.get(f"/staff/cities/{city.id}").text
    assert 'id="resend-link"' in page
    client.post(f"/staff/cities/{city.id}/resend-link")  # no CSRF token: nothing
    assert mails("fp@example.org") == []
    response = client.post(f"/staff/cities/{city.id}/resend-link",
                           data={"csrf_token": csrf_token_from(page)}, follow_redirects=True)
    assert "e-mailed again to fp@example.org" in response.text
    assert "http://localhost/w/" in as_sent(mails("fp@example.org")[0])


def test_demo_load_prints_a_workspace_link(app):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    printed = json.loads(result.output)
    path = urlsplit(printed["workspace_url"]).path
    assert path.startswith("/w/")
    client = app.test_client()
    assert client.get(path).status_code == 302
    assert "Demoville" in client.get("/w/").text


# ------------------------------------------------------------------------------ signed letter
def upload(client, data: bytes, name: str):
    page = client.get("/w/").text
    return client.post("/w/signed-letter", data={
        "csrf_token": csrf_token_from(page), "signed_letter": (io.BytesIO(data), name)},
        content_type="multipart/form-data", follow_redirects=True)


def test_the_signed_letter_is_uploaded_received_and_acknowledged(app, client):
    _id, done = converse(client)
    city = db.session.get(City, done["result"]["city_id"])
    done["result"]["letter_id"] = db.session.execute(
        select(Letter.id).where(Letter.city_id == city.id)).scalar_one()
    client.get(f"/w/{workspace_token(city)}")
    assert "Upload the signed letter" in client.get("/w/").text
    for data, name in ((b"<html><script>x</script></html>", "letter.pdf"),
                       (b"PK\x03\x04 not a letter", "letter.xlsx"), (b"", "letter.pdf"),
                       (PDF, "letter.png")):
        refused = upload(client, data, name)
        assert refused.status_code == 200 and 'class="flash' in refused.text
        assert db.session.get(Letter, done["result"]["letter_id"]).signed_at is None
    app.config["EVIDENCE_MAX_BYTES"] = 1024
    assert "larger than" in upload(client, PDF + b"%" * 2000 + b"\n%%EOF", "big.pdf").text
    app.config.pop("EVIDENCE_MAX_BYTES")

    accepted = upload(client, PNG, "signed.png")
    assert "the secretariat has received your signed letter" in accepted.text
    assert "Received" in accepted.text and "signed.png" in accepted.text
    accepted = upload(client, PDF, "signed.pdf")  # replaced until acknowledged
    letter = db.session.get(Letter, done["result"]["letter_id"])
    db.session.refresh(letter)
    assert (letter.signed_name, letter.signed_content_type) == ("signed.pdf",
                                                                "application/pdf")
    told = mails("u4ssc@localhost")
    assert any("Signed participation letter received" in job.payload["subject"]
               for job in told)

    staff = app.test_client()
    make_staff()
    sign_in(staff)
    inbox = staff.get("/staff/letters").text
    assert "Signed letter received" in inbox
    assert "Signed letter received" in staff.get("/staff/").text
    download = staff.get(f"/staff/letters/{letter.id}/signed")
    assert download.status_code == 200 and download.data == PDF
    download.close()
    assert client.get(f"/staff/letters/{letter.id}/signed").status_code in (302, 401, 403)
    staff.post(f"/staff/letters/{letter.id}/acknowledge")  # no CSRF token
    db.session.refresh(letter)
    assert letter.signed_acknowledged_at is None
    staff.post(f"/staff/letters/{letter.id}/acknowledge",
               data={"csrf_token": csrf_token_from(inbox), "back": "letters"})
    db.session.refresh(letter)
    db.session.refresh(city)
    assert letter.signed_acknowledged_at is not None
    assert city.stage == ProgrammeStage.ACKNOWLEDGED
    assert "Signed letter acknowledged" in staff.get("/staff/letters").text
    assert "Acknowledged" in client.get("/w/").text
    assert "already acknowledged" in upload(client, PDF, "again.pdf").text


# ------------------------------------------------------------------------------ the score
def test_the_workspace_shows_scores_progress_and_the_snapshot(app, client):
    city = create_city(name="Stepford", population=50_000, focal_point_email="fp@example.org")
    client.get(f"/w/{workspace_token(city)}")
    page = client.get("/w/").text
    assert 'id="overall-progress"' in page and 'value="0"' in page
    assert 'id="snapshot-link" href="/snapshot/"' in page
    assert "overall-score" not in page
    from intake.services.values import catalog

    first, second = catalog().categories[0], catalog().categories[1]
    complete(city.id, first.id, percent=80.0, band=3)
    complete(city.id, second.id)  # complete, not scored yet
    page = client.get("/w/").text
    assert "80%" in page and "66–95 % of target" in page
    assert f'href="/snapshot/#cat-{first.id}"' in page
    assert "Being scored" in page
    assert 'id="overall-score"' in page
    assert client.get("/snapshot/").status_code == 200
