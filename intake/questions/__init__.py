"""The city's side of verification: the verifier's questions, answers, report, certificate."""

from flask import Blueprint

bp = Blueprint("questions", __name__, url_prefix="/w/questions")

from intake.questions import views  # noqa: E402,F401
