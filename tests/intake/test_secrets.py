"""Capabilities and secrets: link rotation, API tokens, lockout, second factor, rate limits
behind a proxy, link pages' headers, trusted hosts, links out of logs."""

from __future__ import annotations

import logging
import re
import time

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from intake.extensions import db
from intake.models import City
from intake.models.api_token import ApiToken
from intake.services import accounts
from intake.services.api_tokens import create_token
from intake.services.cities import create_city
from intake.services.links import snapshot_token, workspace_token
from tests.conftest import csrf_token_from
from tests.intake.test_accounts import is_signed_in, make_staff, sign_in


@pytest.fixture
def city(app):
    return create_city(name="Keyport", population=80_000, focal_point_email="fp@keyport.example")


def staff_client(app, email="sec@example.org"):
    client = app.test_client()
    response = sign_in(client, email=email)
    assert response.status_code == 302, response.text
    return client


# ------------------------------------------------------------------------ rotating a link
def test_the_secretariat_replaces_a_citys_links(app, city, form_post):
    make_staff()
    make_staff(email="vera@example.org", role="verifier")
    city_browser = app.test_client()
    old_workspace, old_snapshot = workspace_token(city), snapshot_token(city)
    assert city_browser.get(f"/w/{old_workspace}").status_code == 302
    assert city_browser.get("/w/").status_code == 200

    page, url = f"/staff/cities/{city.id}", f"/staff/cities/{city.id}/rotate-link"
    verifier = staff_client(app, "vera@example.org")
    assert form_post(verifier, url, {}, page_url="/staff/").status_code == 403
    staff = staff_client(app)
    assert staff.post(url).status_code == 400  # no CSRF token
    response = form_post(staff, url, {}, page_url=page)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    # The links the page shows are the new ones (read from the page: a token carries the
    # second it was signed, so one signed again here may differ from the page's).
    new_workspace = re.search(r"/w/([\w.-]+)", response.text).group(1)
    new_snapshot = re.search(r"/snapshot/([\w.-]+)", response.text).group(1)
    db.session.expire_all()
    fresh = db.session.get(City, city.id)
    assert new_workspace.split(".")[0] == workspace_token(fresh).split(".")[0]
    assert new_snapshot.split(".")[0] == snapshot_token(fresh).split(".")[0]
    assert new_workspace.split(".")[0] != old_workspace.split(".")[0]
    assert new_snapshot.split(".")[0] != old_snapshot.split(".")[0]
    # The old links and the session they opened stop at the next request.
    assert city_browser.get("/w/").status_code == 401
    assert city_browser.get(f"/w/{old_workspace}").status_code == 404
    assert city_browser.get(f"/snapshot/{old_snapshot}").status_code == 404
    assert city_browser.get(f"/w/{new_workspace}").status_code == 302
    assert city_browser.get(f"/snapshot/{new_snapshot}").status_code == 200


# ------------------------------------------------------------------------ API tokens
def test_staff_list_and_revoke_api_tokens(app, form_post):
    secretariat = make_staff()
    verifier = make_staff(email="vera@example.org", role="verifier")
    _row, theirs = create_token(verifier, "verifier's script")
    mine_row, mine = create_token(secretariat, "nightly export")
    api = app.test_client()
    assert api.get("/api/v1/cities", headers={"Authorization": f"Bearer {theirs}"}
                   ).status_code == 200

    # A verifier sees and revokes only their own tokens.
    vera = staff_client(app, "vera@example.org")
    page = vera.get("/staff/tokens")
    assert page.status_code == 200 and "verifier&#39;s script" in page.text
    assert "nightly export" not in page.text
    assert form_post(vera, f"/staff/tokens/{mine_row.id}/revoke", {},
                     page_url="/staff/tokens").status_code == 403

    staff = staff_client(app)
    page = staff.get("/staff/tokens")
    assert "nightly export" in page.text and "vera@example.org" in page.text
    assert theirs not in page.text and mine not in page.text  # never shown again
    theirs_row = db.session.execute(select(ApiToken).where(
        ApiToken.name == "verifier's script")).scalar_one()
    done = form_post(staff, f"/staff/tokens/{theirs_row.id}/revoke", {},
                     page_url="/staff/tokens")
    assert done.status_code == 302
    assert api.get("/api/v1/cities", headers={"Authorization": f"Bearer {theirs}"}
                   ).status_code == 401
    # A new token is shown once, on the answer that made it.
    made = form_post(staff, "/staff/tokens", {"name": "BI dashboard"}, page_url="/staff/tokens")
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    token = made.text.split('<code class="link-text" dir="ltr">')[1].split("<")[0]
    assert api.get("/api/v1/cities", headers={"Authorization": f"Bearer {token}"}
                   ).status_code == 200
    assert token not in staff.get("/staff/tokens").text


