"""Staff accounts: create, sign in, change password, disable; ending sessions by rotation."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intake.extensions import db
from intake.models._types import utcnow
from intake.models.user import User, UserRole, new_session_token

MIN_PASSWORD_LENGTH = 12
# Long enough for any passphrase, short enough that hashing cannot be used to tie up a worker.
MAX_PASSWORD_LENGTH = 256

# Passwords long enough to pass the length rule that still top breach lists. No composition
# rules (NIST SP 800-63B §3.1.1.2): length plus a block list.
COMMON_PASSWORDS = frozenset({
    "123456789012", "1234567890123", "12345678901234", "123456789123", "111111111111",
    "000000000000", "password1234", "password12345", "password123456", "passwordpassword",
    "qwertyuiopas", "qwertyuiop123", "qwerty123456", "1q2w3e4r5t6y", "1qaz2wsx3edc",
    "iloveyou1234", "abcdefghijkl", "abc123456789", "letmein12345", "welcome12345",
    "administrator", "admin1234567", "changeme1234", "trustno1trustno1", "princess1234",
    "football1234", "baseball1234", "superman1234", "sunshine1234", "monkey123456",
    "dragon123456", "aaaaaaaaaaaa", "asdfghjkl123", "zxcvbnm12345", "p@ssw0rd1234",
    "passw0rd1234", "secretariat1", "u4ssc1234567", "itu123456789", "smartcity123",
})

# RFC 9106's low-memory recommendation (argon2id, t=3, 64 MiB) in service; the cheapest
# parameters when TESTING, so the suite does not spend minutes hashing. A hash made with
# other parameters is upgraded at the next sign-in (check_needs_rehash).
_HASHERS = {
    "production": PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY),
    "testing": PasswordHasher.from_parameters(profiles.CHEAPEST),
}
_DUMMY_HASHES: dict[str, str] = {}


def _profile() -> str:
    return "testing" if current_app.config.get("TESTING") else "production"


def hasher() -> PasswordHasher:
    return _HASHERS[_profile()]


def _dummy_hash() -> str:
    # Verified against when the e-mail is unknown, so a wrong address takes as long as a
    # wrong password and response times do not reveal which accounts exist.
    profile = _profile()
    if profile not in _DUMMY_HASHES:
        _DUMMY_HASHES[profile] = _HASHERS[profile].hash("not-a-real-password-for-timing")
    return _DUMMY_HASHES[profile]




class AccountError(ValueError):
    """A request about an account that cannot be met; the message is for the user."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return str(_l("The password must have at least %(count)d characters.",
                      count=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        return str(_l("The password must have at most %(count)d characters.",
                      count=MAX_PASSWORD_LENGTH))
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        return str(_l("This password is too common or too easy to guess. "
                      "A few unrelated words make a good one."))
    if email and lowered == normalise_email(email):
        return str(_l("The password cannot be your e-mail address."))
    return None


def find_user(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def create_user(*, email: str, password: str, role: str | UserRole, name: str = "") -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
        raise AccountError(str(_l("Enter a valid e-mail address.")))
    try:
        role = UserRole(role)
    except ValueError:
        raise AccountError(str(_l("The role must be secretariat or verifier."))) from None
    problem = password_problem(password, email=email)
    if problem:
        raise AccountError(problem)
    if find_user(email) is not None:
        raise AccountError(str(_l("An account with this e-mail address already exists.")))
    user = User(email=email, name=(name or "").strip()[:200], role=role,
                password_hash=hasher().hash(password), active=True,
                session_token=new_session_token())
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active account these credentials open, or None (never says which part was wrong)."""
    user = find_user(email)
    if user is None or not password or len(password) > MAX_PASSWORD_LENGTH:
        _verify(_dummy_hash(), password or "")
        return None
    if not _verify(user.password_hash, password) or not user.active:
        return None
    if hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hasher().hash(password)
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def change_password(user: User, *, current_password: str, new_password: str) -> User:
    """Set a new password and end every existing session of this account."""
    if not _verify(user.password_hash, current_password or ""):
        raise AccountError(str(_l("The current password is not correct.")))
    problem = password_problem(new_password, email=user.email)
    if problem:
        raise AccountError(problem)
    if _verify(user.password_hash, new_password):
        raise AccountError(str(_l("The new password must differ from the current one.")))
    user.password_hash = hasher().hash(new_password)
    user.password_changed_at = utcnow()
    user.session_token = new_session_token()
    db.session.commit()
    return user


def set_password(user: User, new_password: str) -> User:
    """Reset a password from the command line (no current password); ends all sessions."""
    problem = password_problem(new_password, email=user.email)
    if problem:
        raise AccountError(problem)
    user.password_hash = hasher().hash(new_password)
    user.password_changed_at = utcnow()
    user.session_token = new_session_token()
    db.session.commit()
    return user


def disable_user(user: User) -> User:
    """Stop the account from signing in and end its sessions now."""
    user.active = False
    user.session_token = new_session_token()
    db.session.commit()
    return user


def rotate_session(user: User) -> User:
    """Give the account a new session token: every cookie issued so far stops working."""
    user.session_token = new_session_token()
    db.session.commit()
    return user


def user_for_session(token: str | None) -> User | None:
    """The active account a session cookie's token belongs to (Flask-Login's user loader)."""
    if not token or len(token) > 64:
        return None
    user = db.session.execute(
        select(User).where(User.session_token == token)
    ).scalar_one_or_none()
    return user if user is not None and user.active else None


def list_users(role: UserRole | None = None, *, active_only: bool = False) -> list[User]:
    query = select(User).order_by(User.name, User.email)
    if role is not None:
        query = query.where(User.role == role)
    if active_only:
        query = query.where(User.active.is_(True))
    return list(db.session.execute(query).scalars())
