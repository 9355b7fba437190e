"""The chat page of the intake assistant (/assistant): works with and without JavaScript."""

from flask import Blueprint

bp = Blueprint("bot", __name__, url_prefix="/assistant")

from intake.bot import views  # noqa: E402,F401
