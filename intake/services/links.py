"""Signed links: the workspace link (read and write) and the read-only snapshot link.

The two are separate capabilities with separate secrets: each is signed with its own salt
and names its own key, both derived from the city's access key, so a snapshot link never
opens the workspace and a workspace link is not a snapshot link. Rotating the access key
ends both.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from intake.extensions import db
from intake.models import City

WORKSPACE_SALT = "city-workspace"
SNAPSHOT_SALT = "city-snapshot"
# A link stays valid while it is used: each visit re-issues it (see the workspace views).
WORKSPACE_MAX_AGE = 60 * 24 * 3600


def _serializer(salt: str = WORKSPACE_SALT) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def workspace_token(city: City) -> str:
    return _serializer().dumps({"city": city.id, "key": city.access_key[:16]})


def snapshot_key(access_key: str) -> str:
    """The key a snapshot link names: derived one way, so it reveals nothing of the
    workspace link's key (a link's payload is signed, not encrypted)."""
    return hmac.new(access_key.encode(), b"read-only snapshot", hashlib.sha256).hexdigest()[:16]


def snapshot_token(city: City) -> str:
    return _serializer(SNAPSHOT_SALT).dumps({"city": city.id, "key": snapshot_key(
        city.access_key)})


# Only where there is neither a request nor PUBLIC_BASE_URL (a command on a laptop);
# production refuses to start without PUBLIC_BASE_URL.
LAST_RESORT_BASE = "http://127.0.0.1:5000"


def mail_base_url(request_base: str | None = None) -> str:
    """The address e-mailed links start with: PUBLIC_BASE_URL, else the request's own."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request_base or LAST_RESORT_BASE
    return base.rstrip("/")


def snapshot_url(city: City, base: str | None = None) -> str:
    """The read-only link to the city's snapshot, to share: it never opens the workspace."""
    base = (base or mail_base_url()).rstrip("/")
    return f"{base}/snapshot/{snapshot_token(city)}"


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


def link_claims(token: str, salt: str = WORKSPACE_SALT) -> tuple[int, str]:
    """(city id, key) a genuine, unexpired link names; the city is not looked up."""
    if len(token) > 500:
        raise LinkError("invalid")
    try:
        data = _serializer(salt).loads(token, max_age=WORKSPACE_MAX_AGE)
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
    """Whether a workspace link's key is the one of a city whose access key is `access_key`."""
    return access_key is not None and hmac.compare_digest(access_key[:16], key)


def snapshot_key_matches(access_key: str | None, key: str) -> bool:
    """Whether a snapshot link's key belongs to a city whose access key is `access_key`."""
    return access_key is not None and hmac.compare_digest(snapshot_key(access_key), key)


def city_from_token(token: str) -> City:
    """The city a workspace link opens."""
    city_id, key = link_claims(token)
    city = db.session.get(City, city_id)
    if city is None or not key_matches(city.access_key, key):
        raise LinkError("invalid")
    return city


def snapshot_claims(token: str) -> tuple[int, str]:
    """(city id, key) a genuine, unexpired snapshot link names."""
    return link_claims(token, SNAPSHOT_SALT)


def city_from_snapshot_token(token: str) -> City:
    """The city a read-only snapshot link shows; a workspace link is not accepted."""
    city_id, key = snapshot_claims(token)
    city = db.session.get(City, city_id)
    if city is None or not snapshot_key_matches(city.access_key, key):
        raise LinkError("invalid")
    return city




def rotate_city_links(city_id: int) -> City | None:
    """Give the city a new access key: every workspace and snapshot link made so far, and
    every city session opened with one, stops working at its next request."""
    import secrets

    city = db.session.get(City, city_id)
    if city is None:
        return None
    city.access_key = secrets.token_urlsafe(32)
    db.session.commit()
    return city


# ------------------------------------------------------------------- links kept out of rows
# An e-mail waits in the job table (and in Redis) until the worker sends it: the links in
# its text are stored as placeholders naming the city, and written out only when sending.
_LINK_IN_TEXT = re.compile(
    r"(https?://[^\s/]+(?:/[^\s]*?)?)/(w|snapshot)/([A-Za-z0-9_\-.]+)")
# The address the link was written for stays in the placeholder, so an e-mail sent later by
# a worker (with no request and perhaps no PUBLIC_BASE_URL) links to the same address.
_PLACEHOLDER = re.compile(r"\[\[(workspace|snapshot)-link:(\d+)(?:@(https?://[^\s\]]+))?\]\]")


def conceal_links(text: str | None) -> str | None:
    """Replace every genuine workspace or snapshot link in `text` by a placeholder."""
    if not text:
        return text

    def replace(match: re.Match) -> str:
        kind = "workspace" if match.group(2) == "w" else "snapshot"
        try:
            city_id, _key = link_claims(match.group(3),
                                        WORKSPACE_SALT if kind == "workspace" else SNAPSHOT_SALT)
        except LinkError:
            return match.group(0)
        return f"[[{kind}-link:{city_id}@{match.group(1)}]]"

    return _LINK_IN_TEXT.sub(replace, text)


def reveal_links(text: str | None) -> str | None:
    """Write the placeholders out as the city's current links (at sending time)."""
    if not text:
        return text

    def replace(match: re.Match) -> str:
        city = db.session.get(City, int(match.group(2)))
        if city is None:
            return "-"
        base = match.group(3)
        return workspace_url(city, base) if match.group(1) == "workspace" \
            else snapshot_url(city, base)

    return _PLACEHOLDER.sub(replace, text)
