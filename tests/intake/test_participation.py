"""Confirming participation: one city and one letter per conversation, e-mails, downloads."""

from __future__ import annotations

import io
from dataclasses import replace
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from docx import Document
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import City, JobRecord, JobState, ProgrammeStage
from intake.models.letter import ImmutableLetterError, Letter
from intake.services.letters import create_letter, letter_token
from intake.services.links import city_from_token
from intake.services.participation import ParticipationResult, confirm_participation


def answers(**overrides) -> dict:
    base = {
        "city_name": "Ålesund <b>&</b>", "country": "no", "population": 250_000,
        "economy": "developing", "package": "verification",
        "vision": "A city that measures what matters.",
        "focal_point_name": "Kari Nordmann", "focal_point_email": "kari@example.org",
        "representative_name": "Eva Mayor", "representative_title": "Mayor",
        "conversation_id": "conv-1",
    }
    base.update(overrides)
    return base


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_confirming_twice_gives_one_city_one_letter_and_two_emails(app):
    first = confirm_participation(answers(), locale="fr")
    second = confirm_participation(answers(), locale="fr")
    assert isinstance(first, ParticipationResult)
    # The workspace link is re-issued (it is timed, see services/links.py); it opens the
    # same city. Everything else is identical.
    assert replace(second, workspace_url="") == replace(first, workspace_url="")
    assert city_from_token(second.workspace_url.rsplit("/w/", 1)[1]).id == first.city_id
    assert count(City) == 1 and count(Letter) == 1

    city = db.session.get(City, first.city_id)
    assert city.stage == ProgrammeStage.LETTER_RECEIVED
    assert (city.name, city.country, city.locale) == ("Ålesund <b>&</b>", "NO", "fr")
    assert first.fee.amount == Decimal("3000") and first.fee.band == "100k_500k"
    letter = db.session.get(Letter, first.letter_id)
    assert letter.fee["amount"] == "3000" and letter.locale == "fr"
    assert letter.template_version and letter.is_rendered
    assert letter.pdf.startswith(b"%PDF") and letter.conversation_id == "conv-1"
    # The workspace link in the result opens this city.
    assert city_from_token(first.workspace_url.rsplit("/w/", 1)[1]).id == city.id

    jobs = db.session.execute(select(JobRecord).order_by(JobRecord.key)).scalars().all()
    assert [(job.kind, job.queue) for job in jobs] == [
        ("letter.render", "documents"), ("mail.send", "mail"), ("mail.send", "mail")]
    mails = {job.key: job for job in jobs if job.kind == "mail.send"}
    secretariat = mails[f"mail:letter-secretariat:{letter.id}"]
    confirmation = mails[f"mail:confirm-email:{city.id}:first"]
    # No MAIL_SERVER in tests: the job ran and recorded that nothing was sent.
    for job in (secretariat, confirmation):
        assert job.state == JobState.DONE
        assert job.result == {"sent": False, "reason": "MAIL_SERVER unset"}
    assert secretariat.payload["to"] == [app.config["SECRETARIAT_EMAIL"]]
    assert "Ålesund <b>&</b>" in secretariat.payload["subject"]
    # The focal point is only asked to confirm the address, in their language, with a
    # fixed text: nothing the visitor typed, and no link to the workspace or the letter.
    assert confirmation.payload["to"] == ["kari@example.org"]
    assert confirmation.payload["subject"] == "Veuillez confirmer votre adresse e-mail pour U4SSC"
    body = confirmation.payload["body"]
    for typed in ("Ålesund", "Kari", "Eva", "measures"):
        assert typed not in body
    assert "/w/" not in body and "/letters/" not in body
    assert "http://localhost/confirm-email/" in body
    assert first.confirmation_sent_to == "k•••@example.org"


def test_different_conversations_are_different_cities(app):
    one = confirm_participation(answers(conversation_id="a"), locale="en")
    two = confirm_participation(answers(conversation_id="b", population=2_000_000,
                                        economy="developed"), locale="en")
    assert one.city_id != two.city_id and one.letter_id != two.letter_id
    assert two.fee.amount == Decimal("10000")
    assert one.pdf_url != two.pdf_url


