"""Ids past 2^31, JSON nested 2 000 levels deep and NUL bytes get a 4xx, never a 500."""

from __future__ import annotations

import pytest

from intake.extensions import db
from intake.services.cities import create_city
from tests.conftest import csrf_token_from
from tests.intake.test_accounts import make_staff, sign_in
from tests.reliability.helpers import open_workspace

HUGE = 2**31 + 5


@pytest.fixture
def staff_client(app, client):
    make_staff()
    sign_in(client)
    return client


@pytest.mark.parametrize("path", [
    f"/staff/cities/{HUGE}", f"/verify/{HUGE}/", f"/staff/gains/{HUGE}",
    f"/staff/cities/{2**63 + 1}", f"/staff/cities/{10**40}",
])
def test_ids_past_the_database_range_are_not_found(staff_client, path):
    response = staff_client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_a_workspace_id_past_the_range_is_not_found(app, client):
    city = create_city(name="Bigid", population=10_000)
    open_workspace(client, city)
    assert client.get(f"/w/evidence/{HUGE}").status_code == 404
    assert client.get(f"/w/initiatives/{HUGE}").status_code == 404


def test_api_ids_past_the_range_are_a_json_404(app, client):
    response = client.get(f"/api/v1/cities/{HUGE}")
    assert response.status_code in (401, 404)
    assert response.is_json


@pytest.mark.parametrize("depth", [100, 2_000, 100_000])
def test_deeply_nested_json_is_a_json_400(app, client, depth):
    body = "[" * depth + "]" * depth
    response = client.post("/api/v1/conversations", data=body,
                           content_type="application/json")
    assert response.status_code in (400, 422), response.status_code
    assert response.is_json and "error" in response.get_json() or "errors" in \
        response.get_json()


def test_deep_json_inside_an_object_is_refused_too(app, client):
    body = '{"locale": ' + '{"a": ' * 3_000 + "1" + "}" * 3_000 + "}"
    response = client.post("/api/v1/conversations", data=body,
                           content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.is_json


def test_nul_in_a_json_string_is_dropped_never_a_500(app, client):
    response = client.post("/api/v1/conversations", data='{"locale": "f\\u0000r"}',
                           content_type="application/json")
    assert response.status_code == 201
    conversation_id = response.get_json()["id"]
    response = client.post(f"/api/v1/conversations/{conversation_id}/messages",
                           data='{"text": "Spring\\u0000field"}',
                           content_type="application/json")
    assert response.status_code == 200
    from intake.models import Conversation

    assert "Springfield" in str(db.session.get(Conversation, conversation_id).state)


@pytest.mark.parametrize("path", ["/?q=a%00b", "/resume?link=%00", "/language/en?next=/%00",
                                  "/staff/?q=%00", "/%00", "/w/c/%00/0"])
def test_nul_in_a_path_or_query_is_never_a_500(app, client, path):
    assert client.get(path).status_code < 500


def test_nul_in_a_query_reaches_no_database_query(app, client):
    make_staff()
    sign_in(client)
    response = client.get("/staff/?q=%C3%85le%00sund")
    assert response.status_code == 200


def test_nul_in_a_form_is_dropped_and_the_rest_is_kept(app, client):
    from intake.services.values import get_city_values
    from tests.reliability.helpers import DRAINAGE, post_step

    city = create_city(name="Nulville", population=10_000)
    open_workspace(client, city)
    response = post_step(client, DRAINAGE, 0, {"dp_dr_km": "12\x003", "dp_dr_ict_km": "1"})
    assert response.status_code == 302
    assert get_city_values(city.id)["dr_km"] == 123


def test_nul_in_the_sign_in_form_is_not_a_500(app, client):
    make_staff()
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_token_from(page.data),
                                           "email": "sec@example.org\x00",
                                           "password": "x\x00"})
    assert response.status_code in (200, 401)
