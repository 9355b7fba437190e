"""Hypothesis fuzzing of the wizard's step posts and the JSON API: never a server error."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from intake.extensions import db
from intake.services.cities import create_city
from tests.conftest import csrf_token_from
from tests.reliability.helpers import API, DRAINAGE, ICT, fresh_csrf, open_workspace


def fuzz_settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


CATEGORIES = [DRAINAGE, ICT, "ec-water-supply", "no-such-category", "../../etc", "%00"]
FIELDS = ["dp_dr_km", "dp_dr_ict_km", "dp_dr_km__na", "dp_dr_km__why", "dp_dr_km__meant",
          "dp_dr_ict_km__why", "kpi_ec_ict_d_1a__tier", "kpi_ec_ict_d_1a__source",
          "kpi_ec_ict_d_1a__year", "dp_hh_internet", "dp_hh_internet__na", "version", "action",
          "resume", "delete_evidence", "unknown_field"]
ACTIONS = ["save", "next", "back", "review", "upload", "", "delete", "complete", "x" * 300]

numbers = st.one_of(
    st.integers(min_value=-(10 ** 400), max_value=10 ** 400).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["NaN", "nan", "inf", "-Infinity", "1e309", "-0", "1e-400", "١٢٣٫٤",
                     "1,234.5", "1.234,5", "12 345", "0x10", "½", "Ⅻ", "1e99999999", "--1",
                     "9" * 5000, ".", "", " ", "yes", "no", "true", "n/a"]))
texts = st.text(max_size=300) | st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
values = st.one_of(numbers, texts)


class Counter:
    def __init__(self):
        self.requests = 0
        self.errors: list[tuple] = []

    def check(self, response, what) -> None:
        self.requests += 1
        if response.status_code >= 500:
            self.errors.append((what, response.status_code))
        assert response.status_code < 500, (what, response.get_data(as_text=True)[-800:])


def _browser_text(value: str) -> str:
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


@pytest.mark.slow
def test_fuzzed_wizard_posts_never_fail(app):
    city = create_city(name="Fuzzton", population=55_000)
    client = app.test_client()
    open_workspace(client, city)
    fresh_csrf()
    token = csrf_token_from(client.get(f"/w/c/{DRAINAGE}/0").text)
    counter = Counter()

    @fuzz_settings(300)
    @given(category=st.sampled_from(CATEGORIES),
           index=st.integers(min_value=-3, max_value=12),
           form=st.dictionaries(st.sampled_from(FIELDS), values, max_size=len(FIELDS)),
           action=st.sampled_from(ACTIONS), good_token=st.booleans(),
           replays=st.integers(min_value=1, max_value=3))
    def post_steps(category, index, form, action, good_token, replays):
        data = {key: _browser_text(value) for key, value in form.items()}
        data["action"] = action
        data["csrf_token"] = token if good_token else "forged"
        fresh_csrf()
        for _ in range(replays):  # a double click, a browser resending the form
            counter.check(client.post(f"/w/c/{category}/{index}", data=data),
                          (category, index, data))
        fresh_csrf()
        counter.check(client.get(f"/w/c/{category}/{index}"), ("get", category, index))
        counter.check(client.get(f"/w/c/{category}/{index}/preview", query_string=data),
                      ("preview", category, index))

    post_steps()
    # The workspace still opens and exports after all of that.
    for path in ("/w/", f"/w/c/{DRAINAGE}/review", "/w/export.xlsx", "/w/export.csv",
                 "/w/export.json"):
        counter.check(client.get(path), path)
    assert counter.requests >= 1000, counter.requests
    assert counter.errors == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2 ** 70), max_value=2 ** 70)
    | st.floats(allow_nan=False) | st.text(max_size=60),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12)


@pytest.mark.slow
def test_fuzzed_api_requests_never_fail(app):
    client = app.test_client()
    counter = Counter()
    started = client.post(API, json={"locale": "en"})
    counter.check(started, "start")
    conversation_id = started.get_json()["id"]

    @fuzz_settings(130)
    @given(start_body=json_values, message=json_values,
           text=st.text(max_size=200), raw=st.binary(max_size=200),
           locale=st.sampled_from(["en", "fr", "ar", "zh", "xx", "", "EN-gb", None]),
           conversation=st.one_of(st.just(conversation_id), st.uuids().map(str),
                                  st.text(max_size=40).filter(lambda t: "/" not in t)),
           query=st.dictionaries(st.sampled_from(["population", "economy", "package", "lang",
                                                  "currency", "x"]),
                                 st.one_of(numbers, texts).map(_browser_text), max_size=5))
    def call_api(start_body, message, text, raw, locale, conversation, query):
        counter.check(client.post(API, json=start_body), "start json")
        counter.check(client.post(API, data=raw, content_type="application/json"),
                      "start raw")
        body = {"text": _browser_text(text)}
        if locale is not None:
            body["locale"] = locale
        counter.check(client.post(f"{API}/{conversation_id}/messages", json=body),
                      ("message", body))
        counter.check(client.post(f"{API}/{conversation_id}/messages", json=message),
                      ("message json", message))
        counter.check(client.get(f"{API}/{conversation}"), ("get", conversation))
        counter.check(client.post(f"{API}/{conversation}/messages", data=raw,
                                  content_type="application/json"), ("raw", conversation))
        counter.check(client.get("/api/v1/fee", query_string=query), ("fee", query))
        counter.check(client.get("/api/v1/catalog", query_string=query), ("catalog", query))

    call_api()
    assert counter.requests >= 1000, counter.requests
    assert counter.errors == []


NON_FINITE_REFUSAL = {"error": {"code": 400, "message": (
    "Numbers must be finite: NaN, Infinity and numbers too large for a double (such as 1e999) "
    "are refused.")}}


@pytest.mark.parametrize("raw", ['{"text": NaN}', '{"text": Infinity}', '{"text": -Infinity}',
                                 '{"text": 1e999}', '{"locale": "en", "x": [1, -1e400]}'])
def test_non_finite_json_numbers_are_refused_with_the_reason(app, raw):
    from intake.models import Conversation

    client = app.test_client()
    started = client.post(API, json={"locale": "en"}).get_json()["id"]
    before = db.session.scalar(select(func.count()).select_from(Conversation))
    for url in (API, f"{API}/{started}/messages"):
        response = client.post(url, data=raw, content_type="application/json")
        assert (response.status_code, response.get_json()) == (400, NON_FINITE_REFUSAL), url
    # Nothing was created or answered.
    assert db.session.scalar(select(func.count()).select_from(Conversation)) == before
    shown = client.get(f"{API}/{started}").get_json()
    assert shown["turn"]["slot"] == "city_name" and shown["turn"]["error"] is None


def test_oversized_and_malformed_json_is_refused_cleanly(app):
    client = app.test_client()
    started = client.post(API, json={"locale": "en"}).get_json()["id"]
    for raw, expected in (('{"locale": "' + "e" * 100_000 + '"}', 400),
                          ("[" * 50_000 + "]" * 50_000, 400),
                          (json.dumps({"text": "x" * 70_000}), 400)):
        for url in (API, f"{API}/{started}/messages"):
            response = client.post(url, data=raw, content_type="application/json")
            assert response.status_code == expected, (raw[:40], url, response.status_code)
            assert response.get_json()["error"]["code"] == 400
