"""Create, check and revoke staff API tokens (Authorization: Bearer <token>)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from intake.extensions import db
from intake.models._types import utcnow
from intake.models.api_token import ApiToken
from intake.models.user import User

# Recording every use would write on every GET; once a minute is enough to see a token live.
LAST_USED_PRECISION = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for this account: (the stored row, the token itself — shown only now)."""
    name = (name or "").strip()[:200]
    if not name:
        raise ValueError("a token needs a name (what it is used for)")
    if not user.is_active:
        raise ValueError("the account is disabled")
    token = "u4ssc_" + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=token_hash(token))
    db.session.add(row)
    db.session.commit()
    return row, token


def user_for_token(token: str | None) -> User | None:
    """The active staff account a token belongs to; None when unknown, revoked or disabled."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == token_hash(token))
    ).scalar_one_or_none()
    if row is None or row.revoked or row.user is None or not row.user.is_active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_PRECISION:
        row.last_used_at = now
        db.session.commit()
    return row.user


def revoke_token(token_id: int) -> bool:
    row = db.session.get(ApiToken, token_id)
    if row is None or row.revoked:
        return False
    row.revoked = True
    db.session.commit()
    return True


def all_tokens() -> list[ApiToken]:
    """Every token with its account (the secretariat's list), newest first."""
    from sqlalchemy.orm import joinedload

    return list(db.session.execute(
        select(ApiToken).options(joinedload(ApiToken.user))
        .order_by(ApiToken.revoked, ApiToken.id.desc())).scalars())


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.execute(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)).scalars())
