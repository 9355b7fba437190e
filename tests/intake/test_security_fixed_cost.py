"""The per-request shortcuts keep every security behaviour: the same headers on every kind of
response as stock Flask-Talisman writes, HTTPS and HSTS in production, CSRF still refused,
sessions still signed and still read after the key changes."""

from __future__ import annotations

import pytest
from flask import Response
from flask_talisman import Talisman

from intake.security import CONTENT_SECURITY_POLICY, _Talisman
from tests.conftest import csrf_token_from


def _expected_csp() -> str:
    """The policy as written: its directives in order, script-src and style-src also allowing
    the snapshot's inline copies of the portal's own files by their hashes (never
    'unsafe-inline')."""
    from pathlib import Path

    import intake
    from intake.assets import inline_csp_sources

    sources = inline_csp_sources(str(Path(intake.__file__).parent / "static"))
    parts = []
    for directive, value in CONTENT_SECURITY_POLICY.items():
        value = value if isinstance(value, str) else " ".join(value)
        parts.append(" ".join([directive, value, *sources.get(directive, [])]))
    return "; ".join(parts)


CSP = _expected_csp()
assert "'sha256-" in CSP and "unsafe-inline" not in CSP
EXPECTED = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": "browsing-topics=()",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def security_headers(response) -> dict[str, list[str]]:
    names = {*EXPECTED, "Strict-Transport-Security"}
    return {name: response.headers.getlist(name) for name in names
            if response.headers.getlist(name)}


def exactly_once(expected: dict[str, str]) -> dict[str, list[str]]:
    return {name: [value] for name, value in expected.items()}


@pytest.mark.parametrize("path", ["/", "/healthz", "/login", "/no-such-page",
                                  "/static/css/portal.css", "/api/v1/openapi.json"])
def test_every_kind_of_response_carries_the_headers_exactly_once(client, path):
    response = client.get(path, buffered=True)
    assert security_headers(response) == exactly_once(EXPECTED), path


def test_a_views_own_header_is_replaced_once_not_doubled(app):
    @app.get("/__own-headers")
    def own_headers():
        response = Response("x")
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers["Content-Security-Policy"] = "default-src *"
        response.headers["Referrer-Policy"] = "no-referrer"  # a stricter one is kept
        return response

    response = app.test_client().get("/__own-headers")
    assert security_headers(response) == exactly_once(
        {**EXPECTED, "Referrer-Policy": "no-referrer"})


def _pair(talisman_class, production: bool):
    from flask import Flask

    app = Flask("pair")

    @app.get("/")
    def index():
        return "ok"

    talisman_class(app, force_https=production, strict_transport_security=production,
                   strict_transport_security_max_age=31_536_000,
                   session_cookie_secure=production, session_cookie_http_only=True,
                   session_cookie_samesite="Lax", content_security_policy=CONTENT_SECURITY_POLICY,
                   frame_options="DENY", referrer_policy="strict-origin-when-cross-origin",
                   x_content_type_options=True)
    return app


@pytest.mark.parametrize("production", [False, True])
@pytest.mark.parametrize("base", ["https://localhost", "http://localhost"])
def test_the_prebuilt_headers_are_what_stock_talisman_writes(production, base):
    stock = _pair(Talisman, production).test_client().get("/", base_url=base)
    ours = _pair(_Talisman, production).test_client().get("/", base_url=base)
    assert (ours.status_code, ours.headers.get("Location")) == (
        stock.status_code, stock.headers.get("Location"))
    assert sorted(ours.headers.items()) == sorted(stock.headers.items())


def test_production_still_redirects_to_https_and_sends_hsts(app_factory, database_url):
    production = app_factory(database_url, PRODUCTION=True, TRUSTED_HOSTS=None)
    client = production.test_client()
    plain = client.get("/", base_url="http://localhost")
    assert plain.status_code in (301, 302)
    assert plain.headers["Location"].startswith("https://")
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert security_headers(secure)["Content-Security-Policy"] == [CSP]
    assert production.config["SESSION_COOKIE_SECURE"] is True


def test_csrf_is_still_enforced_on_every_write_method(client, app):
    @app.route("/__write", methods=["POST", "PUT", "PATCH", "DELETE"])
    def write():
        return "written"

    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/__write", data={"email": "a@example.org"})
        assert response.status_code == 400, method
    refused = client.post("/login", data={"email": "a@example.org"})
    assert refused.status_code == 400
    page = client.get("/login")
    # A token from the page passes the check (the sign-in itself then fails on the password).
    answered = client.post("/login", data={"csrf_token": csrf_token_from(page.text),
                                           "email": "nobody@example.org", "password": "x"})
    assert answered.status_code != 400


def test_sessions_are_still_signed_and_follow_a_new_key(app):
    from tests.intake.test_accounts import is_signed_in, make_staff, session_cookie, sign_in

    make_staff()
    client = app.test_client()
    sign_in(client)
    assert is_signed_in(client)
    cookie = session_cookie(client)
    forged = app.test_client()
    forged.set_cookie("session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert not is_signed_in(forged)
    old_key = app.secret_key
    app.secret_key = app.config["SECRET_KEY"] = "another-secret-key-for-this-test"
    try:
        app.config["SECRET_KEY_FALLBACKS"] = [old_key]
        assert is_signed_in(client)  # the kept serializer follows the key and its fallbacks
        app.config["SECRET_KEY_FALLBACKS"] = []
        stale = app.test_client()
        stale.set_cookie("session", cookie)
        assert not is_signed_in(stale)  # …and no longer reads what the old key signed
    finally:
        app.config["SECRET_KEY_FALLBACKS"] = []
        app.secret_key = app.config["SECRET_KEY"] = old_key
