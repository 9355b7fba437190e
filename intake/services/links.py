"""Signed links that let a city official come back without a password."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from intake.extensions import db
from intake.models import City

WORKSPACE_SALT = "city-workspace"
# A link stays valid while it is used: each visit re-issues it (see the workspace views).
WORKSPACE_MAX_AGE = 60 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=WORKSPACE_SALT)


def workspace_token(city: City) -> str:
    return _serializer().dumps({"city": city.id, "key": city.access_key[:16]})


# Only where there is neither a request nor PUBLIC_BASE_URL (a command on a laptop);
# production refuses to start without PUBLIC_BASE_URL.
LAST_RESORT_BASE = "http://127.0.0.1:5000"


def mail_base_url(request_base: str | None = None) -> str:
    """The address e-mailed links start with: PUBLIC_BASE_URL, else the request's own."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request_base or LAST_RESORT_BASE
    return base.rstrip("/")


def workspace_url(city: City, base: str | None = None) -> str:
    """The workspace link on `base` (a page's own address), else the e-mail address."""
    base = (base or mail_base_url()).rstrip("/")
    # The path is fixed ("/w/<token>") so links stay valid whatever blueprint serves them.
    return f"{base}/w/{workspace_token(city)}"


class LinkError(Exception):
    """A link that is tampered with, expired or for a city that no longer exists."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "invalid" or "expired"


def link_claims(token: str) -> tuple[int, str]:
    """(city id, key) a genuine, unexpired link names; the city is not looked up."""
    try:
        data = _serializer().loads(token, max_age=WORKSPACE_MAX_AGE)
    except SignatureExpired:
        raise LinkError("expired") from None
    except BadSignature:
        raise LinkError("invalid") from None
    if not isinstance(data, dict):
        raise LinkError("invalid")
    city_id, key = data.get("city"), data.get("key")
    if not isinstance(city_id, int) or isinstance(city_id, bool) or not isinstance(key, str):
        raise LinkError("invalid")
    return city_id, key


def key_matches(access_key: str | None, key: str) -> bool:
    """Whether a link's key is the one of a city whose access key is `access_key`."""
    return access_key is not None and access_key[:16] == key


def city_from_token(token: str) -> City:
    city_id, key = link_claims(token)
    city = db.session.get(City, city_id)
    if city is None or not key_matches(city.access_key, key):
        raise LinkError("invalid")
    return city


