"""The chat page without JavaScript: every turn a form post with CSRF; reloads resume."""

from __future__ import annotations

import re
from html import unescape

from flask_babel import refresh

from tests.conftest import csrf_token_from

ANSWERS = ["Springfield", "Kenya", "250,000", "yes", "1",
           "Green, safe and connected neighbourhoods.", "Jane Doe", "jane@springfield.gov",
           "John Smith", "Mayor"]


def page_text(response) -> str:
    return unescape(response.get_data(as_text=True))


def post_answer(client, url, *, text=None, choice=None):
    token = csrf_token_from(client.get(url).data)
    data = {"csrf_token": token}
    if text is not None:
        data["text"] = text
    if choice is not None:
        data["choice"] = choice
    return client.post(url, data=data)


def begin(client, text="Springfield"):
    response = post_answer(client, "/assistant", text=text)
    assert response.status_code == 302
    match = re.search(r"/assistant/([0-9a-f-]{36})", response.headers["Location"])
    assert match
    return f"/assistant/{match.group(1)}"


def test_the_first_question_is_shown_without_storing_anything(client):
    from sqlalchemy import func, select

    from intake.extensions import db
    from intake.models import Conversation

    response = client.get("/assistant")
    assert response.status_code == 200
    html = page_text(response)
    assert "What is the name of your city?" in html
    assert 'name="text"' in html and 'name="csrf_token"' in html
    assert "<script>" not in html.split("<main")[1].split("</main>")[0]  # no inline script
    assert db.session.scalar(select(func.count()).select_from(Conversation)) == 0


def test_posting_without_csrf_is_refused(client):
    response = client.post("/assistant", data={"text": "Springfield"})
    assert response.status_code == 400
    response = client.post("/assistant/restart")
    assert response.status_code == 400


def test_a_whole_conversation_with_forms_only(client):
    url = begin(client, ANSWERS[0])
    page = client.get(url)
    assert "In which country is Springfield?" in page_text(page)
    for answer in ANSWERS[1:]:
        response = post_answer(client, url, text=answer)
        assert response.status_code == 302
    summary = page_text(client.get(url))
    assert "a city of 250,000 in a developing economy: 3,000 CHF or USD" in summary
    assert 'name="choice" value="change population"' in summary

    # A quick-reply button from the summary, then the new answer.
    post_answer(client, url, choice="change population")
    assert "Your answer so far: 250,000" in page_text(client.get(url))
    post_answer(client, url, text="1.2 million")
    summary = page_text(client.get(url))
    assert "a city of 1,200,000 in a developing economy: 7,000 CHF or USD" in summary

    post_answer(client, url, choice="yes")
    done = page_text(client.get(url))
    assert "Your city is registered" in done
    assert "/letters/" in done and ".pdf" in done and ".docx" in done
    assert "/w/" in done  # the workspace link
    assert "CHF" in done and "7,000" in done
    assert 'name="text"' not in done


def test_reload_and_coming_back_resume(client, app):
    url = begin(client)
    post_answer(client, url, text="Kenya")
    # Reload the page: the same question, the transcript kept.
    again = page_text(client.get(url))
    assert "How many people live in Springfield?" in again
    assert "Kenya" in again
    # /assistant remembers the conversation in the session.
    response = client.get("/assistant")
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    # Another browser with the address resumes too.
    other = app.test_client()
    assert "How many people live in Springfield?" in page_text(other.get(url))


def test_buttons_and_errors_are_shown(client):
    url = begin(client)
    post_answer(client, url, text="Kenya")
    post_answer(client, url, text="lots")
    html = page_text(client.get(url))
    assert "I could not read a number there." in html
    post_answer(client, url, text="250k")
    html = page_text(client.get(url))
    assert 'name="choice" value="developing"' in html
    assert "(suggested)" in html


def test_empty_answer_is_a_friendly_error(client):
    url = begin(client)
    post_answer(client, url, text="")
    assert "I did not get an answer." in page_text(client.get(url))


