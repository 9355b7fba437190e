"""The OpenAPI document at /api/v1/openapi.json: valid, complete, with request/response schemas."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

DOCUMENT = "/api/v1/openapi.json"
PLACEHOLDER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _document(client) -> dict:
    response = client.get(DOCUMENT)
    assert response.status_code == 200 and response.is_json
    return response.get_json()


def test_document_is_valid_openapi_3(app, client):
    document = _document(client)
    assert document["openapi"].startswith("3.")
    validate(document)
    assert "bearerAuth" in document["components"]["securitySchemes"]
    assert "staff" in document["info"]["description"].lower()


def test_every_api_route_is_documented(app, client):
    document = _document(client)
    documented = {(path, method.upper()) for path, item in document["paths"].items()
                  for method in item if method in ("get", "post", "put", "patch", "delete")}
    expected = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == DOCUMENT:
            continue
        path = PLACEHOLDER.sub(lambda m: "{" + m.group(1) + "}", rule.rule)
        expected |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert expected, "no API routes found"
    assert expected <= documented, sorted(expected - documented)
    for path in ("/api/v1/fee", "/api/v1/catalog", "/api/v1/cities",
                 "/api/v1/cities/{city_id}/values/{data_point_id}",
                 "/api/v1/exports/cities.xlsx"):
        assert path in document["paths"], path


def test_operations_describe_their_responses_and_bodies(app, client):
    document = _document(client)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation["responses"]
            success = [code for code in responses if code.startswith("2")]
            assert success, (path, method)
            for code in success:
                content = responses[code].get("content")
                assert content and all("schema" in media for media in content.values()), \
                    (path, method, code)
            assert "default" in responses, (path, method)
            if method in ("post", "put", "patch"):
                assert "requestBody" in operation, (path, method)
            staff = path.startswith(("/api/v1/cities", "/api/v1/letters", "/api/v1/exports"))
            assert (operation.get("security") == [{"bearerAuth": []}]) == staff, (path, method)


def test_write_operations_document_the_etag_preconditions(app, client):
    item = _document(client)["paths"]["/api/v1/cities/{city_id}/values/{data_point_id}"]
    for method in ("put", "patch"):
        assert {"412", "428", "422"} <= set(item[method]["responses"])
    assert "304" in item["get"]["responses"]


def test_api_errors_are_json_in_the_documented_shape(app, client):
    for url in ("/api/v1/nothing-here", "/api/v1/cities", "/api/v1/fee?population=x"):
        response = client.get(url)
        assert response.is_json, url
        error = response.get_json()["error"]
        assert error["code"] == response.status_code and error["message"], url
    assert client.delete("/api/v1/fee").status_code == 405
