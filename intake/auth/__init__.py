"""Staff sign-in, sign-out and password change; the login manager's user loader."""

from flask import Blueprint, Flask, g
from flask_babel import lazy_gettext as _l

from intake.extensions import login_manager

bp = Blueprint("auth", __name__)


def init_login(app: Flask) -> None:
    """Bind Flask-Login to the app: cookies carry a session token (stored hashed), never
    the user id."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "warning"
    # "basic": a changed browser fingerprint marks the session non-fresh; no remember-me
    # cookie is issued, so "strong" would only add surprises (flask-login#248).
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    app.before_request(_forget_earlier_requests)
    from intake.auth.views import require_second_factor

    app.before_request(require_second_factor)


def _forget_earlier_requests() -> None:
    # Flask-Login (the user) and Flask-WTF (the CSRF token) cache per-visitor state on `g`,
    # which lives as long as the app context. When one context serves several requests
    # (test clients inside `app.app_context()`), an earlier request's user or token, maybe
    # another browser's, must not carry over.
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


def _load_user(token: str):
    from intake.services.accounts import user_for_session

    return user_for_session(token)


from intake.auth import views  # noqa: E402,F401