def test_downloads_by_token(app, client):
    result = confirm_participation(answers(), locale="ar")
    html = client.get(path_of(result.html_url))
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert b'<html lang="ar" dir="rtl">' in html.data
    assert "Ålesund &lt;b&gt;&amp;&lt;/b&gt;".encode() in html.data
    assert b"<b>&</b>" not in html.data

    pdf = client.get(path_of(result.pdf_url))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    disposition = pdf.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename=U4SSC-participation-letter-Alesund_b_b-ar.pdf" in disposition

    docx = client.get(path_of(result.docx_url))
    assert docx.status_code == 200 and docx.headers["Content-Disposition"].startswith(
        "attachment;")
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.data)).paragraphs)
    assert "Ålesund <b>&</b>" in text

    # The documents are stored, not rendered per download: the same bytes come back.
    again = client.get(path_of(result.pdf_url))
    assert again.data == pdf.data
    assert client.get(path_of(result.pdf_url),
                      headers={"If-None-Match": pdf.headers["ETag"]}).status_code == 304


def test_tampered_or_foreign_tokens_are_404(app, client):
    result = confirm_participation(answers(), locale="en")
    token = path_of(result.pdf_url).removeprefix("/letters/").removesuffix(".pdf")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/letters/{tampered}.pdf").status_code == 404
    assert client.get("/letters/1.pdf").status_code == 404
    assert client.get(f"/letters/{token}.exe").status_code == 404
    # A workspace token is signed with another salt: it does not open a letter.
    workspace_token = result.workspace_url.rsplit("/w/", 1)[1]
    assert client.get(f"/letters/{workspace_token}.pdf").status_code == 404
    # A genuine token for a letter that no longer exists.
    letter = db.session.get(Letter, result.letter_id)
    stale = letter_token(letter)
    db.session.delete(letter)
    db.session.commit()
    assert client.get(f"/letters/{stale}.html").status_code == 404


def test_a_link_names_one_letter_even_when_its_id_is_given_to_another(app, client):
    first = confirm_participation(answers(), locale="en")
    first_pdf = client.get(path_of(first.pdf_url))
    assert first_pdf.status_code == 200
    letter = db.session.get(Letter, first.letter_id)
    db.session.delete(letter)
    db.session.commit()

    # The next letter may get the same id (SQLite reuses the highest one); the old link
    # must not open it, and its own link must serve its own document, not the one this
    # process kept for the old link.
    second = confirm_participation(answers(city_name="Tromsø", conversation_id="conv-2"),
                                   locale="en")
    second_html = client.get(path_of(second.html_url))
    assert second_html.status_code == 200 and "Tromsø".encode() in second_html.data
    old_link_html = client.get(path_of(first.html_url))
    assert old_link_html.status_code == 404 or "Tromsø".encode() not in old_link_html.data
    assert client.get(path_of(second.pdf_url)).data != first_pdf.data


def test_a_kept_document_is_sent_again_without_the_database(app, client):
    from sqlalchemy import event

    result = confirm_participation(answers(), locale="en")
    first = client.get(path_of(result.pdf_url))
    statements = []
    engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        again = client.get(path_of(result.pdf_url))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert not [s for s in statements if "letter" in s.lower()]


def test_a_deleted_letter_stops_being_served_once_its_kept_copy_is_checked(
        app, client, monkeypatch):
    from intake.services import letters

    result = confirm_participation(answers(), locale="en")
    assert client.get(path_of(result.pdf_url)).status_code == 200
    db.session.delete(db.session.get(Letter, result.letter_id))
    db.session.commit()
    monkeypatch.setattr(letters, "RECHECK_AFTER_SECONDS", 0.0)
    assert client.get(path_of(result.pdf_url)).status_code == 404


def test_letter_not_yet_rendered_says_it_is_being_prepared(app, client):
    from intake.fees import quote_fee

    city = City(name="Bergen", population=290_000, access_key="k" * 32)
    db.session.add(city)
    letter = create_letter(city, locale="en", fee=quote_fee(290_000, "developed"),
                           content={"city_name": "Bergen"})
    for kind in ("html", "pdf", "docx"):
        response = client.get(f"/letters/{letter_token(letter)}.{kind}")
        assert response.status_code == 202
        assert response.mimetype == "text/html"
        assert b"being prepared" in response.data
        assert response.headers["Retry-After"] == "5"


