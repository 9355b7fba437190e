"""Thin views: sign in (password, then the second factor), sign out, change password,
set up the second factor."""

from __future__ import annotations

import time

from flask import (
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from intake.auth import bp
from intake.auth.forms import CodeForm, LoginForm, LogoutForm, PasswordForm
from intake.extensions import db, limiter
from intake.models.user import User
from intake.redirects import safe_next
from intake.services import accounts

# Between the password and the code: who passed the password, and until when the code
# may follow (the signed session holds it; nothing is signed in yet).
PENDING_USER = "pending_sign_in"
PENDING_NEXT = "pending_next"
PENDING_UNTIL = "pending_until"
PENDING_SECONDS = 300
# The secret being set up, kept in the session until a first code confirms it.
ENROL_SECRET = "totp_enrolment"


def _login_email() -> str:
    return accounts.normalise_email(request.form.get("email", ""))[:320]


def _login_key() -> str:
    # Per address *and* account: one office behind a NAT is not locked out by a colleague,
    # and guessing one account's password is capped wherever it comes from (see below).
    return f"login:{get_remote_address()}:{_login_email()}"


def _login_ip_key() -> str:
    return f"login-ip:{get_remote_address()}"


def _login_account_key() -> str:
    # Per account across every address: a botnet guessing one password is capped too
    # (the lockout below then makes each further guess wait longer).
    return f"login-account:{_login_email()}"


def _code_key() -> str:
    return f"login-code:{session.get(PENDING_USER)}"


def _fresh_session() -> None:
    """Drop everything the session held; a new CSRF secret is made on the next form."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's per-request copy of the old token


def _safe_next(target: str | None) -> str:
    return safe_next(target, url_for("secretariat.overview"))


def _sign_in(user: User, target: str | None):
    # A fresh session: nothing from before signing in (a city link, an old Flask-Login
    # id, the pending step) carries over (flask-login#449, ASVS 7.2.4).
    _fresh_session()
    accounts.record_good_sign_in(user)
    accounts.start_session(user)
    login_user(user)
    if accounts.totp_required(user) and not user.has_totp:
        flash(_("Secretariat accounts need a second factor. Set it up now to continue."),
              "warning")
        return redirect(url_for("auth.two_factor"))
    return redirect(_safe_next(target))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", key_func=_login_key, methods=["POST"])
@limiter.limit("60 per minute", key_func=_login_ip_key, methods=["POST"])
@limiter.limit("30 per hour", key_func=_login_account_key, methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("secretariat.overview"))
        form.next.data = request.args.get("next", "")
    error = None
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except accounts.AccountLocked as locked:
            user, error = None, str(locked)
        if user is not None and user.has_totp:
            _fresh_session()
            session[PENDING_USER] = user.id
            session[PENDING_NEXT] = _safe_next(form.next.data)
            session[PENDING_UNTIL] = int(time.time()) + PENDING_SECONDS
            return redirect(url_for("auth.login_code"))
        if user is not None:
            return _sign_in(user, form.next.data)
        error = error or _("The e-mail address or the password is not correct, or the "
                           "account is disabled.")
    elif request.method == "POST":
        error = _("Enter your e-mail address and your password.")
    return render_template("auth/login.html", form=form, error=error), (401 if error else 200)


def _pending_user() -> User | None:
    user_id = session.get(PENDING_USER)
    until = session.get(PENDING_UNTIL)
    if not isinstance(user_id, int) or not isinstance(until, int) or until < time.time():
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_active and user.has_totp else None


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit("10 per minute", key_func=_code_key, methods=["POST"])
def login_code():
    user = _pending_user()
    if user is None:
        flash(_("Sign in with your e-mail address and password first."), "warning")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        try:
            accounts.ensure_not_locked(user)
            if accounts.check_totp(user, form.code.data):
                return _sign_in(user, session.get(PENDING_NEXT))
            error = _("This code is not correct, or it was already used. Enter the current "
                      "code from your authenticator app.")
        except accounts.AccountLocked as locked:
            _fresh_session()
            error = str(locked)
    elif request.method == "POST":
        error = _("Enter the code from your authenticator app.")
    return render_template("auth/code.html", form=form, error=error), (401 if error else 200)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor():
    user = current_user._get_current_object()
    form = CodeForm()
    error = None
    if user.has_totp:
        return render_template("auth/two_factor.html", user=user, form=None)
    secret = session.get(ENROL_SECRET)
    if not isinstance(secret, str) or len(secret) != 32:
        secret = session[ENROL_SECRET] = accounts.new_totp_secret()
    if form.validate_on_submit():
        if accounts.enable_totp(user, secret, form.code.data):
            session.pop(ENROL_SECRET, None)
            flash(_("The second factor is on. From now on, signing in asks for a code from "
                    "your authenticator app."), "success")
            return redirect(url_for("secretariat.overview"))
        error = _("This code is not correct. Check that the app shows the account "
                  "%(email)s and enter its current code.", email=user.email)
    elif request.method == "POST":
        error = _("Enter the code from your authenticator app.")
    response = make_response(render_template(
        "auth/two_factor.html", user=user, form=form, error=error, secret=secret,
        uri=accounts.totp_uri(user, secret)), 400 if error else 200)
    # The secret is on this page: never cached anywhere.
    response.headers["Cache-Control"] = "no-store"
    return response


# Pages a secretariat account without its required second factor may still open.
_OPEN_WITHOUT_TOTP = frozenset({"auth.two_factor", "auth.logout", "auth.login",
                                "auth.login_code", "static", "main.choose_language"})


def require_second_factor():
    """Send a secretariat account that must have a second factor to set it up first."""
    if current_app.config.get("TOTP_FOR_SECRETARIAT") != "required":
        return None
    if request.endpoint in _OPEN_WITHOUT_TOTP or "_user_id" not in session:
        return None
    user = current_user._get_current_object()
    if isinstance(user, User) and accounts.totp_required(user) and not user.has_totp:
        return redirect(url_for("auth.two_factor"))
    return None


@bp.post("/logout")
def logout():
    form = LogoutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        # Every session of this account ends, not only this browser's.
        accounts.rotate_session(current_user._get_current_object())
    logout_user()
    _fresh_session()
    flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            user = accounts.change_password(current_user._get_current_object(),
                                            current_password=form.current_password.data,
                                            new_password=form.new_password.data)
        except accounts.AccountError as problem:
            error = str(problem)
        else:
            # Every session ended; this one continues on a new one.
            _fresh_session()
            accounts.start_session(user)
            login_user(user)
            flash(_("Your password is changed. You are signed out everywhere else."), "success")
            return redirect(url_for("secretariat.overview"))
    return render_template("auth/password.html", form=form, error=error), (
        400 if error or form.errors else 200)
