"""Every route, enumerated from the URL map: POSTs need a CSRF token, GETs change nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.i18n import LANGUAGES

# The JSON API authenticates per request (tokens / conversation ids), not by cookie.
CSRF_EXEMPT_PREFIXES = ("/api/",)
PLACEHOLDER = re.compile(r"<(?:(\w+):)?(\w+)>")
DUMMY = {"int": "1", "string": "x", "path": "x", "default": "x", "uuid":
         "00000000-0000-0000-0000-000000000000", "float": "1.0"}


def _concrete(rule: str) -> str:
    return PLACEHOLDER.sub(lambda m: DUMMY.get(m.group(1) or "default", "x"), rule)


def _routes(app, method: str):
    for rule in app.url_map.iter_rules():
        if method in rule.methods and not rule.rule.startswith("/static"):
            yield rule


def _row_counts():
    counts = {}
    for table in db.metadata.sorted_tables:
        counts[table.name] = db.session.execute(select(func.count()).select_from(table)).scalar()
    return counts


def test_every_state_changing_route_refuses_a_missing_or_foreign_token(app):
    client = app.test_client()
    checked = 0
    for rule in _routes(app, "POST"):
        if rule.rule.startswith(CSRF_EXEMPT_PREFIXES):
            continue
        url = _concrete(rule.rule)
        before = _row_counts()
        missing = client.post(url, data={"anything": "1"})
        foreign = client.post(url, data={"csrf_token": "forged.token.value", "anything": "1"})
        for response in (missing, foreign):
            assert response.status_code in (400, 403), f"{url}: {response.status_code}"
        assert _row_counts() == before, f"{url} changed data without a token"
        checked += 1
    assert checked >= 1


def test_no_get_route_changes_data(app):
    from intake.services.cities import create_city

    create_city(name="Audit City", population=50_000)
    client = app.test_client()
    before = _row_counts()
    for rule in _routes(app, "GET"):
        response = client.get(_concrete(rule.rule))
        assert response.status_code < 500, f"GET {rule.rule}: {response.status_code}"
    after = _row_counts()
    assert after == before


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_security_headers_on_every_page(app, language):
    client = app.test_client()
    for rule in _routes(app, "GET"):
        if rule.arguments:
            continue
        response = client.get(f"{rule.rule}?lang={language}")
        if not response.mimetype.startswith("text/html"):
            continue
        headers = response.headers
        policy = headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, rule.rule
        assert "frame-ancestors 'none'" in policy, rule.rule
        assert headers.get("X-Content-Type-Options") == "nosniff", rule.rule
        assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", rule.rule
        assert "charset=utf-8" in headers.get("Content-Type", ""), rule.rule


def test_production_mode_sets_hsts_and_secure_cookies(app_factory, database_url):
    app = app_factory(database_url, PRODUCTION=True, SECRET_KEY="prod-secret",
                      PUBLIC_BASE_URL="https://portal.example")
    response = app.test_client().get("/resume", base_url="https://portal.example")
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