def test_a_rendered_letter_cannot_be_changed(app):
    result = confirm_participation(answers(), locale="en")
    letter = db.session.get(Letter, result.letter_id)
    letter.pdf = b"%PDF-forged"
    with pytest.raises(ImmutableLetterError):
        db.session.commit()
    db.session.rollback()
    letter = db.session.get(Letter, result.letter_id)
    letter.content = {**letter.content, "city_name": "Elsewhere"}
    with pytest.raises(ImmutableLetterError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize(("field", "value"), [
    ("city_name", ""), ("city_name", "   "), ("city_name", "x" * 201), ("city_name", 5),
    ("country", "XX"), ("country", "NOR"), ("country", ""), ("country", None),
    ("population", 0), ("population", -1), ("population", 1.5), ("population", True),
    ("population", "250000"), ("population", 10**12),
    ("economy", "emerging"), ("package", "gold"),
    ("vision", ""), ("vision", "v" * 10_001),
    ("focal_point_email", "not-an-email"), ("focal_point_email", "a@b"),
    ("focal_point_name", None), ("representative_name", "\u202e"),
    ("representative_title", ""), ("conversation_id", 7), ("conversation_id", "c" * 101),
])
def test_bad_answers_raise_value_error_naming_the_field(app, field, value):
    with pytest.raises(ValueError, match=field):
        confirm_participation(answers(**{field: value}), locale="en")
    assert count(City) == 0 and count(Letter) == 0 and count(JobRecord) == 0


def test_unknown_locale_is_refused(app):
    with pytest.raises(ValueError, match="locale"):
        confirm_participation(answers(), locale="de")


def test_with_redis_the_letter_renders_in_the_worker(app_factory, database_url, redis_url):
    application = app_factory(database_url, REDIS_URL=redis_url)
    with application.app_context():
        result = confirm_participation(answers(conversation_id="rq-1"), locale="zh")
        client = application.test_client()
        assert client.get(path_of(result.pdf_url)).status_code == 202
        render = db.session.execute(
            select(JobRecord).where(JobRecord.kind == "letter.render")).scalar_one()
        assert (render.state, render.queue) == (JobState.QUEUED, "documents")

        connection = Redis.from_url(redis_url)
        SimpleWorker([Queue(name, connection=connection) for name in ("documents", "mail")],
                     connection=connection).work(burst=True)
        db.session.expire_all()
        response = client.get(path_of(result.pdf_url))
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
        again = confirm_participation(answers(conversation_id="rq-1"), locale="zh")
        assert (again.letter_id, again.pdf_url) == (result.letter_id, result.pdf_url)
        for model in (JobRecord, Letter, City):
            for row in db.session.execute(select(model)).scalars():
                db.session.delete(row)
        db.session.commit()


def test_a_letter_token_without_its_key_is_refused(app, client):
    """Probe finding 10: a token naming only the letter's id (forgeable by anyone holding
    the signing key) no longer opens a letter; nor does one with another letter's key."""
    from intake.services.letters import _serializer

    result = confirm_participation(answers(), locale="en")
    letter = db.session.get(Letter, result.letter_id)
    assert client.get(path_of(result.html_url)).status_code == 200
    id_only = _serializer().dumps(letter.id)
    assert client.get(f"/letters/{id_only}.html").status_code == 404
    wrong_key = _serializer().dumps([letter.id, "0" * len(letter.download_key)])
    assert client.get(f"/letters/{wrong_key}.pdf").status_code == 404


def test_letter_pages_send_no_referrer(app, client):
    """Finding 12: the letter's own Referrer-Policy is not overwritten by the site default."""
    result = confirm_participation(answers(), locale="en")
    response = client.get(path_of(result.html_url))
    assert response.status_code == 200
    assert response.headers.getlist("Referrer-Policy") == ["no-referrer"]
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_a_link_waiting_in_the_job_table_keeps_the_address_it_was_written_for(app):
    """Links leave job rows as placeholders; sent later by a worker that has neither a
    request nor PUBLIC_BASE_URL, they still point at the address the person used."""
    from intake.services.cities import create_city
    from intake.services.links import conceal_links, reveal_links, workspace_url

    city = create_city(name="Saint-Aubin", population=45_000)
    app.config["PUBLIC_BASE_URL"] = None
    written = workspace_url(city, "http://127.0.0.1:5077")
    kept = conceal_links(f"Your workspace: {written}")
    assert "/w/" not in kept and "127.0.0.1:5077" in kept
    assert reveal_links(kept) == f"Your workspace: {written}"
