"""Staff accounts: create, sign in, change password, disable; ending sessions by rotation."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from intake.extensions import db
from intake.models._types import utcnow
from intake.models.api_token import ApiToken
from intake.models.user import (
    StaffSession,
    User,
    UserRole,
    new_session_token,
    session_token_hash,
)

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


class AccountLocked(AccountError):
    """Too many failed sign-ins: the account refuses sign-in until `until` (UTC)."""

    def __init__(self, until: datetime):
        self.until = until
        # Rounded up to the minute, so "try again at" is never a moment too early.
        shown = (until + timedelta(seconds=59)).strftime("%H:%M")
        super().__init__(str(_l(
            "Too many failed sign-ins for this account. Try again after %(time)s (UTC), or "
            "ask the secretariat.", time=shown)))


# Lockout: after LOCK_AFTER failed sign-ins in a row the account waits LOCK_FIRST, and the
# wait doubles with every further failure up to LOCK_LONGEST; a good sign-in resets it.
LOCK_AFTER = 5
LOCK_FIRST = timedelta(minutes=1)
LOCK_LONGEST = timedelta(hours=1)


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
                password_hash=hasher().hash(password), active=True)
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active account these credentials open, or None (never says which part was wrong).

    Raises AccountLocked while the account waits after too many failures; the password is
    then not even checked, so guessing on goes nowhere. A good password resets the count
    only when no second factor follows (see `record_good_sign_in`).
    """
    user = find_user(email)
    if user is None or not password or len(password) > MAX_PASSWORD_LENGTH:
        _verify(_dummy_hash(), password or "")
        return None
    if user.locked_until is not None and user.locked_until > utcnow():
        _verify(_dummy_hash(), password)
        raise AccountLocked(user.locked_until)
    if not _verify(user.password_hash, password):
        record_failed_sign_in(user)
        return None
    if not user.active:
        return None
    if hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hasher().hash(password)
        db.session.commit()
    return user


def record_failed_sign_in(user: User) -> None:
    """Count a wrong password or code; from LOCK_AFTER on, lock for a doubling time."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(failed_logins=User.failed_logins + 1))
    db.session.commit()
    db.session.refresh(user)
    if user.failed_logins >= LOCK_AFTER:
        wait = min(LOCK_FIRST * 2 ** (user.failed_logins - LOCK_AFTER), LOCK_LONGEST)
        user.locked_until = utcnow() + wait
        db.session.commit()


def record_good_sign_in(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    db.session.commit()


def ensure_not_locked(user: User) -> None:
    if user.locked_until is not None and user.locked_until > utcnow():
        raise AccountLocked(user.locked_until)


# ------------------------------------------------------------------------ second factor
TOTP_ISSUER = "U4SSC Intake"


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads (as text or from a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step (30 s) whose code this is, within one step of now; a step already used
    (`after` or earlier) does not count again, so an overheard code cannot be replayed."""
    code = "".join((code or "").split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(utcnow_aware())
    for step in (now - 1, now, now + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def utcnow_aware():
    from datetime import UTC

    return datetime.now(UTC)


def enable_totp(user: User, secret: str, code: str) -> bool:
    """Turn the second factor on once the person shows a code from their app."""
    step = _matching_step(secret, code, None)
    if step is None:
        return False
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    db.session.commit()
    return True


def check_totp(user: User, code: str) -> bool:
    """A code for the second step of sign-in; a wrong one counts as a failed sign-in."""
    if not user.has_totp:
        return False
    step = _matching_step(user.totp_secret, code, user.totp_last_step)
    if step is None:
        record_failed_sign_in(user)
        return False
    user.totp_last_step = step
    db.session.commit()
    return True


def reset_totp(user: User) -> User:
    """Remove the second factor (a lost phone); the account sets it up again at sign-in."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    _end_sessions(user)
    db.session.commit()
    return user


def totp_required(user: User) -> bool:
    """Whether this account must have a second factor before using the staff pages."""
    return (user.role == UserRole.SECRETARIAT
            and current_app.config.get("TOTP_FOR_SECRETARIAT") == "required")


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
    _end_sessions(user)
    db.session.commit()
    return user


def set_password(user: User, new_password: str) -> User:
    """Reset a password from the command line (no current password); ends all sessions."""
    problem = password_problem(new_password, email=user.email)
    if problem:
        raise AccountError(problem)
    user.password_hash = hasher().hash(new_password)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    _end_sessions(user)
    db.session.commit()
    return user


def disable_user(user: User) -> User:
    """Stop the account from signing in, end its sessions and revoke its API tokens now:
    enabling it again later does not bring any of them back."""
    user.active = False
    _end_sessions(user)
    db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id)
                       .values(revoked=True))
    db.session.commit()
    return user


def enable_user(user: User) -> User:
    """Let a disabled account sign in again (with new sessions and new tokens only)."""
    user.active = True
    user.failed_logins = 0
    user.locked_until = None
    db.session.commit()
    return user


def _oldest_session() -> datetime:
    """A staff session lasts PERMANENT_SESSION_LIFETIME from sign-in, whatever the cookie
    says: a copied cookie does not work forever."""
    return utcnow() - current_app.config["PERMANENT_SESSION_LIFETIME"]


def _end_sessions(user: User) -> None:
    db.session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    user.session_token = None


def start_session(user: User) -> str:
    """A new signed-in session for this account: the token for the cookie (only its hash is
    stored). Call before `login_user`, which puts `user.get_id()` in the cookie."""
    token = new_session_token()
    # Sessions past their lifetime are refused anyway (below); their rows go now.
    db.session.execute(delete(StaffSession).where(StaffSession.user_id == user.id,
                                                  StaffSession.created_at < _oldest_session()))
    db.session.add(StaffSession(user_id=user.id, token_hash=session_token_hash(token)))
    db.session.commit()
    user.session_token = token
    return token


def rotate_session(user: User) -> User:
    """End every session of the account: every cookie issued so far stops working."""
    _end_sessions(user)
    db.session.commit()
    return user


def user_for_session(token: str | None) -> User | None:
    """The active account a session cookie's token belongs to (Flask-Login's user loader)."""
    if not token or len(token) > 64:
        return None
    user = db.session.execute(
        select(User).join(StaffSession, StaffSession.user_id == User.id)
        .where(StaffSession.token_hash == session_token_hash(token),
               StaffSession.created_at >= _oldest_session())
    ).scalar_one_or_none()
    if user is None or not user.active:
        return None
    user.session_token = token
    return user


def list_users(role: UserRole | None = None, *, active_only: bool = False) -> list[User]:
    query = select(User).order_by(User.name, User.email)
    if role is not None:
        query = query.where(User.role == role)
    if active_only:
        query = query.where(User.active.is_(True))
    return list(db.session.execute(query).scalars())
