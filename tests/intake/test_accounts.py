"""Staff accounts: sign-in, sign-out, password change, disable, replayed cookies, rate limit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import StaffSession, User
from intake.models.user import session_token_hash
from intake.services import accounts
from intake.services.cities import create_city
from tests.conftest import csrf_token_from

PASSWORD = "river lantern copper meadow"
NEW_PASSWORD = "seven quiet harbour bells"
GENERIC_ERROR = "The e-mail address or the password is not correct"


def make_staff(email="sec@example.org", role="secretariat", name="Sam Secretariat",
               password=PASSWORD) -> User:
    return accounts.create_user(email=email, password=password, role=role, name=name)


def sign_in(client, email="sec@example.org", password=PASSWORD):
    page = client.get("/login")
    return client.post("/login", data={"csrf_token": csrf_token_from(page.data),
                                       "email": email, "password": password})


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def is_signed_in(client) -> bool:
    response = client.get("/staff/")
    return response.status_code == 200


def replay(app, cookie_value: str) -> bool:
    """A fresh browser presenting a copied session cookie: does it get in?"""
    other = app.test_client()
    other.set_cookie("session", cookie_value)
    return is_signed_in(other)


# ------------------------------------------------------------------------ creating accounts
def test_create_user_hashes_with_argon2_and_normalises_email(app):
    user = make_staff(email="  Ana.Lopez@Example.ORG ")
    assert user.email == "ana.lopez@example.org"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert accounts.find_user("ANA.LOPEZ@example.org").id == user.id


def test_service_uses_rfc_9106_parameters_and_upgrades_cheaper_hashes(app, app_factory,
                                                                     database_url):
    user = make_staff()  # TESTING: the cheapest parameters keep the suite fast
    assert user.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    db.session.close()  # SQLite: hold no transaction while the other app writes
    production = app_factory(database_url, TESTING=False)
    with production.app_context():
        signed_in = accounts.authenticate("sec@example.org", PASSWORD)
        assert signed_in.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert accounts.authenticate("sec@example.org", PASSWORD).id == signed_in.id


@pytest.mark.parametrize("password, message", [
    ("short pass", "at least 12 characters"),
    ("password1234", "too common"),
    ("Password1234", "too common"),
    ("aaaaaaaaaaaaaaaa", "too common"),
    ("x" * 257, "at most 256"),
])
def test_weak_passwords_are_refused_with_a_reason(app, password, message):
    with pytest.raises(accounts.AccountError, match=message):
        make_staff(password=password)
    assert db.session.execute(select(User)).first() is None


def test_long_password_without_symbols_is_accepted(app):
    # No composition rules: lower-case words are fine when long enough.
    assert make_staff(password="just some lowercase words").id


def test_duplicate_email_and_bad_role_are_refused(app):
    make_staff()
    with pytest.raises(accounts.AccountError, match="already exists"):
        make_staff(email="SEC@example.org")
    with pytest.raises(accounts.AccountError, match="secretariat or verifier"):
        make_staff(email="x@example.org", role="mayor")
    with pytest.raises(accounts.AccountError, match="valid e-mail"):
        make_staff(email="not an address")


# ------------------------------------------------------------------------ signing in and out
def test_sign_in_opens_staff_pages_and_records_the_time(app, client):
    user = make_staff()
    assert client.get("/staff/").status_code == 302
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/")
    assert is_signed_in(client)
    db.session.refresh(user)
    assert user.last_login_at is not None


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(app, client):
    make_staff()
    page = client.get("/login?next=/staff/letters")
    token = csrf_token_from(page.data)
    assert 'value="/staff/letters"' in page.text
    response = client.post("/login", data={"csrf_token": token, "email": "sec@example.org",
                                           "password": PASSWORD, "next": "/staff/letters"})
    assert response.headers["Location"].endswith("/staff/letters")
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/staff/").data)})
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_token_from(page.data),
                                           "email": "sec@example.org", "password": PASSWORD,
                                           "next": "//evil.example/steal"})
    assert response.headers["Location"].endswith("/staff/")
    for target in ("/\t/evil.example", "/\\evil.example", "https://evil.example/"):
        client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/staff/").data)})
        page = client.get("/login")
        response = client.post("/login", data={"csrf_token": csrf_token_from(page.data),
                                               "email": "sec@example.org", "password": PASSWORD,
                                               "next": target})
        assert response.headers["Location"].endswith("/staff/"), target


def test_wrong_password_and_unknown_email_get_the_same_message(app, client):
    make_staff()
    wrong = sign_in(client, password="not the right password")
    unknown = sign_in(client, email="nobody@example.org")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert GENERIC_ERROR in response.text
    assert not is_signed_in(client)


def test_empty_form_is_refused_without_an_error_page(app, client):
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_token_from(page.data)})
    assert response.status_code == 401
    assert "Enter your e-mail address and your password" in response.text


def test_disabled_account_cannot_sign_in(app, client):
    user = make_staff()
    accounts.disable_user(user)
    response = sign_in(client)
    assert response.status_code == 401 and GENERIC_ERROR in response.text
    assert not is_signed_in(client)
    assert accounts.authenticate("sec@example.org", PASSWORD) is None


def test_sign_in_starts_a_fresh_session(app, client):
    make_staff()
    city = create_city(name="Bizerte", population=150_000, country="TN")
    with client.session_transaction() as session:
        session["city_id"] = city.id
        session["leftover"] = "from before"
    sign_in(client)
    with client.session_transaction() as session:
        assert "city_id" not in session and "leftover" not in session
        # The cookie carries a session token, never the numeric id; only its hash is stored.
        token = session["_user_id"]
    user = accounts.find_user("sec@example.org")
    assert token != str(user.id) and accounts.user_for_session(token).id == user.id
    stored = db.session.execute(select(StaffSession.token_hash)).scalars().all()
    assert stored == [session_token_hash(token)] and token not in stored


def test_logout_is_a_post_with_csrf(app, client):
    make_staff()
    sign_in(client)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert is_signed_in(client)
    token = csrf_token_from(client.get("/staff/").data)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert not is_signed_in(client)


# ------------------------------------------------------------------------ replayed cookies
def test_a_captured_cookie_stops_working_after_logout_password_change_and_disable(app):
    user = make_staff()
    replays_that_worked = 0

    # 1. Logout.
    browser = app.test_client()
    sign_in(browser)
    captured = session_cookie(browser)
    assert replay(app, captured)  # the copy works while the session is alive
    browser.post("/logout", data={"csrf_token": csrf_token_from(browser.get("/staff/").data)})
    replays_that_worked += replay(app, captured)

    # 2. Password change in another browser.
    browser = app.test_client()
    sign_in(browser)
    captured = session_cookie(browser)
    other = app.test_client()
    sign_in(other)
    page = other.get("/account/password")
    response = other.post("/account/password", data={
        "csrf_token": csrf_token_from(page.data), "current_password": PASSWORD,
        "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert is_signed_in(other)  # the browser that changed it stays signed in
    replays_that_worked += replay(app, captured)
    replays_that_worked += is_signed_in(browser)

    # 3. Account disabled (from the command line).
    browser = app.test_client()
    sign_in(browser, password=NEW_PASSWORD)
    captured = session_cookie(browser)
    assert replay(app, captured)
    db.session.refresh(user)
    accounts.disable_user(user)
    replays_that_worked += replay(app, captured)

    assert replays_that_worked == 0


def test_password_change_errors_are_shown(app, client):
    make_staff()
    sign_in(client)
    cases = [
        ({"current_password": "wrong wrong wrong", "new_password": NEW_PASSWORD,
          "confirm": NEW_PASSWORD}, "current password is not correct"),
        ({"current_password": PASSWORD, "new_password": "short", "confirm": "short"},
         "at least 12 characters"),
        ({"current_password": PASSWORD, "new_password": NEW_PASSWORD,
          "confirm": NEW_PASSWORD + "x"}, "The two new passwords differ"),
        ({"current_password": PASSWORD, "new_password": PASSWORD, "confirm": PASSWORD},
         "must differ from the current one"),
    ]
    for data, message in cases:
        page = client.get("/account/password")
        response = client.post("/account/password",
                               data={"csrf_token": csrf_token_from(page.data), **data})
        assert response.status_code == 400, message
        assert message in response.text
    assert accounts.authenticate("sec@example.org", PASSWORD) is not None


def test_password_page_needs_an_account(app, client):
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# ------------------------------------------------------------------------ rate limit
def _hammer(client, attempts: int, email="sec@example.org") -> list[int]:
    codes = []
    for _ in range(attempts):
        page = client.get("/login")
        codes.append(client.post("/login", data={
            "csrf_token": csrf_token_from(page.data), "email": email,
            "password": "guess guess guess"}).status_code)
    return codes


def test_login_is_rate_limited_per_address_and_account(app, app_factory, database_url):
    limited = app_factory(database_url, RATELIMIT_ENABLED=True,
                          RATELIMIT_STORAGE_URI="memory://")
    with limited.app_context():
        make_staff()
        client = limited.test_client()
        codes = _hammer(client, 11)
        assert codes[:10] == [401] * 10
        assert codes[10] == 429
        # While limited, even the right password is refused: guessing gains nothing.
        token = csrf_token_from(client.get("/login").data)
        page = client.post("/login", data={"csrf_token": token, "email": "sec@example.org",
                                           "password": PASSWORD})
        assert page.status_code == 429
        assert "Too many attempts" in page.text
        assert not is_signed_in(client)
        # Another account from the same address is not locked out by this one.
        assert _hammer(client, 1, email="other@example.org") == [401]


@pytest.mark.redis
def test_rate_limit_is_shared_through_redis(app, app_factory, database_url, redis_url):
    first = app_factory(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url)
    with first.app_context():
        make_staff()
        assert _hammer(first.test_client(), 10) == [401] * 10
    # A second web process (a new app with its own limiter storage connection) sees the
    # same counter: the eleventh attempt is refused there too.
    second = app_factory(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url)
    with second.app_context():
        assert _hammer(second.test_client(), 1) == [429]


# ------------------------------------------------------------------------ command line
def test_cli_creates_and_disables_accounts(app, runner):
    result = runner.invoke(args=["users", "create", "--email", "Vera@Example.org", "--role",
                                 "verifier", "--name", "Vera", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    user = accounts.find_user("vera@example.org")
    assert user.role == "verifier" and user.name == "Vera"

    result = runner.invoke(args=["users", "create", "--email", "x@example.org", "--role",
                                 "secretariat"], input="short\nshort\n")
    assert result.exit_code != 0 and "at least 12 characters" in result.output

    result = runner.invoke(args=["users", "create", "--email", "y@example.org", "--role",
                                 "secretariat"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output

    token = accounts.start_session(user)
    result = runner.invoke(args=["users", "disable", "--email", "vera@example.org"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert not user.active and accounts.user_for_session(token) is None

    result = runner.invoke(args=["users", "disable", "--email", "ghost@example.org"])
    assert result.exit_code != 0 and "no account" in result.output