def test_re_enabling_an_account_does_not_revive_its_tokens(app, runner):
    verifier = make_staff(email="vera@example.org", role="verifier")
    _row, token = create_token(verifier, "script")
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/cities", headers=auth).status_code == 200
    assert runner.invoke(args=["users", "disable", "--email", "vera@example.org"]).exit_code == 0
    assert api.get("/api/v1/cities", headers=auth).status_code == 401
    result = runner.invoke(args=["users", "enable", "--email", "vera@example.org"])
    assert result.exit_code == 0, result.output
    assert api.get("/api/v1/cities", headers=auth).status_code == 401
    assert is_signed_in(staff_client(app, "vera@example.org"))


def test_token_commands_list_and_revoke(app, runner):
    import json

    verifier = make_staff(email="vera@example.org", role="verifier")
    row, token = create_token(verifier, "script")
    listed = runner.invoke(args=["users", "tokens"])
    assert listed.exit_code == 0, listed.output
    line = json.loads(listed.output.splitlines()[0])
    assert line["id"] == row.id and line["email"] == "vera@example.org"
    assert line["revoked"] is False and token not in listed.output
    assert runner.invoke(args=["users", "revoke", "--id", str(row.id)]).exit_code == 0
    assert app.test_client().get("/api/v1/cities", headers={
        "Authorization": f"Bearer {token}"}).status_code == 401
    again = runner.invoke(args=["users", "revoke", "--id", str(row.id)])
    assert again.exit_code != 0 and "no active token" in again.output
    assert runner.invoke(args=["users", "revoke", "--id", str(2**40)]).exit_code != 0


# ------------------------------------------------------------------------ lockout
def test_sign_in_locks_with_a_growing_wait(app):
    make_staff()
    client = app.test_client()
    for _attempt in range(accounts.LOCK_AFTER):
        assert sign_in(client, password="wrong password here").status_code == 401
    # Locked: even the right password is refused, with the reason.
    refused = sign_in(client)
    assert refused.status_code == 401 and "Too many failed sign-ins" in refused.text
    assert not is_signed_in(client)
    user = accounts.find_user("sec@example.org")
    with time_machine.travel(time.time() + 61, tick=False):
        # One more wrong password: the next wait is twice as long.
        assert sign_in(client, password="wrong again, still").status_code == 401
        db.session.refresh(user)
        assert user.failed_logins == accounts.LOCK_AFTER + 1
    with time_machine.travel(time.time() + 61 + 90, tick=False):
        assert "Too many failed sign-ins" in sign_in(client).text
    with time_machine.travel(time.time() + 61 + 125, tick=False):
        assert sign_in(client).status_code == 302
        db.session.refresh(user)
        assert user.failed_logins == 0 and user.locked_until is None


