"""Staff token authentication for the API, and the same city permissions as the pages."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import abort, g, request
from flask_limiter.util import get_remote_address

from intake.api import bp
from intake.extensions import db, limiter
from intake.models.city import City
from intake.models.user import User, UserRole
from intake.permissions import assigned_city_ids
from intake.services.api_tokens import user_for_token

SECURITY = [{"bearerAuth": []}]
# Ids are 32-bit in the database; a larger one in a URL is simply not found (PostgreSQL
# would otherwise refuse the query and abort the transaction).
MAX_ID = 2**31 - 1
CITY_ID = f"<int(max={MAX_ID}):city_id>"


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def api_user() -> User:
    return g.api_user


_NO_USER = object()


def _token_user() -> User | None:
    """The account of this request's token, looked up once (the rate-limit keys need it
    before the view runs)."""
    # Kept in the request's environ, not on `g`, which can outlive one request.
    found = request.environ.get("intake.token_user", _NO_USER)
    if found is _NO_USER:
        found = request.environ["intake.token_user"] = user_for_token(bearer_token())
    return found


def _account_key() -> str:
    user = _token_user()
    return f"api-account:{user.id if user is not None else '-'}"


def _bad_token_key() -> str:
    return f"api-bad-token:{get_remote_address()}"


# Per account across every address (a leaked token used from many machines is capped), per
# address across accounts, and wrong tokens per address (guessing is capped hard).
_limits = (
    limiter.shared_limit("600 per minute", scope="api-account", key_func=_account_key,
                         exempt_when=lambda: _token_user() is None),
    limiter.shared_limit("1200 per minute", scope="api-address", key_func=get_remote_address),
    limiter.shared_limit("30 per minute", scope="api-bad-token", key_func=_bad_token_key,
                         deduct_when=lambda response: response.status_code == 401),
)


def token_required(*roles: str | UserRole) -> Callable:
    """Only requests with a live staff token (of these roles, or any role) get through.

    No cookie is accepted: a browser's session could otherwise be used by a forged
    cross-site request, and the API has no CSRF tokens.
    """
    allowed = {UserRole(role) for role in roles}

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = _token_user()
            if user is None:
                abort(401)
            if allowed and user.role not in allowed:
                abort(403)
            g.api_user = user
            return view(*args, **kwargs)

        for limit in _limits:
            wrapper = limit(wrapper)
        wrapper = bp.alt_response(401, response="UNAUTHORIZED")(wrapper)
        wrapper = bp.alt_response(403, response="FORBIDDEN")(wrapper)
        return bp.doc(security=SECURITY)(wrapper)

    return decorate


@bp.after_request
def keep_staff_answers_private(response):
    """Staff data must not sit in shared caches; the ETag still saves a download."""
    if g.get("api_user") is not None and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "private, no-cache"
    return response


def visible_city_ids(user: User) -> set[int] | None:
    """None: every city (secretariat); otherwise the ids a verifier is assigned."""
    if user.role == UserRole.SECRETARIAT:
        return None
    return assigned_city_ids(user)


def city_or_abort(city_id: int) -> City:
    """The city, 404 when there is none, 403 when this account may not see it."""
    city = db.session.get(City, city_id)
    if city is None:
        abort(404)
    visible = visible_city_ids(api_user())
    if visible is not None and city_id not in visible:
        abort(403)
    return city
