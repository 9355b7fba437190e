"""GET /api/v1/fee and `flask fee quote`: the quote as JSON, errors naming each field."""

from __future__ import annotations

import json

import pytest


# The fee does not touch the database: one backend is enough.
@pytest.fixture
def client(sqlite_app):
    return sqlite_app.test_client()


@pytest.fixture
def runner(sqlite_app):
    return sqlite_app.test_cli_runner()


def test_quote_as_json(client):
    response = client.get("/api/v1/fee?population=250000&economy=developing&package=verification"
                          "&lang=en")
    assert response.status_code == 200
    assert response.is_json
    body = response.get_json()
    assert body["amount"] == "3000"
    assert body["band"] == "100k_500k"
    assert body["economy"] == "developing" and body["package"] == "verification"
    assert body["population"] == 250000
    assert body["currencies"] == ["CHF", "USD"]
    assert body["travel_costs_extra"] is True
    assert body["locale"] == "en"
    assert body["formatted"] == {"CHF": "CHF3,000", "USD": "$3,000"}


def test_package_defaults_to_verification_and_case_study_is_quoted(client):
    assert client.get("/api/v1/fee?population=1000000&economy=developed").get_json()[
        "amount"] == "10000"
    body = client.get("/api/v1/fee?population=99999&economy=developed&package=case_study"
                      ).get_json()
    assert body["amount"] == "30000" and body["package"] == "case_study"


@pytest.mark.parametrize(("lang", "chf"), [
    ("fr", "3\u202f000\xa0CHF"), ("ar", "\u200f3,000\xa0CHF"), ("ru", "3\xa0000\xa0CHF"),
    ("zh", "CHF3,000"), ("es", "3.000\xa0CHF"),
])
def test_amounts_are_formatted_in_the_requested_language(client, lang, chf):
    body = client.get(f"/api/v1/fee?population=250000&economy=developing&lang={lang}").get_json()
    assert body["locale"] == lang
    assert body["formatted"]["CHF"] == chf
    assert body["formatted"]["USD"].replace("US", "").strip("\u200f$\xa0") in {
        "3,000", "3\u202f000", "3\xa0000", "3.000"}


def test_language_follows_accept_language(client):
    body = client.get("/api/v1/fee?population=250000&economy=developed",
                      headers={"Accept-Language": "fr-CH,fr;q=0.9"}).get_json()
    assert body["locale"] == "fr" and body["formatted"]["USD"] == "6\u202f000\xa0$US"


@pytest.mark.parametrize(("query", "fields"), [
    ("population=0&economy=developed", {"population"}),
    ("population=-1&economy=developed", {"population"}),
    ("population=1.5&economy=developed", {"population"}),
    ("population=True&economy=developed", {"population"}),
    ("population=abc&economy=developed", {"population"}),
    ("population=&economy=developed", {"population"}),
    ("population=999999999999&economy=developed", {"population"}),
    ("population=250000&economy=emerging", {"economy"}),
    ("population=250000&economy=developed&package=gold", {"package"}),
    ("economy=developed", {"population"}),
    ("population=abc&economy=x&package=y", {"population", "economy", "package"}),
    ("", {"population", "economy"}),
])
def test_bad_parameters_give_400_naming_each_field(client, query, fields):
    response = client.get(f"/api/v1/fee?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert set(body["errors"]) == fields
    for messages in body["errors"].values():
        assert isinstance(messages, list) and all(isinstance(m, str) and m for m in messages)


def test_cli_prints_the_same_json_as_the_api(client, runner):
    result = runner.invoke(args=["fee", "quote", "--population", "250000", "--economy",
                                 "developing"])
    assert result.exit_code == 0, result.output
    api = client.get("/api/v1/fee?population=250000&economy=developing&lang=en").get_json()
    assert json.loads(result.output) == api


def test_cli_formats_in_the_chosen_language(runner):
    result = runner.invoke(args=["fee", "quote", "--population", "2000000", "--economy",
                                 "developed", "--package", "case_study", "--lang", "fr"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["amount"] == "30000" and body["formatted"]["CHF"] == "30\u202f000\xa0CHF"


def test_cli_bad_input_names_the_fields_and_fails(runner):
    result = runner.invoke(args=["fee", "quote", "--population", "1.5", "--economy", "rich"])
    assert result.exit_code == 2
    errors = json.loads(result.stderr if hasattr(result, "stderr") else result.output)["errors"]
    assert set(errors) == {"population", "economy"}
