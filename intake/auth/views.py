"""Thin views: sign in, sign out, change password."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from intake.auth import bp
from intake.auth.forms import LoginForm, LogoutForm, PasswordForm
from intake.extensions import limiter
from intake.redirects import safe_next
from intake.services import accounts


def _login_key() -> str:
    # Per address *and* account: one office behind a NAT is not locked out by a colleague,
    # and guessing one account's password is capped wherever it comes from (see below).
    email = accounts.normalise_email(request.form.get("email", ""))[:320]
    return f"login:{get_remote_address()}:{email}"


def _login_ip_key() -> str:
    return f"login-ip:{get_remote_address()}"


def _fresh_session() -> None:
    """Drop everything the session held; a new CSRF secret is made on the next form."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's per-request copy of the old token


def _safe_next(target: str | None) -> str:
    return safe_next(target, url_for("secretariat.overview"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", key_func=_login_key, methods=["POST"])
@limiter.limit("60 per minute", key_func=_login_ip_key, methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("secretariat.overview"))
        form.next.data = request.args.get("next", "")
    error = None
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            # A fresh session: nothing from before signing in (a city link, an old
            # Flask-Login id) carries over (flask-login#449, ASVS 7.2.4).
            _fresh_session()
            login_user(user)
            return redirect(_safe_next(form.next.data))
        error = _("The e-mail address or the password is not correct, or the account is "
                  "disabled.")
    elif request.method == "POST":
        error = _("Enter your e-mail address and your password.")
    return render_template("auth/login.html", form=form, error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    form = LogoutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        # Every cookie issued to this account stops working, not only this browser's.
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
            # The token changed, which ended all sessions; this one continues on the new one.
            _fresh_session()
            login_user(user)
            flash(_("Your password is changed. You are signed out everywhere else."), "success")
            return redirect(url_for("secretariat.overview"))
    return render_template("auth/password.html", form=form, error=error), (
        400 if error or form.errors else 200)
