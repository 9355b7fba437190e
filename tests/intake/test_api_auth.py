"""Staff API tokens: who gets in, and which cities each role sees through the API."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.fees import quote_fee
from intake.models.api_token import ApiToken
from intake.services import accounts, pipeline
from intake.services.api_tokens import create_token, revoke_token, token_hash
from intake.services.cities import create_city
from intake.services.letters import create_letter
from tests.intake.test_accounts import make_staff


def staff_with_token(email="sec@example.org", role="secretariat", name="Sam"):
    user = make_staff(email=email, role=role, name=name)
    _row, token = create_token(user, "tests")
    return user, token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def secretariat_token(app):
    return staff_with_token()[1]


STAFF_URLS = ("/api/v1/cities", "/api/v1/letters", "/api/v1/exports/cities.json")


@pytest.mark.parametrize("url", STAFF_URLS)
def test_no_token_or_a_bad_one_is_401_json(app, client, url):
    staff_with_token()
    for headers in ({}, bearer("u4ssc_not-a-real-token"), {"Authorization": "Basic abc"},
                    {"Authorization": "Bearer "}, bearer("x" * 5000)):
        response = client.get(url, headers=headers)
        assert response.status_code == 401, headers
        assert response.is_json
        assert response.get_json()["error"]["code"] == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_session_cookie_is_not_enough(app, client):
    from tests.intake.test_accounts import sign_in

    make_staff()
    sign_in(client)
    assert client.get("/staff/").status_code == 200
    assert client.get("/api/v1/cities").status_code == 401


def test_only_the_hash_is_stored_and_use_is_recorded(app, client):
    user, token = staff_with_token()
    row = db.session.execute(select(ApiToken).where(ApiToken.user_id == user.id)).scalar_one()
    assert row.token_hash == token_hash(token) and token not in row.token_hash
    assert row.last_used_at is None
    assert client.get("/api/v1/cities", headers=bearer(token)).status_code == 200
    db.session.refresh(row)
    assert row.last_used_at is not None


def test_revoked_token_is_401(app, client):
    user, token = staff_with_token()
    assert client.get("/api/v1/cities", headers=bearer(token)).status_code == 200
    row = db.session.execute(select(ApiToken).where(ApiToken.user_id == user.id)).scalar_one()
    assert revoke_token(row.id)
    response = client.get("/api/v1/cities", headers=bearer(token))
    assert response.status_code == 401 and response.is_json


def test_disabled_user_token_is_401(app, client):
    user, token = staff_with_token()
    accounts.disable_user(user)
    response = client.get("/api/v1/cities", headers=bearer(token))
    assert response.status_code == 401 and response.is_json


def test_users_token_command_prints_a_working_token_once(app, runner, client):
    make_staff(email="ops@example.org")
    result = runner.invoke(args=["users", "token", "--email", "OPS@example.org",
                                 "--name", "nightly export"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["name"] == "nightly export" and printed["email"] == "ops@example.org"
    assert client.get("/api/v1/cities", headers=bearer(printed["token"])).status_code == 200
    missing = runner.invoke(args=["users", "token", "--email", "nobody@example.org",
                                  "--name", "x"])
    assert missing.exit_code != 0 and "no account" in missing.output


def test_verifier_sees_only_assigned_cities(app, client):
    secretariat = make_staff()
    verifier, token = staff_with_token(email="ver@example.org", role="verifier", name="Vera")
    mine = create_city(name="Bizerte", population=142_966, country="TN")
    other = create_city(name="Ålesund", population=67_000, country="NO")
    pipeline.assign_verifier(mine.id, verifier.id, actor=secretariat)

    listing = client.get("/api/v1/cities", headers=bearer(token))
    assert listing.status_code == 200
    assert [c["name"] for c in listing.get_json()["cities"]] == ["Bizerte"]

    for suffix in ("", "/values", "/scores", "/values/pop"):
        assert client.get(f"/api/v1/cities/{mine.id}{suffix}",
                          headers=bearer(token)).status_code == 200, suffix
        refused = client.get(f"/api/v1/cities/{other.id}{suffix}", headers=bearer(token))
        assert refused.status_code == 403, suffix
        assert refused.is_json and "Ålesund" not in refused.text
    assert client.get("/api/v1/cities/999999", headers=bearer(token)).status_code == 404


def test_verifier_cannot_write_to_another_city(app, client):
    verifier, token = staff_with_token(email="ver@example.org", role="verifier")
    other = create_city(name="Ålesund", population=67_000, country="NO")
    response = client.put(f"/api/v1/cities/{other.id}/values/pop",
                          headers={**bearer(token), "If-Match": '"anything"'},
                          json={"value": 5})
    assert response.status_code == 403


def test_letters_and_exports_are_for_the_secretariat(app, client):
    _verifier, verifier_token = staff_with_token(email="ver@example.org", role="verifier")
    _sec, sec_token = staff_with_token(email="boss@example.org")
    city = create_city(name="Москва", population=13_000_000, country="RU",
                       economy="developed", package="verification", locale="ru")
    letter = create_letter(city, locale="ru", fee=quote_fee(13_000_000, "developed",
                                                            "verification"),
                           content={"city_name": "Москва", "country": "RU"})
    for url in ("/api/v1/letters", f"/api/v1/letters/{letter.id}",
                "/api/v1/exports/cities.csv"):
        assert client.get(url, headers=bearer(verifier_token)).status_code == 403, url
        assert client.get(url, headers=bearer(sec_token)).status_code == 200, url

    listing = client.get("/api/v1/letters?language=ru", headers=bearer(sec_token)).get_json()
    assert [row["city_name"] for row in listing["letters"]] == ["Москва"]
    assert client.get("/api/v1/letters?language=fr",
                      headers=bearer(sec_token)).get_json()["letters"] == []
    one = client.get(f"/api/v1/letters/{letter.id}", headers=bearer(sec_token)).get_json()
    assert one["fee"]["amount"] and one["language"] == "ru"
    assert set(one["documents"]) == {"html_url", "pdf_url", "docx_url"}
    assert one["documents"]["pdf_url"].endswith(".pdf")
    assert client.get("/api/v1/letters/424242", headers=bearer(sec_token)).status_code == 404


def test_bad_filters_are_422_json(app, client, secretariat_token):
    response = client.get("/api/v1/cities?stage=flying", headers=bearer(secretariat_token))
    assert response.status_code == 422
    assert "stage" in response.get_json()["errors"]
    response = client.get("/api/v1/letters?language=xx", headers=bearer(secretariat_token))
    assert response.status_code == 422 and "language" in response.get_json()["errors"]


def test_secretariat_sees_every_city_with_filters(app, client, secretariat_token):
    create_city(name="Bizerte", population=142_966, country="TN")
    create_city(name="Ålesund", population=67_000, country="NO")
    names = [c["name"] for c in client.get(
        "/api/v1/cities", headers=bearer(secretariat_token)).get_json()["cities"]]
    assert names == ["Bizerte", "Ålesund"]
    found = client.get("/api/v1/cities?q=ÅLE", headers=bearer(secretariat_token)).get_json()
    assert [c["name"] for c in found["cities"]] == ["Ålesund"]
    staged = client.get("/api/v1/cities?stage=verified", headers=bearer(secretariat_token))
    assert staged.get_json()["cities"] == []