def test_user_html_is_escaped(client):
    url = begin(client, "<script>alert(1)</script>")
    html = client.get(url).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_start_again_forgets_the_conversation(client):
    url = begin(client)
    token = csrf_token_from(client.get(url).data)
    response = client.post("/assistant/restart", data={"csrf_token": token})
    assert response.status_code == 302
    fresh = client.get("/assistant")
    assert fresh.status_code == 200
    assert "What is the name of your city?" in page_text(fresh)


def test_arabic_is_right_to_left(client):
    client.get("/language/ar")
    response = client.get("/assistant")
    html = page_text(response)
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert "ما اسم مدينتكم؟" in html
    url = begin(client, "دبي")
    assert "في أي بلد تقع دبي؟" in page_text(client.get(url))


def test_unknown_conversation_is_404(client):
    assert client.get("/assistant/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/assistant/nonsense").status_code == 404


def test_the_page_offers_the_json_api_to_the_script(client):
    url = begin(client)
    html = client.get(url).get_data(as_text=True)
    conversation_id = url.rsplit("/", 1)[1]
    assert f'data-api="/api/v1/conversations/{conversation_id}/messages"' in html
    assert "/static/js/assistant.js" in html


def test_switching_language_asks_the_pending_question_in_the_new_one(client):
    url = begin(client, "Springfield")
    client.get("/language/fr")
    # The test's pushed app context outlives requests, and Flask-Babel caches the locale
    # on it; a real server has one context per request.
    refresh()
    html = page_text(client.get(url))
    assert "Dans quel pays se trouve Springfield ?" in html
    post_answer(client, url, text="Kenya")
    assert "Combien d’habitants compte Springfield ?" in page_text(client.get(url))


def test_sentences_prices_and_a_typed_correction_through_the_chat_page(client):
    """The French clerk of issue #14, end to end: every answer a form post, as a browser
    without JavaScript sends it."""
    from sqlalchemy import select

    from intake.extensions import db
    from intake.models import City

    client.get("/language/fr")
    refresh()
    url = begin(client, "Bonjour, c'est pour la mairie de Saint-Aubin-sur-Loire")
    html = page_text(client.get(url))
    assert "J’ai noté la ville : Saint-Aubin-sur-Loire. Est-ce bien cela ?" in html
    assert 'name="choice" value="yes"' in html and 'name="choice" value="no"' in html
    post_answer(client, url, choice="yes")
    assert "Dans quel pays se trouve Saint-Aubin-sur-Loire ?" in page_text(client.get(url))
    for answer in ("France", "45 000", "oui"):
        post_answer(client, url, text=answer)
    html = page_text(client.get(url))
    # The package buttons carry this city's fee (45 000 inhabitants, developed economy).
    assert "Vérification — 5\u202f000 CHF ou USD" in html
    assert "Vérification et étude de cas — 30\u202f000 CHF ou USD" in html
    post_answer(client, url, text="combien ça coûte ?")
    html = page_text(client.get(url))
    latest = html.rsplit("combien ça coûte ?", 1)[1]
    assert "la « Vérification » coûte 5\u202f000 CHF ou USD" in latest
    assert "Veuillez choisir" not in latest
    for answer in ("1", "Une ville verte et sobre.", "Marie Curie", "marie@saint-aubin.fr",
                   "M. Koffi Yao, maire"):
        post_answer(client, url, text=answer)
    html = page_text(client.get(url))
    assert "J’ai noté le signataire : Koffi Yao, avec le titre « Maire »." in html
    post_answer(client, url, choice="yes")
    html = page_text(client.get(url))
    assert "• Signataire\u202f: Koffi Yao" in html
    assert "• Titre du signataire\u202f: Maire" in html
    post_answer(client, url, text="la population est de 120 000")
    html = page_text(client.get(url))
    latest = html.rsplit("la population est de 120 000", 1)[1]
    assert "Modifié — Population : 120\u202f000." in latest
    assert "• Population\u202f: 120\u202f000" in latest
    assert "une ville de 120\u202f000 habitants dans une économie développée : 6\u202f000" in latest
    post_answer(client, url, choice="yes")
    city = db.session.scalars(select(City)).one()
    assert (city.name, city.population) == ("Saint-Aubin-sur-Loire", 120_000)
    assert (city.representative_name, city.representative_title) == ("Koffi Yao", "Maire")