# ------------------------------------------------------------------------ second factor
def enrol(client) -> str:
    page = client.get("/account/two-factor")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    secret = page.text.split('<code class="link-text" dir="ltr">')[1].split("<")[0]
    assert "otpauth://totp/" in page.text
    wrong = client.post("/account/two-factor", data={
        "csrf_token": csrf_token_from(page.text), "code": "000000"})
    assert wrong.status_code == 400
    done = client.post("/account/two-factor", data={
        "csrf_token": csrf_token_from(page.text), "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302
    return secret


def sign_out(client):
    page = client.get("/staff/")
    client.post("/logout", data={"csrf_token": csrf_token_from(page.text)})


def test_second_factor_is_asked_once_set_up(app, runner):
    make_staff()
    client = staff_client(app)
    secret = enrol(client)
    sign_out(client)
    assert not is_signed_in(client)

    response = sign_in(client)
    assert response.status_code == 302 and response.location.endswith("/login/code")
    assert not is_signed_in(client)  # the password alone opens nothing
    page = client.get("/login/code")
    wrong = client.post("/login/code", data={"csrf_token": csrf_token_from(page.text),
                                             "code": "123456"})
    assert wrong.status_code == 401 and not is_signed_in(client)
    code = pyotp.TOTP(secret).at(time.time() + 30)  # the next step: not yet used
    right = client.post("/login/code", data={"csrf_token": csrf_token_from(page.text),
                                             "code": code})
    assert right.status_code == 302 and is_signed_in(client)
    # The same code does not work twice (replay).
    other = app.test_client()
    sign_in(other)
    page = other.get("/login/code")
    assert other.post("/login/code", data={"csrf_token": csrf_token_from(page.text),
                                           "code": code}).status_code == 401

    # A lost phone: the command removes it and ends the sessions.
    result = runner.invoke(args=["users", "reset-totp", "--email", "sec@example.org"])
    assert result.exit_code == 0, result.output
    assert not is_signed_in(client)
    assert sign_in(app.test_client()).status_code == 302
    assert not accounts.find_user("sec@example.org").has_totp


def test_a_secretariat_account_must_set_up_the_second_factor_when_required(app, app_factory,
                                                                           database_url):
    app = app_factory(database_url, TOTP_FOR_SECRETARIAT="required")
    with app.app_context():
        make_staff()
        make_staff(email="vera@example.org", role="verifier")
        client = app.test_client()
        response = sign_in(client)
        assert response.location.endswith("/account/two-factor")
        assert client.get("/staff/").location.endswith("/account/two-factor")
        assert client.get("/staff/tokens").location.endswith("/account/two-factor")
        enrol(client)
        assert client.get("/staff/").status_code == 200
        # Verifiers are not required to (they may).
        verifier = app.test_client()
        sign_in(verifier, email="vera@example.org")
        assert verifier.get("/staff/").status_code == 200


def test_production_requires_the_second_factor_for_the_secretariat(app, app_factory,
                                                                   database_url):
    app = app_factory(database_url, PRODUCTION=True, SECRET_KEY="prod-secret")
    assert app.config["TOTP_FOR_SECRETARIAT"] == "required"


# ------------------------------------------------------------------------ rate limits
def _login_posts(client, count, *, address=None, email="sec@example.org"):
    headers = {"X-Forwarded-For": address} if address else {}
    codes = []
    for _attempt in range(count):
        page = client.get("/login", headers=headers)
        codes.append(client.post("/login", headers=headers, data={
            "csrf_token": csrf_token_from(page.text), "email": email,
            "password": "not the password"}).status_code)
    return codes


def test_rate_limits_hold_behind_a_trusted_proxy(app, app_factory, database_url):
    """Probe finding 9: behind the proxy each client has its own bucket; without a trusted
    proxy count, X-Forwarded-For is ignored (a client cannot pick its address)."""
    behind = app_factory(database_url, RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1)
    with behind.app_context():
        make_staff()
        client = behind.test_client()
        assert _login_posts(client, 11, address="203.0.113.7")[-1] == 429
        assert _login_posts(client, 1, address="203.0.113.8") == [401]
    direct = app_factory(database_url, RATELIMIT_ENABLED=True)
    with direct.app_context():
        client = direct.test_client()
        assert _login_posts(client, 11, address="198.51.100.1")[-1] == 429
        assert _login_posts(client, 1, address="198.51.100.2") == [429]


def test_sign_in_is_limited_per_account_across_addresses(app, app_factory, database_url):
    app = app_factory(database_url, RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1)
    with app.app_context():
        make_staff()
        client = app.test_client()
        codes = [_login_posts(client, 1, address=f"203.0.113.{n}")[0] for n in range(31)]
        assert codes[-1] == 429 and 429 not in codes[:30]


def test_rate_limits_count_in_memory_while_redis_is_down(app, app_factory, database_url):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    app = app_factory(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=dead)
    with app.app_context():
        make_staff()
        codes = _login_posts(app.test_client(), 11)
        assert codes[:10] == [401] * 10 and codes[10] == 429


def test_wrong_api_tokens_are_limited_per_address(app, app_factory, database_url):
    app = app_factory(database_url, RATELIMIT_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        codes = [client.get("/api/v1/cities", headers={
            "Authorization": f"Bearer guess-{n}"}).status_code for n in range(31)]
        assert codes[:30] == [401] * 30 and codes[30] == 429


# ------------------------------------------------------------------------ headers, hosts
def test_workspace_pages_stay_out_of_caches_and_search_engines(app, client, city):
    assert client.get(f"/w/{workspace_token(city)}").status_code == 302
    for path in ("/w/", f"/w/{workspace_token(city)}", "/w/not-a-link.x"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "private, no-store", path
        assert "noindex" in response.headers["X-Robots-Tag"], path


def test_production_refuses_an_unknown_host(app, app_factory, database_url):
    app = app_factory(database_url, PRODUCTION=True, SECRET_KEY="prod-secret",
                      PUBLIC_BASE_URL="https://intake.example.org")
    client = app.test_client()
    https = {"base_url": "https://intake.example.org"}
    assert client.get("/", **https).status_code == 200
    assert client.get("/", base_url="https://evil.example").status_code == 400
    assert app.config["TRUSTED_HOSTS"] == ["intake.example.org", "localhost", "127.0.0.1"]


# ------------------------------------------------------------------------ logs
def test_access_logs_never_show_a_link_token(app, city):
    from intake.logs import mask_links

    token = workspace_token(city)
    line = f'127.0.0.1 - - "GET /w/{token}?lang=fr HTTP/1.1" 302 -'
    assert token not in mask_links(line) and "/w/[link]?lang=fr" in mask_links(line)
    letter = f'"GET /letters/{token}.pdf HTTP/1.1" 200'
    assert mask_links(letter) == '"GET /letters/[link].pdf HTTP/1.1" 200'
    assert mask_links("GET /w/c/ec-drainage/0") == "GET /w/c/ec-drainage/0"
    # The access loggers carry the filter; a record through it loses the token.
    from intake.logs import LinkMaskingFilter

    for name in ("werkzeug", "gunicorn.access"):
        assert any(isinstance(f, LinkMaskingFilter) for f in logging.getLogger(name).filters)
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s -',
                               ("127.0.0.1", f"GET /snapshot/{snapshot_token(city)} HTTP/1.1",
                                200), None)
    assert LinkMaskingFilter().filter(record)
    assert snapshot_token(city) not in record.getMessage()
    assert "/snapshot/[link]" in record.getMessage()


def test_a_staff_session_ends_after_its_lifetime(app):
    make_staff()
    client = staff_client(app)
    assert is_signed_in(client)
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    with time_machine.travel(time.time() + lifetime + 60, tick=False):
        assert not is_signed_in(client)
