"""Sign-in and password-change forms (CSRF through Flask-WTF)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    next = HiddenField()


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=256)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("New password, again"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("The two new passwords differ."))])


class CodeForm(FlaskForm):
    """The six-digit code of the authenticator app (second step of sign-in, enrolment)."""

    code = StringField(_l("Code from your authenticator app"),
                       validators=[DataRequired(), Length(max=20)])


class LogoutForm(FlaskForm):
    """Only the CSRF token: signing out is a POST so a link or an image cannot do it."""
